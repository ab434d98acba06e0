/*
 * OffsetCommit (key 8), versions 0-9, flexible from v8: described from Kafka's
 * OffsetCommitRequest.json and OffsetCommitResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds generationIdOrMemberEpoch, memberId and a per-partition commitTimestamp;
 * v2-4 replace the timestamp with retentionTimeMs; v5 drops it; v6 committedLeaderEpoch; v7
 * groupInstanceId; v8 first flexible; v9 the KIP-848 protocol. Clients send: KafkaJS v5,
 * librdkafka up to v7, kafka-python v2.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const OffsetCommitRequestSchema = message({
  name: 'OffsetCommitRequest',
  apiKey: 8,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    f.string('groupId', '0+'),
    f.int32('generationIdOrMemberEpoch', '1+', { default: -1 }),
    f.string('memberId', '1+'),
    f.string('groupInstanceId', '7+', { nullableVersions: '7+', default: null }),
    f.int64('retentionTimeMs', '2-4', { default: -1 }),
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.array('partitions', '0+', [
        f.int32('partitionIndex', '0+'),
        f.int64('committedOffset', '0+'),
        f.int32('committedLeaderEpoch', '6+', { default: -1 }),
        f.int64('commitTimestamp', '1', { default: -1 }),
        f.string('committedMetadata', '0+', { nullableVersions: '0+' }),
      ]),
    ]),
  ],
})

export const OffsetCommitResponseSchema = message({
  name: 'OffsetCommitResponse',
  apiKey: 8,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    f.int32('throttleTimeMs', '3+'),
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.array('partitions', '0+', [f.int32('partitionIndex', '0+'), f.int16('errorCode', '0+')]),
    ]),
  ],
})

/** OffsetCommit is the OffsetCommit API (key 8). */
export const OffsetCommit = defineApi({
  key: 8,
  name: 'OffsetCommit',
  request: OffsetCommitRequestSchema,
  response: OffsetCommitResponseSchema,
})

/** OffsetCommitRequest is a decoded OffsetCommit request body: every version's fields, absent ones at their defaults. */
export type OffsetCommitRequest = BodyOf<typeof OffsetCommitRequestSchema>
/** OffsetCommitResponse is a decoded OffsetCommit response body: every version's fields, absent ones at their defaults. */
export type OffsetCommitResponse = BodyOf<typeof OffsetCommitResponseSchema>
