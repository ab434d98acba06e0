/*
 * DescribeCluster (key 60), served v0-1.
 *
 * The cluster id, the controller (the node topic admin goes to) and every node's Kafka listener.
 * v1's endpoint type 2 (KRaft controllers) is not served: UNSUPPORTED_ENDPOINT_TYPE (115).
 */
import { DescribeCluster } from '../../messages'
import { errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

const UNSUPPORTED_ENDPOINT_TYPE = 115

/** describeClusterApi answers DescribeCluster. */
export const describeClusterApi = serveApi({
  api: DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    if (req.apiVersion >= 1 && req.body.endpointType !== 1) {
      return {
        throttleTimeMs: 0,
        errorCode: UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: 'only broker endpoints are described',
        endpointType: req.body.endpointType,
        clusterId: '',
        brokers: [],
      }
    }
    try {
      const meta = await ctx.broker.metadata({ topics: [] })
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        endpointType: 1,
        clusterId: meta.clusterId,
        controllerId: meta.controllerId,
        brokers: ctx.server.topology.brokers(meta).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: null })),
      }
    } catch (error) {
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeFor(ctx, error, 'DescribeCluster'),
        errorMessage: errorMessageOf(error),
        clusterId: '',
        brokers: [],
      }
    }
  },
})
