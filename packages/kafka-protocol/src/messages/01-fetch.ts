/*
 * Fetch (key 1), versions 0-17, flexible from v12: described from Kafka's
 * FetchRequest.json and FetchResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v3 adds maxBytes; v4 isolationLevel, lastStableOffset and abortedTransactions; v5
 * logStartOffset; v7 fetch sessions and a top-level errorCode; v9 currentLeaderEpoch; v10 allows
 * zstd; v11 rackId and preferredReadReplica; v12 is the first flexible version (tagged
 * divergingEpoch, currentLeader, snapshotId); v13 names topics by topicId; v15 replicaState;
 * v16 nodeEndpoints. Records in a response are written as given (a stored batch view, never
 * re-encoded). Clients send: KafkaJS v11, librdkafka up to v11, kafka-python v4.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const FetchRequestSchema = message({
  name: 'FetchRequest',
  apiKey: 1,
  type: 'request',
  validVersions: '0-17',
  flexibleVersions: '12+',
  fields: [
    f.string('clusterId', '12+', { nullableVersions: '12+', taggedVersions: '12+', tag: 0, default: null }),
    f.int32('replicaId', '0-14', { default: -1 }),
    f.struct('replicaState', '15+', [f.int32('replicaId', '15+', { default: -1 }), f.int64('replicaEpoch', '15+', { default: -1 })], {
      taggedVersions: '15+',
      tag: 1,
    }),
    f.int32('maxWaitMs', '0+'),
    f.int32('minBytes', '0+'),
    f.int32('maxBytes', '3+', { default: 2147483647 }),
    f.int8('isolationLevel', '4+', { default: 0 }),
    f.int32('sessionId', '7+', { default: 0 }),
    f.int32('sessionEpoch', '7+', { default: -1 }),
    f.array('topics', '0+', [
      f.string('topic', '0-12'),
      f.uuid('topicId', '13+'),
      f.array('partitions', '0+', [
        f.int32('partition', '0+'),
        f.int32('currentLeaderEpoch', '9+', { default: -1 }),
        f.int64('fetchOffset', '0+'),
        f.int32('lastFetchedEpoch', '12+', { default: -1 }),
        f.int64('logStartOffset', '5+', { default: -1 }),
        f.int32('partitionMaxBytes', '0+'),
        f.uuid('replicaDirectoryId', '17+', { taggedVersions: '17+', tag: 0 }),
      ]),
    ]),
    f.array('forgottenTopicsData', '7+', [f.string('topic', '7-12'), f.uuid('topicId', '13+'), f.array('partitions', '7+', 'int32')]),
    f.string('rackId', '11+', { default: '' }),
  ],
})

export const FetchResponseSchema = message({
  name: 'FetchResponse',
  apiKey: 1,
  type: 'response',
  validVersions: '0-17',
  flexibleVersions: '12+',
  fields: [
    f.int32('throttleTimeMs', '1+'),
    f.int16('errorCode', '7+'),
    f.int32('sessionId', '7+', { default: 0 }),
    f.array('responses', '0+', [
      f.string('topic', '0-12'),
      f.uuid('topicId', '13+'),
      f.array('partitions', '0+', [
        f.int32('partitionIndex', '0+'),
        f.int16('errorCode', '0+'),
        f.int64('highWatermark', '0+'),
        f.int64('lastStableOffset', '4+', { default: -1 }),
        f.int64('logStartOffset', '5+', { default: -1 }),
        f.struct('divergingEpoch', '12+', [f.int32('epoch', '12+', { default: -1 }), f.int64('endOffset', '12+', { default: -1 })], {
          taggedVersions: '12+',
          tag: 0,
        }),
        f.struct('currentLeader', '12+', [f.int32('leaderId', '12+', { default: -1 }), f.int32('leaderEpoch', '12+', { default: -1 })], {
          taggedVersions: '12+',
          tag: 1,
        }),
        f.struct('snapshotId', '12+', [f.int64('endOffset', '0+', { default: -1 }), f.int32('epoch', '0+', { default: -1 })], {
          taggedVersions: '12+',
          tag: 2,
        }),
        f.array('abortedTransactions', '4+', [f.int64('producerId', '4+'), f.int64('firstOffset', '4+')], { nullableVersions: '4+' }),
        f.int32('preferredReadReplica', '11+', { default: -1 }),
        f.records('records', '0+', { nullableVersions: '0+' }),
      ]),
    ]),
    f.array(
      'nodeEndpoints',
      '16+',
      [
        f.int32('nodeId', '16+'),
        f.string('host', '16+'),
        f.int32('port', '16+'),
        f.string('rack', '16+', { nullableVersions: '16+', default: null }),
      ],
      { taggedVersions: '16+', tag: 0 },
    ),
  ],
})

/** Fetch is the Fetch API (key 1). */
export const Fetch = defineApi({ key: 1, name: 'Fetch', request: FetchRequestSchema, response: FetchResponseSchema })

/** FetchRequest is a decoded Fetch request body: every version's fields, absent ones at their defaults. */
export type FetchRequest = BodyOf<typeof FetchRequestSchema>
/** FetchResponse is a decoded Fetch response body: every version's fields, absent ones at their defaults. */
export type FetchResponse = BodyOf<typeof FetchResponseSchema>
