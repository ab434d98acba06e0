/*
 * DeleteGroups (key 42), served v0-2.
 *
 * Deletes empty groups and their committed offsets, each answered on its own: GROUP_ID_NOT_FOUND
 * (69) for an unknown group, NON_EMPTY_GROUP (68) for one with members, INVALID_GROUP_ID (24).
 */
import { DeleteGroups } from '../../messages'
import { errorCodeFor } from '../context'
import { serveApi } from '../served-api'

/** deleteGroupsApi answers DeleteGroups. */
export const deleteGroupsApi = serveApi({
  api: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const results = []
    for (const groupId of req.body.groupsNames) {
      try {
        await ctx.broker.deleteGroups([groupId])
        results.push({ groupId, errorCode: 0 })
      } catch (error) {
        results.push({ groupId, errorCode: errorCodeFor(ctx, error, 'DeleteGroups') })
      }
    }
    return { throttleTimeMs: 0, results }
  },
})
