import type {
  GroupAssignment,
  GroupDescription,
  GroupListing,
  GroupMemberRef,
  GroupState,
  JoinGroupRequest,
  JoinGroupResult,
  OffsetCommitRequest,
  OffsetFetchResult,
  SyncGroupRequest,
  TopicPartition,
  TributaryError,
} from '@tributary/core'
import { errorFromKafkaCode } from '../../error-codes'
import type { RequestInput } from '../../messages'
import type { DescribeGroupsResponse } from '../../messages/15-describe-groups'
import type { JoinGroupResponse } from '../../messages/11-join-group'
import type { OffsetCommitResponse } from '../../messages/08-offset-commit'
import type { OffsetFetchResponse } from '../../messages/09-offset-fetch'
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../consumer-protocol'
import { groupByTopic } from './partitions'

/*
 * The classic consumer-group protocol as the Broker contract sees it: subscriptions and
 * assignments travel as Kafka's ConsumerProtocol bytes (so members running other clients read
 * them), errors come back as TributaryErrors with Kafka's codes, and the shapes that changed
 * between versions (LeaveGroup's member list, OffsetFetch's groups) are written for the version sent.
 */

/** groupError is a group API's error code as a TributaryError (null for none), naming the group. */
export function groupError(errorCode: number, groupId: string, message?: string | null): TributaryError | null {
  return errorFromKafkaCode(errorCode, message ? `group ${JSON.stringify(groupId)}: ${message}` : null, { groupId })
}

/** joinGroupRequest writes each protocol's subscription as ConsumerProtocolSubscription bytes. */
export function joinGroupRequest(req: JoinGroupRequest, memberId: string): RequestInput<11> {
  return {
    groupId: req.groupId,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    protocolType: req.protocolType,
    // Metadata bytes a Kafka client sent (a proxied member) go as they are; Tributary's own are encoded.
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata ?? encodeSubscription(p.subscription) })),
    reason: null,
  }
}

/**
 * parseJoinGroup reads a successful JoinGroup answer; the leader gets every member's subscription,
 * read from whatever client wrote it, with the bytes themselves (`metadata`). Groups of another
 * protocol type (Kafka Connect's "connect", …) carry no consumer subscription: their members list
 * no topics.
 * @throws TributaryError CORRUPT_MESSAGE when a consumer group member's metadata is not Kafka's consumer protocol.
 */
export function parseJoinGroup(body: JoinGroupResponse, protocolType: string): JoinGroupResult {
  const consumer = (body.protocolType ?? protocolType) === CONSUMER_PROTOCOL_TYPE
  return {
    generationId: body.generationId,
    protocolName: body.protocolName ?? '',
    leaderId: body.leader,
    memberId: body.memberId,
    members: body.members.map((m) => {
      const { topics, ownedPartitions, userData } = consumer
        ? decodeSubscription(m.metadata)
        : { topics: [], ownedPartitions: [], userData: null }
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        subscription: { topics, ownedPartitions, userData },
        metadata: Buffer.from(m.metadata),
      }
    }),
  }
}

/** syncGroupRequest writes the leader's assignments as ConsumerProtocolAssignment bytes (empty from followers). */
export function syncGroupRequest(req: SyncGroupRequest): RequestInput<14> {
  return {
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    protocolType: null,
    protocolName: null,
    assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment.raw ?? encodeAssignment(a.assignment) })),
  }
}

/**
 * parseSyncGroupAssignment reads a member's assignment (empty bytes: nothing assigned), with the
 * bytes themselves (`raw`); bytes that are not the consumer protocol (another protocol type's
 * group) assign no partitions.
 */
export function parseSyncGroupAssignment(assignment: Buffer): GroupAssignment {
  const raw = Buffer.from(assignment)
  try {
    return { ...decodeAssignment(raw), raw }
  } catch {
    return { assignment: {}, userData: null, raw }
  }
}

/** heartbeatRequest is a member's heartbeat. */
export function heartbeatRequest(req: GroupMemberRef): RequestInput<12> {
  return { groupId: req.groupId, generationId: req.generationId, memberId: req.memberId, groupInstanceId: req.groupInstanceId ?? null }
}

/** offsetCommitRequest commits offsets (generation -1 and member '' from outside the group). */
export function offsetCommitRequest(req: OffsetCommitRequest): RequestInput<8> {
  return {
    groupId: req.groupId,
    generationIdOrMemberEpoch: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    retentionTimeMs: -1,
    topics: groupByTopic(req.offsets).map(([name, offsets]) => ({
      name,
      partitions: offsets.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: -1,
        commitTimestamp: -1,
        committedMetadata: o.metadata ?? null,
      })),
    })),
  }
}

