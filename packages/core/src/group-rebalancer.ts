import { assert } from './assert'
import type { GroupAssignment, JoinGroupResult, SyncGroupRequest } from './broker'
import type { Clock } from './clock'
import type { Group } from './group'
import { deferred } from './deferred'
import type { GroupMember } from './group-member'
import type { GroupCoordinatorOptions } from './group-options'
import { groupError } from './group-validation'

/**
 * GroupRebalancer drives a group through Kafka's rebalance state machine on the injected clock:
 * the join phase (gather members, drop the absent), the sync phase (relay the leader's
 * assignment), and member sessions. The `GroupCoordinator` validates requests and calls it.
 */
export class GroupRebalancer {
  constructor(
    private readonly clock: Clock,
    private readonly options: Readonly<GroupCoordinatorOptions>,
  ) {}

  /** awaitJoin parks a member's JoinGroup until the join phase completes, starting one if needed. */
  awaitJoin(group: Group, member: GroupMember): Promise<JoinGroupResult> {
    member.joinWaiter?.reject(groupError('REBALANCE_IN_PROGRESS', group.groupId, 'superseded by a newer JoinGroup'))
    const waiter = deferred<JoinGroupResult>()
    member.joinWaiter = waiter
    // A member waiting in JoinGroup is alive by definition; the join phase has its own deadline.
    member.cancelSession()
    if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group)
    else this.prepareRebalance(group)
    return waiter.promise
  }

  /**
   * prepareRebalance starts a join phase: members must rejoin within the longest rebalance
   * timeout among them. Pending SyncGroups of an unfinished generation are told to rejoin.
   */
  prepareRebalance(group: Group): void {
    const fromEmpty = group.state === 'Empty'
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.syncWaiter?.reject(groupError('REBALANCE_IN_PROGRESS', group.groupId, 'the group is rebalancing; rejoin'))
        m.syncWaiter = null
      }
    }
    group.cancelTimers()
    group.synced.clear()
    group.state = 'PreparingRebalance'
    group.phaseTimer = this.clock.setTimeout(() => this.completeJoin(group), group.maxRebalanceTimeoutMs())
    const delayMs = fromEmpty ? this.options.initialRebalanceDelayMs : 0
    group.joinReadyAtMs = this.clock.now() + delayMs
    if (delayMs > 0) group.delayTimer = this.clock.setTimeout(() => this.tryCompleteJoin(group), delayMs)
    this.tryCompleteJoin(group)
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || this.clock.now() < group.joinReadyAtMs || !group.allJoined()) return
    this.completeJoin(group)
  }

  /**
   * completeJoin ends a join phase: dynamic members that did not rejoin are dropped (static ones
   * keep their place until their session expires, as in Kafka), a new generation starts, and
   * every waiting member learns it; the leader also gets every subscription.
   */
  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return
    group.cancelTimers()
    for (const m of [...group.members.values()]) {
      if (m.joinWaiter === null && !m.isStatic) this.dropMember(group, m, 'did not rejoin within the rebalance timeout')
    }
    const joined = [...group.members.values()].filter((m) => m.joinWaiter !== null)
    if (joined.length === 0 && group.members.size > 0) {
      // Only absent static members are left: wait again until they rejoin or their sessions expire.
      group.phaseTimer = this.clock.setTimeout(() => this.completeJoin(group), group.maxRebalanceTimeoutMs())
      return
    }
    group.generationId++
    if (group.members.size === 0) return this.becomeEmpty(group)
    // The leader stays leader if it rejoined; otherwise the earliest member that did takes over.
    const current = group.leaderId === null ? undefined : group.members.get(group.leaderId)
    const leader = current?.joinWaiter ? current : joined[0]
    // The group has members, and those that did not rejoin were dropped above (or are static, and
    // then some member did rejoin, or the phase waits again): a rejoined member is there to lead.
    assert(leader !== undefined, `group ${group.groupId} completes a join with no member that rejoined`)
    group.leaderId = leader.memberId
    group.protocolName = group.selectProtocol(leader)
    group.state = 'CompletingRebalance'
    for (const m of group.members.values()) m.assignment = null
    for (const m of joined) {
      m.joinWaiter?.resolve(group.joinResultFor(m))
      m.joinWaiter = null
      this.resetSession(group, m)
    }
    const generationId = group.generationId
    group.phaseTimer = this.clock.setTimeout(() => this.onSyncTimeout(group, generationId), group.maxRebalanceTimeoutMs())
  }

  private becomeEmpty(group: Group): void {
    group.state = 'Empty'
    group.protocolName = null
    group.leaderId = null
  }

  // ---- sync internals -----------------------------------------------------------------------

  /** completeSync stores the leader's assignment, makes the group Stable and answers every waiting member. */
  completeSync(group: Group, assignments: SyncGroupRequest['assignments']): void {
    assert(group.state === 'CompletingRebalance', `group ${group.groupId} completes a sync in state ${group.state}`)
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]))
    group.cancelTimers()
    group.state = 'Stable'
    for (const m of group.members.values()) {
      m.assignment = copyAssignment(byMember.get(m.memberId))
      m.syncWaiter?.resolve(m.assignment)
      m.syncWaiter = null
    }
  }

  /** onSyncTimeout: the leader never sent its assignment; members that did not sync are dropped and the group rebalances. */
  private onSyncTimeout(group: Group, generationId: number): void {
    if (group.state !== 'CompletingRebalance' || group.generationId !== generationId) return
    for (const m of [...group.members.values()]) {
      if (!group.synced.has(m.memberId)) this.dropMember(group, m, 'did not sync within the rebalance timeout')
    }
    this.prepareRebalance(group)
  }

  // ---- sessions and removal -----------------------------------------------------------------

  resetSession(group: Group, member: GroupMember): void {
    member.cancelSession()
    member.sessionTimer = this.clock.setTimeout(() => this.onSessionExpired(group, member), member.sessionTimeoutMs)
  }

  private onSessionExpired(group: Group, member: GroupMember): void {
    member.sessionTimer = null
    if (group.members.get(member.memberId) !== member) return
    // As in Kafka, a member blocked in JoinGroup or SyncGroup is alive: the phase timers bound the wait.
    if (member.joinWaiter !== null || member.syncWaiter !== null) return this.resetSession(group, member)
    this.removeMember(group, member, `session timed out after ${member.sessionTimeoutMs} ms`)
  }

  /** removeMember takes a member out and rebalances (or finishes the join phase) as Kafka does. */
  removeMember(group: Group, member: GroupMember, reason: string): void {
    this.dropMember(group, member, reason)
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group)
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group)
  }

  private dropMember(group: Group, member: GroupMember, reason: string): void {
    member.cancelSession()
    member.failPending(groupError('UNKNOWN_MEMBER_ID', group.groupId, `member ${member.memberId} ${reason}`))
    group.remove(member.memberId)
  }
}

function copyAssignment(assignment: GroupAssignment | undefined): GroupAssignment {
  const copy: Record<string, number[]> = {}
  for (const [topic, partitions] of Object.entries(assignment?.assignment ?? {})) copy[topic] = [...partitions]
  const raw = assignment?.raw
  return raw instanceof Uint8Array
    ? { assignment: copy, userData: assignment?.userData ?? null, raw: Buffer.from(raw) }
    : { assignment: copy, userData: assignment?.userData ?? null }
}
