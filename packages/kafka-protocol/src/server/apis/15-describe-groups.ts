/*
 * DescribeGroups (key 15), served v0-5.
 *
 * Each group's state (Kafka's names: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead),
 * protocol type and chosen protocol, and its members with client id, host, metadata and assignment
 * bytes (as the clients wrote them, or Kafka's ConsumerProtocol for Tributary's own clients). A
 * group that does not exist is Dead with no members and no error, as Kafka answers; an invalid id
 * is INVALID_GROUP_ID (24). Authorized operations are not tracked (the "not requested" value).
 */
import type { GroupDescription } from '@tributary/core'
import { DescribeGroups } from '../../messages'
import { errorCodeFor } from '../context'
import { assignmentBytes, memberMetadata } from '../group-bytes'
import { serveApi } from '../served-api'

/** describeGroupsApi answers DescribeGroups. */
export const describeGroupsApi = serveApi({
  api: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const groups = []
    for (const groupId of req.body.groups) {
      try {
        const [d] = await ctx.broker.describeGroups([groupId])
        groups.push(describe(d as GroupDescription))
      } catch (error) {
        groups.push({
          errorCode: errorCodeFor(ctx, error, 'DescribeGroups'),
          groupId,
          groupState: '',
          protocolType: '',
          protocolData: '',
          members: [],
        })
      }
    }
    return { throttleTimeMs: 0, groups }
  },
})

function describe(d: GroupDescription) {
  return {
    errorCode: 0,
    groupId: d.groupId,
    groupState: d.state,
    protocolType: d.protocolType,
    protocolData: d.protocol,
    members: d.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost ?? '',
      memberMetadata: memberMetadata(m),
      memberAssignment: assignmentBytes(m.assignment),
    })),
  }
}
