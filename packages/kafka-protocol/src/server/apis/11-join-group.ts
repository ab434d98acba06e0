/*
 * JoinGroup (key 11), served v0-9.
 *
 * Joins the classic consumer-group protocol through the Broker's coordinator, which gathers the
 * members, picks the leader and a protocol every member supports (else
 * INCONSISTENT_GROUP_PROTOCOL, 23) and answers once the rebalance completes; the leader gets every
 * member's metadata bytes, relayed untouched. From v4 a first join with an empty member id and no
 * instance id gets MEMBER_ID_REQUIRED (79) with the id to join with (KIP-394; KafkaJS and Java
 * expect it). v0 has no rebalance timeout: the session timeout serves as one, as in Kafka. v5+
 * static members (group.instance.id) keep their assignment across restarts; a second live member
 * with the same instance id is FENCED_INSTANCE_ID (82). Other errors: INVALID_SESSION_TIMEOUT (26),
 * UNKNOWN_MEMBER_ID (25), GROUP_MAX_SIZE_REACHED (81), INVALID_GROUP_ID (24).
 */
import { TributaryError } from '@tributary/core'
import { JoinGroup } from '../../messages'
import { errorCodeFor } from '../context'
import { memberMetadata, toGroupProtocols } from '../group-bytes'
import { serveApi } from '../served-api'

/** joinGroupApi answers JoinGroup. */
export const joinGroupApi = serveApi({
  api: JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(req, ctx) {
    const b = req.body
    const v = req.apiVersion
    try {
      const result = await ctx.broker.joinGroup({
        groupId: b.groupId,
        memberId: b.memberId,
        groupInstanceId: b.groupInstanceId,
        clientId: req.header.clientId ?? '',
        clientHost: `/${ctx.connection.remoteHost}`,
        sessionTimeoutMs: b.sessionTimeoutMs,
        rebalanceTimeoutMs: v === 0 ? b.sessionTimeoutMs : b.rebalanceTimeoutMs,
        protocolType: b.protocolType,
        protocols: toGroupProtocols(b.protocolType, b.protocols),
        requireKnownMemberId: v >= 4,
      })
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        generationId: result.generationId,
        protocolType: b.protocolType,
        protocolName: result.protocolName,
        leader: result.leaderId,
        skipAssignment: false,
        memberId: result.memberId,
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: memberMetadata(m) })),
      }
    } catch (error) {
      const assigned = error instanceof TributaryError && error.code === 'MEMBER_ID_REQUIRED' ? error.details.memberId : undefined
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeFor(ctx, error, 'JoinGroup'),
        generationId: -1,
        protocolType: null,
        protocolName: v >= 7 ? null : '',
        leader: '',
        memberId: typeof assigned === 'string' ? assigned : b.memberId,
        members: [],
      }
    }
  },
})
