import {
  type GroupAssignment,
  type GroupDescription,
  type GroupListing,
  type GroupMemberRef,
  type JoinGroupRequest,
  type JoinGroupResult,
  type LeaveGroupRequest,
  type OffsetCommitRequest,
  type OffsetFetchResult,
  type SyncGroupRequest,
  type TopicPartition,
  TributaryError,
} from '@tributary/core'
import { checkPartitionRequests } from '@tributary/core/internal'
import type { BrokerConnections } from './broker-connections'
import type { KafkaConnection } from './connection'
import type { KafkaContext } from './context'
import { partitionError } from './request-checks'
import {
  groupError,
  heartbeatRequest,
  joinGroupRequest,
  listedGroup,
  offsetCommitError,
  offsetCommitRequest,
  offsetFetchRequest,
  parseDescribeGroups,
  parseJoinGroup,
  parseOffsetFetch,
  parseSyncGroupAssignment,
  syncGroupRequest,
} from './requests/groups'

/*
 * Consumer-group calls, each at the group's coordinator (see Coordinators). JoinGroup and
 * SyncGroup wait at the coordinator until the rebalance completes, so each runs on a leased
 * connection of its own; heartbeats, commits and offset reads share the coordinator's `group`
 * connection, where no wait holds them back.
 */

const MEMBER_ID_REQUIRED = 79

/**
 * joinGroup joins (or rejoins) a group. A first join (empty member id) to a broker on JoinGroup
 * v4+ is answered MEMBER_ID_REQUIRED with the id the coordinator assigned (KIP-394): it is joined
 * again at once with that id, as Kafka's clients do.
 */
export async function joinGroup(ctx: KafkaContext, request: JoinGroupRequest): Promise<JoinGroupResult> {
  checkGroupId(request?.groupId)
  let memberId = request.memberId
  // The broker holds a join until every member has joined, up to the rebalance timeout.
  const extraWaitMs = Math.max(0, request.rebalanceTimeoutMs) + 5_000
  for (let round = 0; ; round++) {
    const body = await ctx.coordinators.call(request.groupId, async (broker) => {
      const { body } = await leased(broker, (c) => c.request(11, joinGroupRequest(request, memberId), { extraWaitMs }))
      if (body.errorCode === MEMBER_ID_REQUIRED) return body
      const error = groupError(body.errorCode, request.groupId)
      if (error) throw withMemberId(error, body.memberId)
      return body
    })
    if (body.errorCode === MEMBER_ID_REQUIRED) {
      const error = withMemberId(groupError(body.errorCode, request.groupId) as TributaryError, body.memberId)
      // A caller that speaks KIP-394 itself (a Kafka server in front of this broker) gets the error.
      if (round > 0 || body.memberId === '' || request.requireKnownMemberId) throw error
      memberId = body.memberId
      continue
    }
    return parseJoinGroup(body, request.protocolType)
  }
}

/** syncGroup sends the leader's assignment (or, from followers, none) and returns this member's. */
export async function syncGroup(ctx: KafkaContext, request: SyncGroupRequest): Promise<GroupAssignment> {
  checkGroupId(request?.groupId)
  const body = await ctx.coordinators.call(request.groupId, async (broker) => {
    // A follower's sync waits for the leader's, which may take up to the rebalance timeout.
    const { body } = await leased(broker, (c) => c.request(14, syncGroupRequest(request), { extraWaitMs: ctx.options.requestTimeoutMs }))
    const error = groupError(body.errorCode, request.groupId)
    if (error) throw error
    return body
  })
  return parseSyncGroupAssignment(body.assignment)
}

/** heartbeat tells the coordinator a member is alive (REBALANCE_IN_PROGRESS: rejoin). */
export async function heartbeat(ctx: KafkaContext, request: GroupMemberRef): Promise<void> {
  checkGroupId(request?.groupId)
  await ctx.coordinators.call(request.groupId, async (broker) => {
    const { body } = await ctx.send(broker, 'group', 12, heartbeatRequest(request))
    const error = groupError(body.errorCode, request.groupId)
    if (error) throw error
  })
}

/**
 * leaveGroup removes members (LeaveGroup v3+ takes a list; older versions one member a request).
 * A static member leaving by its own member id is not sent: Kafka would remove it and rebalance,
 * whereas a static member that stops keeps its place until its session times out (what Java's
 * consumer does by not sending LeaveGroup, and what the embedded coordinator does), so a restart
 * within the timeout moves no partition. Naming only the instance id (member id '') removes it.
 */
export async function leaveGroup(ctx: KafkaContext, request: LeaveGroupRequest): Promise<void> {
  checkGroupId(request?.groupId)
  if (!Array.isArray(request.members)) throw new TributaryError('INVALID_REQUEST', 'leaveGroup members must be an array')
  const members = request.members.filter((m) => !(m.groupInstanceId && m.memberId !== ''))
  if (members.length === 0) return
  await ctx.coordinators.call(request.groupId, async (broker) => {
    const c = await broker.connection('group')
    const version = c.versions.version(13)
    const batches = version >= 3 ? [members] : members.map((m) => [m])
    for (const batch of batches) {
      const { body } = await c.request(
        13,
        {
          groupId: request.groupId,
          memberId: batch[0]?.memberId ?? '',
          members: batch.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, reason: null })),
        },
        { version },
      )
      const error =
        groupError(body.errorCode, request.groupId) ?? body.members.map((m) => groupError(m.errorCode, request.groupId)).find(Boolean)
      if (error) throw error
    }
  })
}

