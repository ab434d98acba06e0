/*
 * DescribeCluster (key 60), versions 0-1, flexible from v0: described from Kafka's
 * DescribeClusterRequest.json and DescribeClusterResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * flexible from v0; v1 adds endpointType (KIP-919). Sent by the Java admin client
 * (describeCluster), not by KafkaJS, librdkafka 2.0 or kafka-python 2.0.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const DescribeClusterRequestSchema = message({
  name: 'DescribeClusterRequest',
  apiKey: 60,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [f.bool('includeClusterAuthorizedOperations', '0+'), f.int8('endpointType', '1+', { default: 1 })],
})

export const DescribeClusterResponseSchema = message({
  name: 'DescribeClusterResponse',
  apiKey: 60,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    f.int32('throttleTimeMs', '0+'),
    f.int16('errorCode', '0+'),
    f.string('errorMessage', '0+', { nullableVersions: '0+', default: null }),
    f.int8('endpointType', '1+', { default: 1 }),
    f.string('clusterId', '0+'),
    f.int32('controllerId', '0+', { default: -1 }),
    f.array('brokers', '0+', [
      f.int32('brokerId', '0+'),
      f.string('host', '0+'),
      f.int32('port', '0+'),
      f.string('rack', '0+', { nullableVersions: '0+', default: null }),
    ]),
    f.int32('clusterAuthorizedOperations', '0+', { default: -2147483648 }),
  ],
})

/** DescribeCluster is the DescribeCluster API (key 60). */
export const DescribeCluster = defineApi({
  key: 60,
  name: 'DescribeCluster',
  request: DescribeClusterRequestSchema,
  response: DescribeClusterResponseSchema,
})

/** DescribeClusterRequest is a decoded DescribeCluster request body: every version's fields, absent ones at their defaults. */
export type DescribeClusterRequest = BodyOf<typeof DescribeClusterRequestSchema>
/** DescribeClusterResponse is a decoded DescribeCluster response body: every version's fields, absent ones at their defaults. */
export type DescribeClusterResponse = BodyOf<typeof DescribeClusterResponseSchema>
