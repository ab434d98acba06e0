/*
 * SyncGroup (key 14), served v0-5.
 *
 * The leader sends every member's assignment (opaque bytes, kept as written), the others wait for
 * theirs; each gets its own bytes back untouched. A Tributary client leading a group of Kafka
 * clients has its assignment written in Kafka's ConsumerProtocol. v5 names the protocol type and
 * name, which are echoed. Errors: UNKNOWN_MEMBER_ID (25), ILLEGAL_GENERATION (22),
 * REBALANCE_IN_PROGRESS (27), FENCED_INSTANCE_ID (82).
 */
import { SyncGroup } from '../../messages'
import { errorCodeFor } from '../context'
import { assignmentBytes, toGroupAssignment } from '../group-bytes'
import { serveApi } from '../served-api'

const EMPTY = Buffer.alloc(0)

/** syncGroupApi answers SyncGroup. */
export const syncGroupApi = serveApi({
  api: SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const b = req.body
    try {
      const assignment = await ctx.broker.syncGroup({
        groupId: b.groupId,
        generationId: b.generationId,
        memberId: b.memberId,
        groupInstanceId: b.groupInstanceId,
        assignments: b.assignments.map((a) => ({ memberId: a.memberId, assignment: toGroupAssignment(a.assignment) })),
      })
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        protocolType: b.protocolType,
        protocolName: b.protocolName,
        assignment: assignmentBytes(assignment),
      }
    } catch (error) {
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeFor(ctx, error, 'SyncGroup'),
        protocolType: null,
        protocolName: null,
        assignment: EMPTY,
      }
    }
  },
})
