import { TributaryError, type GroupAssignment, type JoinGroupResult, type TopicPartition } from '@tributary/core'
import type { PartitionAssigner } from '../assignors'
import type { ClientContext } from '../context'
import { ConsumerEvents, type ClientEmitter, type ConsumerEventName } from '../events'
import type { ResolvedConsumerOptions } from '../options'
import { backoffMs, isRetriable, sleep } from '../retry'

/** Errors after which a member must join again (its generation or membership is gone). */
const REJOIN_CODES = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'])

/** needsRejoin tells whether a coordinator error means "join the group again". */
export function isRejoinError(error: unknown): boolean {
  return error instanceof TributaryError && REJOIN_CODES.has(error.code)
}

/**
 * GroupMembership is one consumer's membership in its group: JoinGroup (the leader also runs the
 * assignor), SyncGroup, LeaveGroup, and heartbeats on their own timer — never between handler
 * calls — so that a slow handler cannot get its member evicted. When a heartbeat (or a commit)
 * learns that the group is rebalancing, `onRejoinNeeded` tells the consumer, which finishes its
 * in-flight work, commits, and calls `join()` again (the eager protocol).
 */
export class GroupMembership {
  memberId = ''
  generationId = -1
  leaderId = ''
  protocolName = ''
  /** The partitions of the current generation. */
  assignment: TopicPartition[] = []
  private rejoinNeeded = true
  private heartbeatTimer: { cancel(): void } | null = null
  /** Heartbeats run between a successful sync and the next join or leave. */
  private beatsEnabled = false

  constructor(
    private readonly ctx: ClientContext,
    private readonly options: ResolvedConsumerOptions,
    private readonly assigners: PartitionAssigner[],
    private readonly emitter: ClientEmitter<ConsumerEventName>,
    private readonly onRejoinNeeded: () => void,
  ) {}

  /** needsRejoin tells whether the consumer must call `join()` before consuming further. */
  get needsRejoin(): boolean {
    return this.rejoinNeeded
  }

  /** requestRejoin marks the membership stale (after a rejoin error) and tells the consumer. */
  requestRejoin(error?: unknown): void {
    if (error instanceof TributaryError && error.code === 'UNKNOWN_MEMBER_ID' && !this.options.groupInstanceId) this.memberId = ''
    if (this.rejoinNeeded) return
    this.rejoinNeeded = true
    this.onRejoinNeeded()
  }

  /**
   * join runs JoinGroup and SyncGroup until they succeed, for a member subscribed to `topics`,
   * and returns the new assignment. Retriable and rejoin errors are retried with backoff until
   * `signal` aborts; anything else (FENCED_INSTANCE_ID, INVALID_SESSION_TIMEOUT, a closed broker) is thrown.
   */
  async join(topics: string[], signal: AbortSignal): Promise<TopicPartition[] | null> {
    this.beatsEnabled = false
    this.stopHeartbeats()
    for (let attempt = 0; !signal.aborted; attempt++) {
      const startedMs = this.ctx.clock.now()
      try {
        const joined = await this.joinOnce(topics)
        const assignment = await this.sync(joined)
        this.assignment = assignment
        this.rejoinNeeded = false
        this.emitJoin(joined, startedMs)
        this.beatsEnabled = true
        this.scheduleHeartbeat()
        return assignment
      } catch (error) {
        if (signal.aborted) return null
        if (error instanceof TributaryError && error.code === 'UNKNOWN_MEMBER_ID') this.memberId = ''
        if (!isRejoinError(error) && !isRetriable(error)) throw error
        await sleep(this.ctx.clock, backoffMs({ ...this.options.retry, initialRetryTimeMs: Math.min(50, this.options.retry.initialRetryTimeMs) }, Math.min(attempt, 6)), signal)
      }
    }
    return null
  }

  /** leave stops heartbeats and leaves the group (errors are ignored: the session timeout will do it). */
  async leave(): Promise<void> {
    this.beatsEnabled = false
    this.stopHeartbeats()
    const { memberId } = this
    this.generationId = -1
    this.assignment = []
    this.rejoinNeeded = true
    if (memberId === '') return
    try {
      await this.ctx.broker.leaveGroup({ groupId: this.options.groupId, members: [{ memberId, groupInstanceId: this.options.groupInstanceId }] })
    } catch {
      // Leaving is best effort: a member that could not say goodbye times out of the group.
    }
    if (!this.options.groupInstanceId) this.memberId = ''
  }

