import type { GroupDescription, GroupProtocol, GroupState, JoinGroupResult } from './broker'
import type { TimerHandle } from './clock'
import type { GroupMember } from './group-member'

/**
 * Group is one classic consumer group's membership and generation: plain state that the
 * `GroupCoordinator` drives through Kafka's state machine.
 *
 *     Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
 *       ▲                 ▲        │ (no members left)                 │ leader's SyncGroup
 *       └─────────────────┼────────┘                                   ▼
 *                         └──── join, leave, expiry, new partitions ── Stable
 *     any state ──deleteGroups (Empty only)──▶ Dead
 *
 * Invariants: `members` keeps join order (the first joined member becomes leader when the old
 * leader is gone); every static member appears in `staticIds` under its instance id; outside
 * Empty and Dead, `protocolName` is supported by every member once a generation completed.
 */
export class Group {
  readonly groupId: string
  state: GroupState = 'Empty'
  /** Bumped by every completed join phase; 0 before the first. */
  generationId = 0
  /** Set by the first member; kept while the group is empty, as Kafka does. */
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, GroupMember>()
  /** Members that sent SyncGroup in the current CompletingRebalance phase. */
  readonly synced = new Set<string>()
  /** The join phase may not complete before this time (the initial rebalance delay). */
  joinReadyAtMs = 0
  /** The join-phase or sync-phase deadline, whichever phase the group is in. */
  phaseTimer: TimerHandle | null = null
  /** Fires when the initial rebalance delay is over. */
  delayTimer: TimerHandle | null = null
  private readonly staticIds = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet joined, with their expiry timers. */
  private readonly pending = new Map<string, TimerHandle>()

  constructor(groupId: string) {
    this.groupId = groupId
  }

  /** memberByInstance finds the live member holding a static instance id. */
  memberByInstance(groupInstanceId: string): GroupMember | undefined {
    const memberId = this.staticIds.get(groupInstanceId)
    return memberId === undefined ? undefined : this.members.get(memberId)
  }

  /** pendingCount is the number of member ids handed out and not yet used to join. */
  get pendingCount(): number {
    return this.pending.size
  }

  /** addPending remembers a member id handed out with MEMBER_ID_REQUIRED until `expiry` fires. */
  addPending(memberId: string, expiry: TimerHandle): void {
    this.pending.set(memberId, expiry)
  }

  /** takePending forgets a handed-out member id and tells whether it was pending. */
  takePending(memberId: string): boolean {
    const timer = this.pending.get(memberId)
    if (timer === undefined) return false
    timer.cancel()
    this.pending.delete(memberId)
    return true
  }

  /** add makes `member` part of the group. */
  add(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticIds.set(member.groupInstanceId, member.memberId)
  }

  /** remove takes a member out of the group (and out of the leadership). */
  remove(memberId: string): void {
    const member = this.members.get(memberId)
    if (member === undefined) return
    this.members.delete(memberId)
    this.synced.delete(memberId)
    if (member.groupInstanceId !== null && this.staticIds.get(member.groupInstanceId) === memberId) {
      this.staticIds.delete(member.groupInstanceId)
    }
    if (this.leaderId === memberId) this.leaderId = null
  }

  /**
   * replace puts `next` (a restarted static member with a new member id) in the place of `old`,
   * keeping its join position and its leadership.
   */
  replace(old: GroupMember, next: GroupMember): void {
    const entries = [...this.members.values()].map((m) => (m === old ? next : m))
    this.members.clear()
    for (const m of entries) this.members.set(m.memberId, m)
    if (next.groupInstanceId !== null) this.staticIds.set(next.groupInstanceId, next.memberId)
    if (this.synced.delete(old.memberId)) this.synced.add(next.memberId)
    if (this.leaderId === old.memberId) this.leaderId = next.memberId
  }

  /** allJoined tells whether every member is waiting in JoinGroup (vacuously true when empty). */
  allJoined(): boolean {
    for (const m of this.members.values()) if (m.joinWaiter === null) return false
    return true
  }

  /** maxRebalanceTimeoutMs is how long a join phase waits: the longest any member asked for. */
  maxRebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  /**
   * supportsProtocols tells whether a member offering `protocols` may be in the group: an empty
   * group takes any protocol type; otherwise the type must match and at least one protocol must
   * be supported by every other member (`except` is the member being updated or replaced).
   */
  supportsProtocols(protocolType: string, protocols: GroupProtocol[], except?: GroupMember): boolean {
    const others = [...this.members.values()].filter((m) => m !== except)
    if (others.length === 0) return true
    if (protocolType !== this.protocolType) return false
    return protocols.some((p) => others.every((m) => m.supports(p.name)))
  }

  /** selectProtocol picks the first protocol, in the leader's order of preference, that every member supports. */
  selectProtocol(leader: GroupMember): string | null {
    const all = [...this.members.values()]
    return leader.protocols.find((p) => all.every((m) => m.supports(p.name)))?.name ?? null
  }

  /** joinResultFor is the JoinGroup answer for `member`: every member's subscription for the leader only. */
  joinResultFor(member: GroupMember): JoinGroupResult {
    const isLeader = member.memberId === this.leaderId
    return {
      generationId: this.generationId,
      protocolName: this.protocolName ?? '',
      leaderId: this.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            subscription: m.subscription(this.protocolName) ?? { topics: [] },
            ...withMetadata(m.metadata(this.protocolName)),
          }))
        : [],
    }
  }

  /** cancelTimers stops the phase and delay timers. */
  cancelTimers(): void {
    this.phaseTimer?.cancel()
    this.phaseTimer = null
    this.delayTimer?.cancel()
    this.delayTimer = null
  }

  /** dropPending forgets every handed-out member id (on close). */
  dropPending(): void {
    for (const timer of this.pending.values()) timer.cancel()
    this.pending.clear()
  }

  /** describe reports the group for `describeGroups`. */
  describe(): GroupDescription {
    return {
      groupId: this.groupId,
      state: this.state,
      protocolType: this.protocolType ?? '',
      protocol: this.protocolName ?? '',
      generationId: this.generationId,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscription: m.subscription(this.protocolName),
        ...withMetadata(m.metadata(this.protocolName)),
        assignment: m.assignment,
      })),
    }
  }
}

/** withMetadata adds a member's raw protocol metadata to an answer only when there is some. */
function withMetadata(metadata: Buffer | undefined): { metadata?: Buffer } {
  return metadata === undefined ? {} : { metadata }
}
