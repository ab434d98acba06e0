/*
 * DeleteTopics (key 20), versions 0-6, flexible from v4: described from Kafka's
 * DeleteTopicsRequest.json and DeleteTopicsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds throttleTimeMs; v4 first flexible; v5 errorMessage; v6 replaces topicNames[]
 * with topics[] carrying a name or a topicId. Clients send: KafkaJS v1, librdkafka up to v1,
 * kafka-python up to v3.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const DeleteTopicsRequestSchema = message({
  name: 'DeleteTopicsRequest',
  apiKey: 20,
  type: 'request',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    f.array('topics', '6+', [f.string('name', '6+', { nullableVersions: '6+', default: null }), f.uuid('topicId', '6+')]),
    f.array('topicNames', '0-5', 'string'),
    f.int32('timeoutMs', '0+'),
  ],
})

export const DeleteTopicsResponseSchema = message({
  name: 'DeleteTopicsResponse',
  apiKey: 20,
  type: 'response',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    f.int32('throttleTimeMs', '1+'),
    f.array('responses', '0+', [
      f.string('name', '0+', { nullableVersions: '6+' }),
      f.uuid('topicId', '6+'),
      f.int16('errorCode', '0+'),
      f.string('errorMessage', '5+', { nullableVersions: '5+', default: null }),
    ]),
  ],
})

/** DeleteTopics is the DeleteTopics API (key 20). */
export const DeleteTopics = defineApi({
  key: 20,
  name: 'DeleteTopics',
  request: DeleteTopicsRequestSchema,
  response: DeleteTopicsResponseSchema,
})

/** DeleteTopicsRequest is a decoded DeleteTopics request body: every version's fields, absent ones at their defaults. */
export type DeleteTopicsRequest = BodyOf<typeof DeleteTopicsRequestSchema>
/** DeleteTopicsResponse is a decoded DeleteTopics response body: every version's fields, absent ones at their defaults. */
export type DeleteTopicsResponse = BodyOf<typeof DeleteTopicsResponseSchema>
