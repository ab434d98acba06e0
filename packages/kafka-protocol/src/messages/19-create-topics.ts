/*
 * CreateTopics (key 19), versions 0-7, flexible from v5: described from Kafka's
 * CreateTopicsRequest.json and CreateTopicsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds validateOnly; v2 errorMessage; v4 lets numPartitions and replicationFactor
 * be -1 (broker default); v5 first flexible, returns the created topic's configs; v7 topicId.
 * Clients send: KafkaJS v3, librdkafka up to v4, kafka-python up to v3.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const CreateTopicsRequestSchema = message({
  name: 'CreateTopicsRequest',
  apiKey: 19,
  type: 'request',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.int32('numPartitions', '0+'),
      f.int16('replicationFactor', '0+'),
      f.array('assignments', '0+', [f.int32('partitionIndex', '0+'), f.array('brokerIds', '0+', 'int32')]),
      f.array('configs', '0+', [f.string('name', '0+'), f.string('value', '0+', { nullableVersions: '0+' })]),
    ]),
    f.int32('timeoutMs', '0+', { default: 60000 }),
    f.bool('validateOnly', '1+', { default: false }),
  ],
})

export const CreateTopicsResponseSchema = message({
  name: 'CreateTopicsResponse',
  apiKey: 19,
  type: 'response',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    f.int32('throttleTimeMs', '2+'),
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.uuid('topicId', '7+'),
      f.int16('errorCode', '0+'),
      f.string('errorMessage', '1+', { nullableVersions: '0+' }),
      f.int16('topicConfigErrorCode', '5+', { taggedVersions: '5+', tag: 0 }),
      f.int32('numPartitions', '5+', { default: -1 }),
      f.int16('replicationFactor', '5+', { default: -1 }),
      f.array(
        'configs',
        '5+',
        [
          f.string('name', '5+'),
          f.string('value', '5+', { nullableVersions: '5+' }),
          f.bool('readOnly', '5+'),
          f.int8('configSource', '5+', { default: -1 }),
          f.bool('isSensitive', '5+'),
        ],
        { nullableVersions: '5+' },
      ),
    ]),
  ],
})

/** CreateTopics is the CreateTopics API (key 19). */
export const CreateTopics = defineApi({
  key: 19,
  name: 'CreateTopics',
  request: CreateTopicsRequestSchema,
  response: CreateTopicsResponseSchema,
})

/** CreateTopicsRequest is a decoded CreateTopics request body: every version's fields, absent ones at their defaults. */
export type CreateTopicsRequest = BodyOf<typeof CreateTopicsRequestSchema>
/** CreateTopicsResponse is a decoded CreateTopics response body: every version's fields, absent ones at their defaults. */
export type CreateTopicsResponse = BodyOf<typeof CreateTopicsResponseSchema>
