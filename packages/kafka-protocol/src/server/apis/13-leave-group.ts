/*
 * LeaveGroup (key 13), served v0-5.
 *
 * v0-2 name one member; v3+ a list (KIP-345: members by member id, or static members by instance
 * id alone, as the admin's removeMembersFromConsumerGroup does), each answered with its own error
 * (UNKNOWN_MEMBER_ID 25, FENCED_INSTANCE_ID 82) while the others leave. The group rebalances. A
 * static member leaving by its own member id keeps its place until its session times out, as a
 * Kafka static member does.
 */
import { LeaveGroup } from '../../messages'
import { type RequestContext, errorCodeFor } from '../context'
import { serveApi } from '../served-api'

/** leaveGroupApi answers LeaveGroup. */
export const leaveGroupApi = serveApi({
  api: LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const { groupId } = req.body
    if (req.apiVersion < 3) {
      const errorCode = await leave(ctx, groupId, req.body.memberId, null)
      return { throttleTimeMs: 0, errorCode, members: [] }
    }
    const members = []
    for (const m of req.body.members) {
      members.push({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: await leave(ctx, groupId, m.memberId, m.groupInstanceId),
      })
    }
    return { throttleTimeMs: 0, errorCode: 0, members }
  },
})

async function leave(ctx: RequestContext, groupId: string, memberId: string, groupInstanceId: string | null): Promise<number> {
  try {
    await ctx.broker.leaveGroup({ groupId, members: [{ memberId, groupInstanceId }] })
    return 0
  } catch (error) {
    return errorCodeFor(ctx, error, 'LeaveGroup')
  }
}
