/*
 * FindCoordinator (key 10), served v0-4.
 *
 * Names the node whose Kafka listener serves a consumer group's coordinator calls: this node on a
 * single node, the node running the group coordinator in a cluster (the topology knows which).
 * v0-3 ask for one key (v1+ with a key type), v4 for a list (`coordinatorKeys` →
 * `coordinators`). Key type 1 (a transactional id) is refused with INVALID_REQUEST (42):
 * transactions are not supported. While no coordinator is elected: COORDINATOR_NOT_AVAILABLE (15),
 * which clients retry.
 */
import { TributaryError } from '@tributary/core'
import { FindCoordinator } from '../../messages'
import { type RequestContext, errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

const GROUP_KEY = 0

/** findCoordinatorApi answers FindCoordinator. */
export const findCoordinatorApi = serveApi({
  api: FindCoordinator,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { keyType } = req.body
    if (req.apiVersion >= 4) {
      const coordinators = await Promise.all(req.body.coordinatorKeys.map(async (key) => ({ key, ...(await locate(ctx, key, keyType)) })))
      return { throttleTimeMs: 0, coordinators }
    }
    return { throttleTimeMs: 0, ...(await locate(ctx, req.body.key, keyType)) }
  },
})

async function locate(ctx: RequestContext, key: string, keyType: number) {
  try {
    if (keyType !== GROUP_KEY) throw new TributaryError('INVALID_REQUEST', 'transactions are not supported: no transaction coordinator')
    if (key === '') throw new TributaryError('INVALID_REQUEST', 'the group id is empty')
    if (!ctx.may('group', key) && !ctx.may('describe', key))
      throw new TributaryError('GROUP_AUTHORIZATION_FAILED', `${ctx.principal} may not use group ${key}`)
    const node = await ctx.server.topology.coordinator(key)
    return { errorCode: 0, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port }
  } catch (error) {
    return { errorCode: errorCodeFor(ctx, error, 'FindCoordinator'), errorMessage: errorMessageOf(error), nodeId: -1, host: '', port: -1 }
  }
}
