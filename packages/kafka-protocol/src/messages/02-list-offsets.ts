/*
 * ListOffsets (key 2), versions 0-10, flexible from v6: described from Kafka's
 * ListOffsetsRequest.json and ListOffsetsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v0 returns an array of offsets (maxNumOffsets); v1+ one offset with its timestamp;
 * v2 isolationLevel; v4 currentLeaderEpoch / leaderEpoch; v6 first flexible; v7-v9 add special
 * timestamps (-3 max timestamp, -4 local log start, -5 last tiered); v10 (Kafka 4.0; the one
 * difference from 3.9.0's schemas) adds timeoutMs. Timestamp -1 asks for the latest offset, -2 the earliest. Clients send: KafkaJS
 * v3, librdkafka up to v2, kafka-python v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const ListOffsetsRequestSchema = message({
  name: 'ListOffsetsRequest',
  apiKey: 2,
  type: 'request',
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    f.int32('replicaId', '0+'),
    f.int8('isolationLevel', '2+'),
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.array('partitions', '0+', [
        f.int32('partitionIndex', '0+'),
        f.int32('currentLeaderEpoch', '4+', { default: -1 }),
        f.int64('timestamp', '0+'),
        f.int32('maxNumOffsets', '0', { default: 1 }),
      ]),
    ]),
    f.int32('timeoutMs', '10+'),
  ],
})

export const ListOffsetsResponseSchema = message({
  name: 'ListOffsetsResponse',
  apiKey: 2,
  type: 'response',
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    f.int32('throttleTimeMs', '2+'),
    f.array('topics', '0+', [
      f.string('name', '0+'),
      f.array('partitions', '0+', [
        f.int32('partitionIndex', '0+'),
        f.int16('errorCode', '0+'),
        f.array('oldStyleOffsets', '0', 'int64'),
        f.int64('timestamp', '1+', { default: -1 }),
        f.int64('offset', '1+', { default: -1 }),
        f.int32('leaderEpoch', '4+', { default: -1 }),
      ]),
    ]),
  ],
})

/** ListOffsets is the ListOffsets API (key 2). */
export const ListOffsets = defineApi({
  key: 2,
  name: 'ListOffsets',
  request: ListOffsetsRequestSchema,
  response: ListOffsetsResponseSchema,
})

/** ListOffsetsRequest is a decoded ListOffsets request body: every version's fields, absent ones at their defaults. */
export type ListOffsetsRequest = BodyOf<typeof ListOffsetsRequestSchema>
/** ListOffsetsResponse is a decoded ListOffsets response body: every version's fields, absent ones at their defaults. */
export type ListOffsetsResponse = BodyOf<typeof ListOffsetsResponseSchema>
