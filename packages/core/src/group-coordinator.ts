import type {
  GroupAssignment,
  GroupDescription,
  GroupListing,
  GroupMemberRef,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetFetchResult,
  SyncGroupRequest,
} from './broker'
import type { Clock } from './clock'
import { Group } from './group'
import { deferred } from './deferred'
import { GroupMember } from './group-member'
import { GroupRebalancer } from './group-rebalancer'
import { GroupOffsets, type OffsetStorage } from './group-offsets'
import { type GroupCoordinatorOptions, resolveGroupCoordinatorOptions } from './group-options'
import {
  checkFenced,
  groupError,
  inconsistentProtocol,
  requireGeneration,
  requireMember,
  validateCommitEntries,
  validateGroupId,
  validateJoin,
} from './group-validation'
import type { TopicPartition } from './model'
import { TributaryError } from './errors'

/** GroupCoordinatorDeps is what the coordinator needs from its broker. */
export interface GroupCoordinatorDeps {
  /** Drives session, rebalance and initial-delay timers. */
  clock: Clock
  /** Where committed offsets live durably. */
  offsets: OffsetStorage
  /** A topic's partition count, or undefined when the topic does not exist. */
  partitionCount(topic: string): number | undefined
}

/**
 * GroupCoordinator runs Kafka's classic consumer-group protocol for one node: JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, offset commit and fetch, and the admin calls. Assignment is
 * the leader's job (client side); the coordinator only gathers members, picks a leader and a
 * protocol, hands out generations and relays the leader's assignment.
 *
 * Liveness is heartbeats alone: a member whose session timer (reset by heartbeat, join, sync and
 * commit) runs out is removed and the group rebalances. The coordinator never waits on user code.
 *
 * A first JoinGroup with memberId '' is given its id and joins in the same call, skipping Kafka's
 * MEMBER_ID_REQUIRED round trip (which exists so a broker can tell a retried join from a new
 * member over an unreliable network; an in-process call cannot be lost half-way), unless the
 * caller asks for the round trip (`requireKnownMemberId`, as the Kafka protocol server does for
 * JoinGroup v4+).
 *
 * Every public method throws COORDINATOR_NOT_AVAILABLE after `close()`.
 */
export class GroupCoordinator {
  private readonly options: Readonly<GroupCoordinatorOptions>
  private readonly clock: Clock
  private readonly partitionCount: (topic: string) => number | undefined
  private readonly offsets: GroupOffsets
  private readonly groups = new Map<string, Group>()
  private readonly rebalancer: GroupRebalancer
  /** Part of every member id, so ids handed out before a restart are never handed out again. */
  private readonly incarnation: string
  private nextMemberSeq = 0
  private loaded = false
  private closed = false

  /** Creates a coordinator; throws INVALID_CONFIG for bad options. */
  constructor(deps: GroupCoordinatorDeps, options?: Partial<GroupCoordinatorOptions>) {
    this.options = resolveGroupCoordinatorOptions(options)
    this.clock = deps.clock
    this.partitionCount = deps.partitionCount
    this.offsets = new GroupOffsets(deps.offsets)
    this.rebalancer = new GroupRebalancer(deps.clock, this.options)
    this.incarnation = deps.clock.now().toString(36)
  }

  /**
   * load reads committed offsets from the storage; each group that has some appears as an Empty
   * group. Every other method loads first if this was not called, so offsets are never missed.
   */
  async load(): Promise<void> {
    this.ensureLoaded()
  }

  // ---- membership ---------------------------------------------------------------------------

