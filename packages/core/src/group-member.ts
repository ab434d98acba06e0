import type { GroupAssignment, GroupProtocol, GroupSubscription, JoinGroupResult } from './broker'
import type { TimerHandle } from './clock'
import type { Deferred } from './deferred'
import type { TributaryError } from './errors'

/**
 * GroupMember is one member of a classic consumer group as the coordinator tracks it.
 *
 * Invariants: `joinWaiter` is set only while the member waits for a rebalance to gather everyone;
 * `syncWaiter` only while it waits for the leader's assignment (CompletingRebalance).
 */
export class GroupMember {
  memberId: string
  readonly groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: GroupProtocol[]
  /** The assignment of the current generation; null until the leader's SyncGroup. */
  assignment: GroupAssignment | null = null
  joinWaiter: Deferred<JoinGroupResult> | null = null
  syncWaiter: Deferred<GroupAssignment> | null = null
  sessionTimer: TimerHandle | null = null

  constructor(fields: {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    clientHost?: string
    sessionTimeoutMs: number
    rebalanceTimeoutMs: number
    protocolType: string
    protocols: GroupProtocol[]
  }) {
    this.memberId = fields.memberId
    this.groupInstanceId = fields.groupInstanceId
    this.clientId = fields.clientId
    this.clientHost = fields.clientHost ?? ''
    this.sessionTimeoutMs = fields.sessionTimeoutMs
    this.rebalanceTimeoutMs = fields.rebalanceTimeoutMs
    this.protocolType = fields.protocolType
    this.protocols = fields.protocols
  }

  /** isStatic tells whether the member uses static membership (a group instance id). */
  get isStatic(): boolean {
    return this.groupInstanceId !== null
  }

  /** subscription returns the member's subscription under `protocolName`, or null if it lacks that protocol. */
  subscription(protocolName: string | null): GroupSubscription | null {
    return this.protocols.find((p) => p.name === protocolName)?.subscription ?? null
  }

  /** metadata returns the raw protocol metadata under `protocolName` (Kafka clients only). */
  metadata(protocolName: string | null): Buffer | undefined {
    return this.protocols.find((p) => p.name === protocolName)?.metadata
  }

  /** supports tells whether the member offers `protocolName`. */
  supports(protocolName: string): boolean {
    return this.protocols.some((p) => p.name === protocolName)
  }

  /** subscribesTo tells whether any of the member's protocols subscribes to `topic`. */
  subscribesTo(topic: string): boolean {
    return this.protocols.some((p) => p.subscription.topics.includes(topic))
  }

  /**
   * matches tells whether `protocols` asks for the same thing as the member's current ones:
   * the same protocol names in the same order, each with the same topic set. Owned partitions and
   * user data are left out on purpose: they change with every assignment (and are empty after a
   * restart) without the member wanting anything different. Groups of other protocol types
   * (Kafka Connect's, say) are opaque to Tributary: there the metadata bytes must be equal, as
   * Kafka requires of every group.
   */
  matches(protocolType: string, protocols: GroupProtocol[]): boolean {
    if (protocolType !== this.protocolType || protocols.length !== this.protocols.length) return false
    const opaque = protocolType !== 'consumer'
    return protocols.every((p, i) => {
      const mine = this.protocols[i]
      if (mine === undefined || mine.name !== p.name || !sameTopics(mine.subscription.topics, p.subscription.topics)) return false
      return !opaque || sameBytes(mine.metadata, p.metadata)
    })
  }

  /** cancelSession stops the session timer. */
  cancelSession(): void {
    this.sessionTimer?.cancel()
    this.sessionTimer = null
  }

  /** failPending rejects whatever join or sync the member is waiting on. */
  failPending(error: TributaryError): void {
    this.joinWaiter?.reject(error)
    this.joinWaiter = null
    this.syncWaiter?.reject(error)
    this.syncWaiter = null
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.equals(b)
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((t) => right.has(t))
}
