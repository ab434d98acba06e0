/*
 * Heartbeat (key 12), served v0-4.
 *
 * Keeps a member's session alive. REBALANCE_IN_PROGRESS (27) tells it to rejoin;
 * UNKNOWN_MEMBER_ID (25) that its session expired; ILLEGAL_GENERATION (22) that it missed a
 * generation; FENCED_INSTANCE_ID (82) that another process took its static instance id.
 */
import { Heartbeat } from '../../messages'
import { errorCodeFor } from '../context'
import { serveApi } from '../served-api'

/** heartbeatApi answers Heartbeat. */
export const heartbeatApi = serveApi({
  api: Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { groupId, generationId, memberId, groupInstanceId } = req.body
    try {
      await ctx.broker.heartbeat({ groupId, generationId, memberId, groupInstanceId })
      return { throttleTimeMs: 0, errorCode: 0 }
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: errorCodeFor(ctx, error, 'Heartbeat') }
    }
  },
})
