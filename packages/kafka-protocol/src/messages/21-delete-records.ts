/*
 * DeleteRecords (key 21), versions 0-2, flexible from v2: described from Kafka's
 * DeleteRecordsRequest.json and DeleteRecordsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 identical to v0; v2 first flexible. An offset of -1 means the high watermark.
 * Clients send: KafkaJS v1, librdkafka up to v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const DeleteRecordsRequestSchema = message({
  name: 'DeleteRecordsRequest',
  apiKey: 21,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.array('partitions', '0+', [f.int32('partitionIndex', '0+'), f.int64('offset', '0+')]),
    ]),
    f.int32('timeoutMs', '0+'),
  ],
})

export const DeleteRecordsResponseSchema = message({
  name: 'DeleteRecordsResponse',
  apiKey: 21,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    f.int32('throttleTimeMs', '0+'),
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.array('partitions', '0+', [f.int32('partitionIndex', '0+'), f.int64('lowWatermark', '0+'), f.int16('errorCode', '0+')]),
    ]),
  ],
})

/** DeleteRecords is the DeleteRecords API (key 21). */
export const DeleteRecords = defineApi({
  key: 21,
  name: 'DeleteRecords',
  request: DeleteRecordsRequestSchema,
  response: DeleteRecordsResponseSchema,
})

/** DeleteRecordsRequest is a decoded DeleteRecords request body: every version's fields, absent ones at their defaults. */
export type DeleteRecordsRequest = BodyOf<typeof DeleteRecordsRequestSchema>
/** DeleteRecordsResponse is a decoded DeleteRecords response body: every version's fields, absent ones at their defaults. */
export type DeleteRecordsResponse = BodyOf<typeof DeleteRecordsResponseSchema>
