/*
 * OffsetForLeaderEpoch (key 23), versions 0-4, flexible from v4: described from Kafka's
 * OffsetForLeaderEpochRequest.json and OffsetForLeaderEpochResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds leaderEpoch to the response; v2 currentLeaderEpoch (fencing) and
 * throttleTimeMs; v3 replicaId; v4 first flexible. Needed by clients once Metadata v7+ exposes
 * leader epochs (librdkafka 2.1+, Java).
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const OffsetForLeaderEpochRequestSchema = message({
  name: 'OffsetForLeaderEpochRequest',
  apiKey: 23,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    f.int32('replicaId', '3+', { default: -2 }),
    f.array('topics', '0+', [
      f.string('topic', '0+'),
      f.array('partitions', '0+', [
        f.int32('partition', '0+'),
        f.int32('currentLeaderEpoch', '2+', { default: -1 }),
        f.int32('leaderEpoch', '0+'),
      ]),
    ]),
  ],
})

export const OffsetForLeaderEpochResponseSchema = message({
  name: 'OffsetForLeaderEpochResponse',
  apiKey: 23,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    f.int32('throttleTimeMs', '2+'),
    f.array('topics', '0+', [
      f.string('topic', '0+'),
      f.array('partitions', '0+', [
        f.int16('errorCode', '0+'),
        f.int32('partition', '0+'),
        f.int32('leaderEpoch', '1+', { default: -1 }),
        f.int64('endOffset', '0+', { default: -1 }),
      ]),
    ]),
  ],
})

/** OffsetForLeaderEpoch is the OffsetForLeaderEpoch API (key 23). */
export const OffsetForLeaderEpoch = defineApi({
  key: 23,
  name: 'OffsetForLeaderEpoch',
  request: OffsetForLeaderEpochRequestSchema,
  response: OffsetForLeaderEpochResponseSchema,
})

/** OffsetForLeaderEpochRequest is a decoded OffsetForLeaderEpoch request body: every version's fields, absent ones at their defaults. */
export type OffsetForLeaderEpochRequest = BodyOf<typeof OffsetForLeaderEpochRequestSchema>
/** OffsetForLeaderEpochResponse is a decoded OffsetForLeaderEpoch response body: every version's fields, absent ones at their defaults. */
export type OffsetForLeaderEpochResponse = BodyOf<typeof OffsetForLeaderEpochResponseSchema>
