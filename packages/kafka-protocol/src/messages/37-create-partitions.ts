/*
 * CreatePartitions (key 37), versions 0-3, flexible from v2: described from Kafka's
 * CreatePartitionsRequest.json and CreatePartitionsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v2 first flexible; v3 identical (may throttle). Clients send: KafkaJS v1,
 * librdkafka v0, kafka-python up to v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const CreatePartitionsRequestSchema = message({
  name: 'CreatePartitionsRequest',
  apiKey: 37,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.int32('count', '0+'),
      f.array('assignments', '0+', [f.array('brokerIds', '0+', 'int32')], { nullableVersions: '0+' }),
    ]),
    f.int32('timeoutMs', '0+'),
    f.bool('validateOnly', '0+'),
  ],
})

export const CreatePartitionsResponseSchema = message({
  name: 'CreatePartitionsResponse',
  apiKey: 37,
  type: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    f.int32('throttleTimeMs', '0+'),
    f.array('results', '0+', [
      f.string('name', '0+'),
      f.int16('errorCode', '0+'),
      f.string('errorMessage', '0+', { nullableVersions: '0+', default: null }),
    ]),
  ],
})

/** CreatePartitions is the CreatePartitions API (key 37). */
export const CreatePartitions = defineApi({
  key: 37,
  name: 'CreatePartitions',
  request: CreatePartitionsRequestSchema,
  response: CreatePartitionsResponseSchema,
})

/** CreatePartitionsRequest is a decoded CreatePartitions request body: every version's fields, absent ones at their defaults. */
export type CreatePartitionsRequest = BodyOf<typeof CreatePartitionsRequestSchema>
/** CreatePartitionsResponse is a decoded CreatePartitions response body: every version's fields, absent ones at their defaults. */
export type CreatePartitionsResponse = BodyOf<typeof CreatePartitionsResponseSchema>
