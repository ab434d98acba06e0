/*
 * OffsetFetch (key 9), versions 0-9, flexible from v6: described from Kafka's
 * OffsetFetchRequest.json and OffsetFetchResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v2: null topics fetches every committed offset and a top-level errorCode appears;
 * v3 throttleTimeMs; v5 committedLeaderEpoch; v6 first flexible; v7 requireStable; v8 batches
 * groups[] (the single-group fields are then unused); v9 memberId/memberEpoch. Clients send:
 * KafkaJS v4, librdkafka up to v7, kafka-python v1 (admin up to v3).
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const OffsetFetchRequestSchema = message({
  name: 'OffsetFetchRequest',
  apiKey: 9,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    f.string('groupId', '0-7'),
    f.array('topics', '0-7', [f.string('name', '0-7'), f.array('partitionIndexes', '0-7', 'int32')], { nullableVersions: '2-7' }),
    f.array('groups', '8+', [
      f.string('groupId', '8+'),
      f.string('memberId', '9+', { nullableVersions: '9+', default: null }),
      f.int32('memberEpoch', '9+', { default: -1 }),
      f.array('topics', '8+', [f.string('name', '8+'), f.array('partitionIndexes', '8+', 'int32')], { nullableVersions: '8+' }),
    ]),
    f.bool('requireStable', '7+', { default: false }),
  ],
})

export const OffsetFetchResponseSchema = message({
  name: 'OffsetFetchResponse',
  apiKey: 9,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    f.int32('throttleTimeMs', '3+'),
    f.array('topics', '0-7', [
      f.string('name', '0-7'),
      f.array('partitions', '0-7', [
        f.int32('partitionIndex', '0-7'),
        f.int64('committedOffset', '0-7'),
        f.int32('committedLeaderEpoch', '5-7', { default: -1 }),
        f.string('metadata', '0-7', { nullableVersions: '0-7' }),
        f.int16('errorCode', '0-7'),
      ]),
    ]),
    f.int16('errorCode', '2-7', { default: 0 }),
    f.array('groups', '8+', [
      f.string('groupId', '8+'),
      f.array('topics', '8+', [
        f.string('name', '8+'),
        f.array('partitions', '8+', [
          f.int32('partitionIndex', '8+'),
          f.int64('committedOffset', '8+'),
          f.int32('committedLeaderEpoch', '8+', { default: -1 }),
          f.string('metadata', '8+', { nullableVersions: '8+' }),
          f.int16('errorCode', '8+'),
        ]),
      ]),
      f.int16('errorCode', '8+', { default: 0 }),
    ]),
  ],
})

/** OffsetFetch is the OffsetFetch API (key 9). */
export const OffsetFetch = defineApi({
  key: 9,
  name: 'OffsetFetch',
  request: OffsetFetchRequestSchema,
  response: OffsetFetchResponseSchema,
})

/** OffsetFetchRequest is a decoded OffsetFetch request body: every version's fields, absent ones at their defaults. */
export type OffsetFetchRequest = BodyOf<typeof OffsetFetchRequestSchema>
/** OffsetFetchResponse is a decoded OffsetFetch response body: every version's fields, absent ones at their defaults. */
export type OffsetFetchResponse = BodyOf<typeof OffsetFetchResponseSchema>