  /**
   * joinGroup joins or re-joins a group and resolves once the rebalance has gathered every
   * member (or its rebalance timeout has passed). Throws INVALID_GROUP_ID,
   * INVALID_SESSION_TIMEOUT, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED,
   * INVALID_REQUEST (inconsistent protocols); a pending join rejects with REBALANCE_IN_PROGRESS
   * when superseded by another join of the same member.
   */
  async joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    this.ensureOpen()
    validateJoin(req, this.options)
    const existing = this.liveGroup(req.groupId)
    if (req.memberId !== '') {
      if (existing === undefined) throw groupError('UNKNOWN_MEMBER_ID', req.groupId, `unknown member ${JSON.stringify(req.memberId)}`)
      if (!existing.members.has(req.memberId) && existing.takePending(req.memberId)) return this.joinNewMember(existing, req, req.memberId)
      return this.joinKnownMember(existing, req)
    }
    if (req.requireKnownMemberId === true && (req.groupInstanceId ?? null) === null) return this.requireMemberId(existing, req)
    return this.joinNewMember(existing ?? this.createGroup(req.groupId), req)
  }

  /**
   * requireMemberId answers a first join of a Kafka client (JoinGroup v4+): the member id it must
   * join with, remembered for one session timeout, as MEMBER_ID_REQUIRED.
   */
  private requireMemberId(existing: Group | undefined, req: JoinGroupRequest): never {
    const group = existing ?? this.createGroup(req.groupId)
    if (group.members.size + group.pendingCount >= this.options.maxGroupSize) {
      throw groupError('GROUP_MAX_SIZE_REACHED', group.groupId, `the group already has ${group.members.size} members`)
    }
    const memberId = this.newMemberId(req)
    group.addPending(
      memberId,
      this.clock.setTimeout(() => group.takePending(memberId), req.sessionTimeoutMs),
    )
    throw groupError('MEMBER_ID_REQUIRED', group.groupId, 'join again with the member id given', { memberId })
  }

  /**
   * syncGroup delivers the leader's assignment (from the leader) and resolves with the calling
   * member's share once the leader has sent it. Throws UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
   * ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS.
   */
  async syncGroup(req: SyncGroupRequest): Promise<GroupAssignment> {
    this.ensureOpen()
    const group = this.requireGroup(req.groupId, req.memberId)
    const member = requireMember(group, req.memberId, req.groupInstanceId)
    requireGeneration(group, req.generationId)
    if (group.state === 'PreparingRebalance') throw groupError('REBALANCE_IN_PROGRESS', group.groupId, 'rejoin the group')
    this.rebalancer.resetSession(group, member)
    if (group.state === 'Stable') return member.assignment ?? { assignment: {} }
    member.syncWaiter?.reject(groupError('REBALANCE_IN_PROGRESS', group.groupId, 'superseded by a newer SyncGroup'))
    const waiter = deferred<GroupAssignment>()
    member.syncWaiter = waiter
    group.synced.add(member.memberId)
    if (member.memberId === group.leaderId) this.rebalancer.completeSync(group, req.assignments)
    return waiter.promise
  }

  /**
   * heartbeat keeps a member's session alive. Throws UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
   * ILLEGAL_GENERATION, and REBALANCE_IN_PROGRESS while the group waits for members to rejoin
   * (PreparingRebalance). Between join and sync (CompletingRebalance) heartbeats of the new
   * generation succeed, as in Kafka, because the member has already rejoined.
   */
  async heartbeat(ref: GroupMemberRef): Promise<void> {
    this.ensureOpen()
    const group = this.requireGroup(ref.groupId, ref.memberId)
    const member = requireMember(group, ref.memberId, ref.groupInstanceId)
    requireGeneration(group, ref.generationId)
    this.rebalancer.resetSession(group, member)
    if (group.state === 'PreparingRebalance') throw groupError('REBALANCE_IN_PROGRESS', group.groupId, 'rejoin the group')
  }

  /**
   * leaveGroup removes members, which rebalances the group. A static member leaving by its own
   * member id keeps its place until its session times out (as a Kafka static member that stops
   * without a LeaveGroup does), so a restart within the timeout moves no partition; naming only
   * the instance id (memberId '') removes it at once (Kafka's admin removal). Throws
   * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID; nothing is removed unless every member named is valid.
   */
  async leaveGroup(req: LeaveGroupRequest): Promise<void> {
    this.ensureOpen()
    const group = this.requireGroup(req.groupId, req.members?.[0]?.memberId ?? '')
    if (!Array.isArray(req.members)) throw groupError('INVALID_REQUEST', req.groupId, 'members must be an array')
    const leaving = req.members.map(({ memberId, groupInstanceId }) => {
      if (memberId !== '') return requireMember(group, memberId, groupInstanceId)
      const member = groupInstanceId ? group.memberByInstance(groupInstanceId) : undefined
      if (member === undefined)
        throw groupError('UNKNOWN_MEMBER_ID', group.groupId, `no member with instance id ${String(groupInstanceId)}`)
      return { member }
    })
    for (const entry of leaving) {
      if (entry instanceof GroupMember) {
        if (!entry.isStatic) this.rebalancer.removeMember(group, entry, 'left the group')
      } else this.rebalancer.removeMember(group, entry.member, 'removed by instance id')
    }
  }

  // ---- offsets ------------------------------------------------------------------------------

  /**
   * commitOffsets stores offsets durably before resolving. A member commits in its current
   * generation (also while the group prepares a rebalance: the partitions are still its own, and
   * this is where the eager protocol commits before revoking); generation -1 commits from outside
   * the group, allowed only while the group is Empty. Throws ILLEGAL_GENERATION,
   * REBALANCE_IN_PROGRESS (between join and sync), UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
   * UNKNOWN_TOPIC_OR_PARTITION, INVALID_ARGUMENT, COORDINATOR_NOT_AVAILABLE (group being deleted).
   */
  async commitOffsets(req: OffsetCommitRequest): Promise<void> {
    this.ensureOpen()
    validateGroupId(req.groupId)
    const group = this.groups.get(req.groupId)
    if (group === undefined && req.generationId >= 0) {
      throw groupError('ILLEGAL_GENERATION', req.groupId, `no generation ${req.generationId}: the group has no members`)
    }
    if (group !== undefined) this.validateCommitter(group, req)
    const entries = validateCommitEntries(req.groupId, req.offsets, this.partitionCount)
    if (group === undefined) this.createGroup(req.groupId)
    const commitTimestampMs = this.clock.now()
    await this.offsets.commit(
      entries.map((e) => ({
        groupId: req.groupId,
        topic: e.topic,
        partition: e.partition,
        offset: e.offset,
        metadata: e.metadata ?? null,
        commitTimestampMs,
      })),
    )
  }

  /** fetchOffsets returns committed offsets: all of a group's, or the named partitions' (-1 where none). */
  async fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    this.ensureOpen()
    validateGroupId(groupId)
    if (partitions === undefined) {
      return this.offsets.list(groupId).map(({ topic, partition, offset, metadata }) => ({ topic, partition, offset, metadata }))
    }
    return partitions.map(({ topic, partition }) => {
      const committed = this.offsets.get(groupId, topic, partition)
      return { topic, partition, offset: committed?.offset ?? -1, metadata: committed?.metadata ?? null }
    })
  }

  // ---- admin --------------------------------------------------------------------------------

  /** listGroups lists every group this coordinator knows, sorted by id. */
  async listGroups(): Promise<GroupListing[]> {
    this.ensureOpen()
    return this.sortedGroups().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }))
  }

  /** describeGroups describes groups; an unknown group is reported Dead with no members, as Kafka does. */
  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    this.ensureOpen()
    return groupIds.map((groupId) => {
      validateGroupId(groupId)
      const group = this.groups.get(groupId)
      return group?.describe() ?? { groupId, state: 'Dead', protocolType: '', protocol: '', generationId: -1, members: [] }
    })
  }

  /**
   * deleteGroups removes empty groups and their committed offsets. Throws GROUP_ID_NOT_FOUND or
   * NON_EMPTY_GROUP (checked for every group before any is deleted).
   */
  async deleteGroups(groupIds: string[]): Promise<void> {
    this.ensureOpen()
    const groups = [...new Set(groupIds)].map((groupId) => {
      validateGroupId(groupId)
      const group = this.liveGroup(groupId)
      if (group === undefined) throw groupError('GROUP_ID_NOT_FOUND', groupId, 'no such group')
      if (group.state !== 'Empty') throw groupError('NON_EMPTY_GROUP', groupId, `the group is ${group.state}, not Empty`)
      return group
    })
    for (const group of groups) await this.deleteGroup(group)
  }

  // ---- broker events ------------------------------------------------------------------------

  /** onPartitionsChanged rebalances every settled group with a member subscribed to `topic`. */
  onPartitionsChanged(topic: string): void {
    if (this.closed) return
    for (const group of this.groups.values()) {
      if (group.state !== 'Stable' && group.state !== 'CompletingRebalance') continue
      if ([...group.members.values()].some((m) => m.subscribesTo(topic))) this.rebalancer.prepareRebalance(group)
    }
  }

  /**
   * removeOrphanOffsets drops the committed offsets of topics that no longer exist (a crash
   * between a topic's deletion and the removal of its offsets), so that a topic created again
   * under the same name never starts from the old one's positions.
   */
  async removeOrphanOffsets(exists: (topic: string) => boolean): Promise<void> {
    this.ensureLoaded()
    for (const topic of this.offsets.topics()) if (!exists(topic)) await this.offsets.deleteTopic(topic)
  }

  /** onTopicDeleted drops every group's offsets for `topic` and rebalances its subscribers. */
  async onTopicDeleted(topic: string): Promise<void> {
    if (this.closed) return
    this.ensureLoaded()
    this.onPartitionsChanged(topic)
    await this.offsets.deleteTopic(topic)
  }

  /** close cancels every timer and rejects pending joins and syncs with COORDINATOR_NOT_AVAILABLE. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const group of this.groups.values()) {
      group.cancelTimers()
      group.dropPending()
      for (const member of group.members.values()) {
        member.cancelSession()
        member.failPending(groupError('COORDINATOR_NOT_AVAILABLE', group.groupId, 'the coordinator closed'))
      }
    }
  }

  // ---- join internals -----------------------------------------------------------------------

  private joinNewMember(group: Group, req: JoinGroupRequest, memberId = this.newMemberId(req)): Promise<JoinGroupResult> {
    const instanceId = req.groupInstanceId ?? null
    const previous = instanceId === null ? undefined : group.memberByInstance(instanceId)
    if (!group.supportsProtocols(req.protocolType, req.protocols, previous)) {
      throw inconsistentProtocol(group.groupId, 'no protocol in common with the group')
    }
    const member = new GroupMember({ ...req, groupInstanceId: instanceId, memberId })
    if (previous !== undefined) return this.replaceStaticMember(group, previous, member)
    if (group.members.size >= this.options.maxGroupSize) {
      throw groupError('GROUP_MAX_SIZE_REACHED', group.groupId, `the group already has ${group.members.size} members`)
    }
    group.add(member)
    return this.rebalancer.awaitJoin(group, member)
  }

  private joinKnownMember(group: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const member = requireMember(group, req.memberId, req.groupInstanceId)
    if (!group.supportsProtocols(req.protocolType, req.protocols, member)) {
      throw inconsistentProtocol(group.groupId, 'no protocol in common with the group')
    }
    const unchanged = member.matches(req.protocolType, req.protocols)
    updateMember(member, req)
    // As Kafka: a settled group re-sends the current generation to a follower that asks for
    // nothing new, and rebalances when the leader rejoins (it saw a metadata change) or a
    // member's subscription changed.
    const resend =
      group.state === 'CompletingRebalance' ? unchanged : group.state === 'Stable' && unchanged && member.memberId !== group.leaderId
    if (resend) {
      this.rebalancer.resetSession(group, member)
      return Promise.resolve(group.joinResultFor(member))
    }
    return this.rebalancer.awaitJoin(group, member)
  }

  /**
   * replaceStaticMember lets a restarted static member take over its old member's place and
   * assignment. In a Stable group with the same subscription there is no rebalance: the member
   * gets the current generation and syncs to its previous assignment. The old member id is fenced.
   */
  private replaceStaticMember(group: Group, old: GroupMember, member: GroupMember): Promise<JoinGroupResult> {
    const unchanged = old.matches(member.protocolType, member.protocols)
    old.cancelSession()
    old.failPending(groupError('FENCED_INSTANCE_ID', group.groupId, `instance ${member.groupInstanceId} rejoined as ${member.memberId}`))
    member.assignment = old.assignment
    group.replace(old, member)
    if (group.state === 'Stable' && unchanged) {
      this.rebalancer.resetSession(group, member)
      return Promise.resolve(group.joinResultFor(member))
    }
    // In CompletingRebalance the leader may be assigning to the old id, so Kafka rebalances again.
    return this.rebalancer.awaitJoin(group, member)
  }

  // ---- groups -------------------------------------------------------------------------------

  private async deleteGroup(group: Group): Promise<void> {
    // Dead while the storage deletes, so a join racing the deletion is told to retry.
    group.state = 'Dead'
    try {
      await this.offsets.deleteGroup(group.groupId)
    } catch (error) {
      group.state = 'Empty'
      throw error
    }
    this.groups.delete(group.groupId)
  }

  private validateCommitter(group: Group, req: OffsetCommitRequest): void {
    if (group.state === 'Dead') throw groupError('COORDINATOR_NOT_AVAILABLE', group.groupId, 'the group is being deleted')
    checkFenced(group, req.memberId, req.groupInstanceId)
    if (req.generationId < 0 && group.state === 'Empty') return
    if (group.state === 'CompletingRebalance')
      throw groupError('REBALANCE_IN_PROGRESS', group.groupId, 'the group is completing a rebalance')
    const member = requireMember(group, req.memberId, req.groupInstanceId)
    requireGeneration(group, req.generationId)
    this.rebalancer.resetSession(group, member)
  }

  private createGroup(groupId: string): Group {
    const group = new Group(groupId)
    this.groups.set(groupId, group)
    return group
  }

  /** liveGroup returns a group that accepts members; a group being deleted is COORDINATOR_NOT_AVAILABLE. */
  private liveGroup(groupId: string): Group | undefined {
    const group = this.groups.get(groupId)
    if (group?.state === 'Dead') throw groupError('COORDINATOR_NOT_AVAILABLE', groupId, 'the group is being deleted')
    return group
  }

  /** requireGroup finds the group a member request names; without one the member is unknown, as in Kafka. */
  private requireGroup(groupId: string, memberId: string): Group {
    validateGroupId(groupId)
    const group = this.liveGroup(groupId)
    if (group === undefined) throw groupError('UNKNOWN_MEMBER_ID', groupId, `unknown member ${JSON.stringify(memberId)}: no such group`)
    return group
  }

  private sortedGroups(): Group[] {
    return [...this.groups.values()]
      .filter((g) => g.state !== 'Dead')
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
  }

  private newMemberId(req: JoinGroupRequest): string {
    const prefix = req.groupInstanceId ?? (req.clientId || 'member')
    return `${prefix}-${this.incarnation}-${this.nextMemberSeq++}`
  }

  private ensureOpen(): void {
    if (this.closed) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is closed')
    this.ensureLoaded()
  }

  private ensureLoaded(): void {
    if (this.loaded) return
    this.offsets.load()
    this.loaded = true
    for (const groupId of this.offsets.groupIds()) if (!this.groups.has(groupId)) this.createGroup(groupId)
  }
}

function updateMember(member: GroupMember, req: JoinGroupRequest): void {
  member.clientId = req.clientId
  if (req.clientHost !== undefined) member.clientHost = req.clientHost
  member.sessionTimeoutMs = req.sessionTimeoutMs
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
  member.protocolType = req.protocolType
  member.protocols = req.protocols
}
