/*
 * ListGroups (key 16), served v0-5.
 *
 * Every group the coordinator knows, with its protocol type; v4+ its state and a filter by states
 * (case-insensitive, as Kafka), v5+ its type ("classic": the only kind) and a filter by types.
 */
import { ListGroups } from '../../messages'
import { errorCodeFor } from '../context'
import { serveApi } from '../served-api'

/** listGroupsApi answers ListGroups. */
export const listGroupsApi = serveApi({
  api: ListGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const states = new Set(req.body.statesFilter.map((s) => s.toLowerCase()))
    const types = new Set(req.body.typesFilter.map((t) => t.toLowerCase()))
    try {
      const groups = (await ctx.broker.listGroups())
        .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
        .filter(() => types.size === 0 || types.has('classic'))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' }))
      return { throttleTimeMs: 0, errorCode: 0, groups }
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: errorCodeFor(ctx, error, 'ListGroups'), groups: [] }
    }
  },
})
