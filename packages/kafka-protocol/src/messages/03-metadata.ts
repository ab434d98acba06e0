/*
 * Metadata (key 3), versions 0-12, flexible from v9: described from Kafka's
 * MetadataRequest.json and MetadataResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v0: an empty topics array means every topic; v1+: null means every topic and [] none.
 * v1 adds controllerId, rack and isInternal; v2 clusterId; v3 throttleTimeMs; v4
 * allowAutoTopicCreation; v5 offlineReplicas; v7 leaderEpoch; v8 authorized operations; v9 is the
 * first flexible version; v10 topicId (a name may be null); v11 drops the cluster authorized
 * operations. Clients send: KafkaJS v6, librdkafka up to v4, kafka-python v0/v1 (admin up to v5).
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const MetadataRequestSchema = message({
  name: 'MetadataRequest',
  apiKey: 3,
  type: 'request',
  validVersions: '0-12',
  flexibleVersions: '9+',
  fields: [
    f.array('topics', '0+', [f.uuid('topicId', '10+'), f.string('name', '0+', { nullableVersions: '10+' })], { nullableVersions: '1+' }),
    f.bool('allowAutoTopicCreation', '4+', { default: true }),
    f.bool('includeClusterAuthorizedOperations', '8-10'),
    f.bool('includeTopicAuthorizedOperations', '8+'),
  ],
})

export const MetadataResponseSchema = message({
  name: 'MetadataResponse',
  apiKey: 3,
  type: 'response',
  validVersions: '0-12',
  flexibleVersions: '9+',
  fields: [
    f.int32('throttleTimeMs', '3+'),
    f.array('brokers', '0+', [
      f.int32('nodeId', '0+'),
      f.string('host', '0+'),
      f.int32('port', '0+'),
      f.string('rack', '1+', { nullableVersions: '1+', default: null }),
    ]),
    f.string('clusterId', '2+', { nullableVersions: '2+', default: null }),
    f.int32('controllerId', '1+', { default: -1 }),
    f.array('topics', '0+', [
      f.int16('errorCode', '0+'),
      f.string('name', '0+', { nullableVersions: '12+' }),
      f.uuid('topicId', '10+'),
      f.bool('isInternal', '1+', { default: false }),
      f.array('partitions', '0+', [
        f.int16('errorCode', '0+'),
        f.int32('partitionIndex', '0+'),
        f.int32('leaderId', '0+'),
        f.int32('leaderEpoch', '7+', { default: -1 }),
        f.array('replicaNodes', '0+', 'int32'),
        f.array('isrNodes', '0+', 'int32'),
        f.array('offlineReplicas', '5+', 'int32'),
      ]),
      f.int32('topicAuthorizedOperations', '8+', { default: -2147483648 }),
    ]),
    f.int32('clusterAuthorizedOperations', '8-10', { default: -2147483648 }),
  ],
})

/** Metadata is the Metadata API (key 3). */
export const Metadata = defineApi({ key: 3, name: 'Metadata', request: MetadataRequestSchema, response: MetadataResponseSchema })

/** MetadataRequest is a decoded Metadata request body: every version's fields, absent ones at their defaults. */
export type MetadataRequest = BodyOf<typeof MetadataRequestSchema>
/** MetadataResponse is a decoded Metadata response body: every version's fields, absent ones at their defaults. */
export type MetadataResponse = BodyOf<typeof MetadataResponseSchema>