/** commitOffsets commits offsets with their metadata (generation -1 and member '' from outside the group). */
export async function commitOffsets(ctx: KafkaContext, request: OffsetCommitRequest): Promise<void> {
  checkGroupId(request?.groupId)
  checkPartitionRequests(request.offsets, 'commitOffsets offsets')
  for (const o of request.offsets) {
    if (!Number.isSafeInteger(o.offset) || o.offset < 0)
      throw new TributaryError(
        'INVALID_ARGUMENT',
        `offset of ${o.topic}-${o.partition} must be a non-negative integer, got ${String(o.offset)}`,
      )
    if (o.metadata !== undefined && o.metadata !== null && typeof o.metadata !== 'string')
      throw new TributaryError('INVALID_ARGUMENT', `metadata of ${o.topic}-${o.partition} must be a string or null`)
  }
  if (request.offsets.length === 0) return
  // Kafka commits the partitions it knows and refuses the others one by one: checked first against
  // metadata, so that a commit naming a partition the cluster does not have lands none of its offsets.
  await ctx.cache.ensure(request.offsets)
  for (const o of request.offsets) {
    const refused = partitionError(o.topic, o.partition)
    if (refused || ctx.cache.leaderOf(o.topic, o.partition) === undefined)
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `There is no partition ${o.partition} of topic '${o.topic}'`, {
        details: { groupId: request.groupId, topic: o.topic, partition: o.partition },
      })
  }
  await ctx.coordinators.call(request.groupId, async (broker) => {
    const { body } = await ctx.send(broker, 'group', 8, offsetCommitRequest(request))
    const error = offsetCommitError(body, request.groupId)
    if (error) throw error
  })
}

/** fetchOffsets reads committed offsets: every one of the group's, or the named partitions' (-1 where none). */
export async function fetchOffsets(ctx: KafkaContext, groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
  checkGroupId(groupId)
  if (partitions !== undefined && partitions.length === 0) return []
  return ctx.coordinators.call(groupId, async (broker) => {
    const { body, version } = await ctx.send(broker, 'group', 9, offsetFetchRequest(groupId, partitions))
    return parseOffsetFetch(body, version, groupId, partitions)
  })
}

/** describeGroups describes groups at their coordinators (an unknown group is Dead). */
export async function describeGroups(ctx: KafkaContext, groupIds: string[]): Promise<GroupDescription[]> {
  if (!Array.isArray(groupIds)) throw new TributaryError('INVALID_REQUEST', 'describeGroups takes an array of group ids')
  for (const id of groupIds) checkGroupId(id)
  return Promise.all(
    groupIds.map(async (groupId) => {
      const described = await ctx.coordinators.call(groupId, async (broker) => {
        const { body } = await ctx.send(broker, 'group', 15, { groups: [groupId], includeAuthorizedOperations: false })
        return parseDescribeGroups(body)[0]
      })
      return described ?? { groupId, state: 'Dead', protocolType: '', protocol: '', generationId: -1, members: [] }
    }),
  )
}

/**
 * listGroups asks every broker for the groups it coordinates (each broker knows only its own),
 * sorted by id. Brokers before ListGroups v4 give no state: those groups are described for it.
 */
export async function listGroups(ctx: KafkaContext): Promise<GroupListing[]> {
  await ctx.cache.ensure([])
  const ids = ctx.connections.nodeIds()
  const lists = await Promise.all(
    ids.map(async (id) => {
      const { body, version } = await ctx.send(ctx.connections.node(id), 'group', 16, { statesFilter: [], typesFilter: [] })
      const error = groupError(body.errorCode, '')
      if (error) throw error
      if (version >= 4) return body.groups.map(listedGroup)
      const described = await describeGroups(
        ctx,
        body.groups.map((g) => g.groupId),
      )
      return described.map((d) => ({ groupId: d.groupId, protocolType: d.protocolType, state: d.state }))
    }),
  )
  const byId = new Map<string, GroupListing>()
  for (const list of lists) for (const g of list) byId.set(g.groupId, g)
  return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
}

/** deleteGroups deletes empty groups and their offsets (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND otherwise). */
export async function deleteGroups(ctx: KafkaContext, groupIds: string[]): Promise<void> {
  if (!Array.isArray(groupIds)) throw new TributaryError('INVALID_REQUEST', 'deleteGroups takes an array of group ids')
  for (const id of groupIds) checkGroupId(id)
  const results = await Promise.all(
    groupIds.map((groupId) =>
      ctx.coordinators.call(groupId, async (broker) => {
        const { body } = await ctx.send(broker, 'group', 42, { groupsNames: [groupId] })
        const r = body.results.find((x) => x.groupId === groupId)
        const error = groupError(r?.errorCode ?? 0, groupId)
        // A coordinator error inside the result moves the call to the right coordinator.
        if (error && (error.code === 'NOT_COORDINATOR' || error.code === 'COORDINATOR_NOT_AVAILABLE')) throw error
        return error
      }),
    ),
  )
  const failed = results.find(Boolean)
  if (failed) throw failed
}

/** leased runs `fn` on a connection of its own (a call that waits at the broker), returning it afterwards. */
async function leased<T>(broker: BrokerConnections, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const lease = await broker.lease()
  let ok = false
  try {
    const result = await fn(lease.connection)
    ok = true
    return result
  } finally {
    lease.release(!ok)
  }
}

function withMemberId(error: TributaryError, memberId: string): TributaryError {
  if (!memberId) return error
  return new TributaryError(error.code, error.message, { cause: error.cause, details: { ...error.details, memberId } })
}

/** checkGroupId refuses a group id Kafka would refuse (INVALID_GROUP_ID), before anything is sent. */
function checkGroupId(groupId: unknown): asserts groupId is string {
  if (typeof groupId !== 'string' || groupId.length === 0 || groupId.length > 32767) {
    throw new TributaryError('INVALID_GROUP_ID', `invalid group id ${JSON.stringify(groupId)}: must be a non-empty string`)
  }
}
