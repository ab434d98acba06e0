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
 *
 * The leader also watches the metadata it assigned from, as Kafka's consumer does: every
 * `metadataMaxAgeMs` it reads the partition counts of the group's subscribed topics again, and
 * when one changed (a topic created, grown, deleted, or missing from stale metadata and now
 * known) it rejoins, which makes the coordinator rebalance the group. While a subscribed topic is
 * unknown it looks again sooner, on the retry backoff, so that a leader that read stale metadata
 * does not leave the group with an empty assignment for long.
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
  /** The partition count (0: unknown) of each topic the group subscribed to, as this member last assigned them as leader. */
  private assignedCounts: Map<string, number> | null = null
  private metadataTimer: { cancel(): void } | null = null
  /** Metadata checks in a row that found a subscribed topic unknown, for their backoff. */
  private unknownChecks = 0

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
    this.stopMetadataChecks()
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
        if (joined.leaderId === joined.memberId) this.scheduleMetadataCheck()
        return assignment
      } catch (error) {
        if (signal.aborted) return null
        if (error instanceof TributaryError && error.code === 'UNKNOWN_MEMBER_ID') this.memberId = ''
        if (!isRejoinError(error) && !isRetriable(error)) throw error
        await sleep(
          this.ctx.clock,
          backoffMs(
            { ...this.options.retry, initialRetryTimeMs: Math.min(50, this.options.retry.initialRetryTimeMs) },
            Math.min(attempt, 6),
          ),
          signal,
        )
      }
    }
    return null
  }

  /** leave stops heartbeats and leaves the group (errors are ignored: the session timeout will do it). */
  async leave(): Promise<void> {
    this.beatsEnabled = false
    this.stopHeartbeats()
    this.stopMetadataChecks()
    const { memberId } = this
    this.generationId = -1
    this.assignment = []
    this.rejoinNeeded = true
    if (memberId === '') return
    try {
      await this.ctx.broker.leaveGroup({
        groupId: this.options.groupId,
        members: [{ memberId, groupInstanceId: this.options.groupInstanceId }],
      })
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
    this.assignedCounts = null
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
    this.assignedCounts = new Map(topics.map((t) => [t, partitionsPerTopic[t] ?? 0]))
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
    this.ctx.logger.info('joined the consumer group', {
      groupId: this.options.groupId,
      memberId: joined.memberId,
      generationId: joined.generationId,
      leader: joined.leaderId === joined.memberId,
      assignment: memberAssignment,
    })
  }

  /** stopMetadataChecks cancels the leader's metadata check (on join and leave). */
  private stopMetadataChecks(): void {
    this.metadataTimer?.cancel()
    this.metadataTimer = null
  }

  /** scheduleMetadataCheck arranges the leader's next look at the subscribed topics' partition counts. */
  private scheduleMetadataCheck(): void {
    this.stopMetadataChecks()
    const counts = this.assignedCounts
    if (counts === null || counts.size === 0) return
    const unknown = [...counts.values()].includes(0)
    if (!unknown) this.unknownChecks = 0
    const maxAgeMs = Math.max(1, this.options.metadataMaxAgeMs)
    const inMs = unknown ? Math.min(maxAgeMs, backoffMs(this.options.retry, this.unknownChecks++)) : maxAgeMs
    this.metadataTimer = this.ctx.clock.setTimeout(() => {
      this.metadataTimer = null
      void this.checkMetadata(counts)
    }, inMs)
  }

  /** checkMetadata rejoins when a subscribed topic's partition count differs from `assigned`; errors wait for the next check. */
  private async checkMetadata(assigned: Map<string, number>): Promise<void> {
    if (!this.beatsEnabled || this.assignedCounts !== assigned) return
    let now: Map<string, number>
    try {
      now = new Map((await this.ctx.broker.metadata()).topics.map((t) => [t.name, t.partitions.length]))
    } catch {
      now = new Map(assigned)
    }
    // A join, leave or another check may have happened meanwhile.
    if (!this.beatsEnabled || this.assignedCounts !== assigned || this.metadataTimer !== null) return
    if ([...assigned].some(([topic, count]) => (now.get(topic) ?? 0) !== count)) this.requestRejoin()
    else this.scheduleMetadataCheck()
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
      await this.ctx.broker.heartbeat({
        groupId: this.options.groupId,
        generationId,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
      })
      this.emitter.emit(ConsumerEvents.HEARTBEAT, {
        groupId: this.options.groupId,
        memberId: this.memberId,
        groupGenerationId: generationId,
      })
    } catch (error) {
      if (isRejoinError(error) || (error instanceof TributaryError && error.code === 'FENCED_INSTANCE_ID')) this.requestRejoin(error)
    }
    // Keep beating while the consumer finishes in-flight work before rejoining: the coordinator
    // counts those beats as liveness; join() disables them once it sends JoinGroup.
    if (this.heartbeatTimer === null) this.scheduleHeartbeat()
  }
}