  /** stopHeartbeats cancels the heartbeat timer (on join and leave). */
  stopHeartbeats(): void {
    this.heartbeatTimer?.cancel()
    this.heartbeatTimer = null
  }

  private joinOnce(topics: string[]): Promise<JoinGroupResult> {
    const owned = this.assignment
    return this.ctx.broker.joinGroup({
      groupId: this.options.groupId,
      memberId: this.memberId,
      groupInstanceId: this.options.groupInstanceId,
      clientId: this.ctx.clientId,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
      protocolType: 'consumer',
      protocols: this.assigners.map((a) => ({ name: a.name, subscription: { topics, ownedPartitions: owned, userData: null } })),
    })
  }

  private async sync(joined: JoinGroupResult): Promise<TopicPartition[]> {
    this.memberId = joined.memberId
    this.generationId = joined.generationId
    this.leaderId = joined.leaderId
    this.protocolName = joined.protocolName
    const assignments = joined.leaderId === joined.memberId ? await this.assign(joined) : []
    const mine: GroupAssignment = await this.ctx.broker.syncGroup({
      groupId: this.options.groupId,
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: this.options.groupInstanceId,
      assignments,
    })
    return Object.entries(mine.assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })))
  }

  /** assign runs the chosen assignor over every member's subscription (the leader's job). */
  private async assign(joined: JoinGroupResult): Promise<Array<{ memberId: string; assignment: GroupAssignment }>> {
    const assigner = this.assigners.find((a) => a.name === joined.protocolName) ?? this.assigners[0]
    if (!assigner) throw new TributaryError('INVALID_CONFIG', 'No partition assigner configured')
    const topics = [...new Set(joined.members.flatMap((m) => m.subscription.topics))]
    const partitionsPerTopic: Record<string, number> = {}
    if (topics.length > 0) {
      const metadata = await this.ctx.broker.metadata({ topics: await this.existingTopics(topics) })
      for (const t of metadata.topics) partitionsPerTopic[t.name] = t.partitions.length
    }
    const plan = assigner.assign({ members: joined.members, partitionsPerTopic })
    return joined.members.map((m) => ({ memberId: m.memberId, assignment: { assignment: plan[m.memberId] ?? {}, userData: null } }))
  }

  /** existingTopics drops subscribed topics that do not exist (any more), so metadata does not fail for them. */
  private async existingTopics(topics: string[]): Promise<string[]> {
    const all = new Set((await this.ctx.broker.metadata()).topics.map((t) => t.name))
    return topics.filter((t) => all.has(t))
  }

  private emitJoin(joined: JoinGroupResult, startedMs: number): void {
    const memberAssignment: Record<string, number[]> = {}
    for (const { topic, partition } of this.assignment) (memberAssignment[topic] ??= []).push(partition)
    this.emitter.emit(ConsumerEvents.GROUP_JOIN, {
      duration: this.ctx.clock.now() - startedMs,
      groupId: this.options.groupId,
      isLeader: joined.leaderId === joined.memberId,
      leaderId: joined.leaderId,
      groupProtocol: joined.protocolName,
      memberId: joined.memberId,
      generationId: joined.generationId,
      memberAssignment,
    })
  }

  private scheduleHeartbeat(): void {
    this.stopHeartbeats()
    if (!this.beatsEnabled) return
    this.heartbeatTimer = this.ctx.clock.setTimeout(() => {
      this.heartbeatTimer = null
      void this.heartbeat()
    }, this.options.heartbeatIntervalMs)
  }

  /** heartbeat runs on its own timer; a rejoin error asks the consumer to rejoin, other errors wait for the next beat. */
  private async heartbeat(): Promise<void> {
    if (!this.beatsEnabled) return
    const generationId = this.generationId
    try {
      await this.ctx.broker.heartbeat({ groupId: this.options.groupId, generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId })
      this.emitter.emit(ConsumerEvents.HEARTBEAT, { groupId: this.options.groupId, memberId: this.memberId, groupGenerationId: generationId })
    } catch (error) {
      if (isRejoinError(error) || (error instanceof TributaryError && error.code === 'FENCED_INSTANCE_ID')) this.requestRejoin(error)
    }
    // Keep beating while the consumer finishes in-flight work before rejoining: the coordinator
    // counts those beats as liveness; join() disables them once it sends JoinGroup.
    if (this.heartbeatTimer === null) this.scheduleHeartbeat()
  }
}