/** offsetCommitError is the first partition error of an OffsetCommit answer, or null. */
export function offsetCommitError(body: OffsetCommitResponse, groupId: string): TributaryError | null {
  for (const t of body.topics) {
    for (const p of t.partitions) {
      const error = errorFromKafkaCode(p.errorCode, null, { groupId, topic: t.name, partition: p.partitionIndex })
      if (error) return error
    }
  }
  return null
}

/** offsetFetchRequest asks for a group's committed offsets (all of them when `partitions` is undefined). */
export function offsetFetchRequest(groupId: string, partitions: readonly TopicPartition[] | undefined): RequestInput<9> {
  const topics =
    partitions === undefined ? null : groupByTopic(partitions).map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) }))
  return { groupId, topics, groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], requireStable: false }
}

/**
 * parseOffsetFetch reads an OffsetFetch answer (v8+ per group, older flat): offset -1 where nothing
 * is committed, in request order when partitions were named.
 * @throws TributaryError the group's or the first partition's error.
 */
export function parseOffsetFetch(
  body: OffsetFetchResponse,
  version: number,
  groupId: string,
  partitions: readonly TopicPartition[] | undefined,
): OffsetFetchResult[] {
  const group = version >= 8 ? body.groups.find((g) => g.groupId === groupId) : { errorCode: body.errorCode, topics: body.topics }
  if (group === undefined) return (partitions ?? []).map((p) => ({ ...p, offset: -1, metadata: null }))
  const whole = groupError(group.errorCode, groupId)
  if (whole) throw whole
  const found = new Map<string, OffsetFetchResult>()
  for (const t of group.topics) {
    for (const p of t.partitions) {
      const error = errorFromKafkaCode(p.errorCode, null, { groupId, topic: t.name, partition: p.partitionIndex })
      if (error) throw error
      const committed = p.committedOffset >= 0
      found.set(`${t.name}\u0000${p.partitionIndex}`, {
        topic: t.name,
        partition: p.partitionIndex,
        offset: committed ? p.committedOffset : -1,
        // Kafka stores a null metadata as '' (OffsetAndMetadata.NO_METADATA): read it back as null.
        metadata: committed && p.metadata ? p.metadata : null,
      })
    }
  }
  if (partitions === undefined) return [...found.values()].filter((o) => o.offset >= 0)
  return partitions.map((p) => found.get(`${p.topic}\u0000${p.partition}`) ?? { ...p, offset: -1, metadata: null })
}

const STATES: Readonly<Record<string, GroupState>> = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  // Kafka before 2.0 called CompletingRebalance AwaitingSync.
  AwaitingSync: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
}

/** groupState maps Kafka's state name to the contract's (an unknown name reads as Dead). */
export function groupState(name: string): GroupState {
  return STATES[name] ?? 'Dead'
}

/**
 * parseDescribeGroups reads DescribeGroups: consumer groups' member metadata and assignments are
 * decoded (null when a member's bytes are not the consumer protocol). Kafka's answer has no
 * generation id: it is reported as -1. A group the coordinator does not know is Dead.
 * @throws TributaryError the first group's error other than GROUP_ID_NOT_FOUND.
 */
export function parseDescribeGroups(body: DescribeGroupsResponse): GroupDescription[] {
  return body.groups.map((g) => {
    const error = g.errorCode === 69 ? null : groupError(g.errorCode, g.groupId)
    if (error) throw error
    const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE
    return {
      groupId: g.groupId,
      state: g.errorCode === 69 ? 'Dead' : groupState(g.groupState),
      protocolType: g.protocolType,
      protocol: g.protocolData,
      generationId: -1,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: Buffer.from(m.memberMetadata),
        subscription: consumer ? tryDecode(() => decodeSubscription(m.memberMetadata)) : null,
        assignment: consumer && m.memberAssignment.length > 0 ? tryDecode(() => decodeAssignment(m.memberAssignment)) : null,
      })),
    }
  })
}

function tryDecode<T extends object>(decode: () => T): T | null {
  try {
    const value = decode()
    if ('version' in value) {
      const { version: _v, generationId: _g, rackId: _r, ...rest } = value as Record<string, unknown>
      return rest as T
    }
    return value
  } catch {
    return null
  }
}

/** listedGroup maps a ListGroups entry (state known from v4). */
export function listedGroup(g: { groupId: string; protocolType: string; groupState: string }): GroupListing {
  return { groupId: g.groupId, protocolType: g.protocolType, state: groupState(g.groupState) }
}
