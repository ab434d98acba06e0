import {
  LATEST_TIMESTAMP,
  TributaryError,
  validateOffset,
  validateTopicName,
  type GroupDescription,
  type OffsetCommitEntry,
  type TopicPartition,
} from '@tributary/core'
import { resolveAssigner } from '../assignors'
import { assertOpen, type ClientContext } from '../context'
import { ClientEmitter, ConsumerEvents, type ClientEvent, type ConsumerEventName, type RemoveListener } from '../events'
import { resolveConsumerOptions, type ConsumerOptions, type OffsetReset, type ResolvedConsumerOptions } from '../options'
import { withRetry } from '../retry'
import { Fetcher } from './fetcher'
import { GroupMembership } from './group-membership'
import { OffsetCommitter, resetPositions, startPositions } from './offsets'
import { PartitionState, partitionKey } from './partition-state'
import { Runner, type RunnerHost } from './runner'
import { consumerStream, type StreamMessage, type StreamOptions } from './stream'
import { resolveRunOptions, type RunOptions } from './types'

/** TopicPartitions names some (or, without `partitions`, all) partitions of a topic. */
export interface TopicPartitions {
  topic: string
  partitions?: number[]
}

/** PartitionLag is how far a partition's consumer is behind its log end. */
export interface PartitionLag {
  topic: string
  partition: number
  /** The next offset the consumer will hand to the application. */
  offset: number
  /** The log end offset. */
  highWatermark: number
  lag: number
}

/**
 * Consumer reads topics as a member of a consumer group: the group splits the subscribed
 * partitions among its members, each member handles its partitions in order, and handled offsets
 * are committed (at-least-once: an offset is committed only after its handler resolved).
 */
export class Consumer {
  /** events names what `on()` accepts (KafkaJS's names). */
  readonly events = ConsumerEvents
  readonly options: ResolvedConsumerOptions
  private readonly emitter: ClientEmitter<ConsumerEventName>
  private readonly membership: GroupMembership
  private readonly committer: OffsetCommitter
  private readonly fetcher: Fetcher
  private states = new Map<string, PartitionState>()
  /** The values of `states` as an array, made once per assignment: the runner reads it after every chunk. */
  private stateList: readonly PartitionState[] = []
  private readonly topics = new Set<string>()
  private readonly resetPolicy = new Map<string, OffsetReset>()
  private readonly pausedTopics = new Map<string, Set<number> | 'all'>()
  private readonly pendingSeeks = new Map<string, number>()
  private runner: Runner | null = null
  private stopping: Promise<void> | null = null
  private closed = false
  /** Releases the hold that keeps the process alive while the consumer runs. */
  private releaseKeepAlive: () => void = () => {}

  /** Use `tb.consumer()`. Throws INVALID_CONFIG for bad options. */
  constructor(
    private readonly ctx: ClientContext,
    options: ConsumerOptions,
    private readonly onDisconnect: (consumer: Consumer) => void = () => {},
  ) {
    this.options = resolveConsumerOptions(options)
    const assigners = this.options.partitionAssigners.map((ref, i) => {
      try {
        return resolveAssigner(ref)
      } catch (cause) {
        throw new TributaryError('INVALID_CONFIG', `consumer.partitionAssigners[${i}] is not a known assigner`, {
          cause,
          details: { path: `consumer.partitionAssigners[${i}]` },
        })
      }
    })
    this.emitter = new ClientEmitter(() => ctx.clock.now(), ctx.logger)
    // The member reports its own clientId when it has one (the KafkaJS facade passes KafkaJS's).
    const groupCtx = this.options.clientId === null ? ctx : { ...ctx, clientId: this.options.clientId }
    this.membership = new GroupMembership(groupCtx, this.options, assigners, this.emitter, () => this.runner?.onGenerationEnded())
    this.committer = new OffsetCommitter(
      ctx.broker,
      this.options.groupId,
      this.options.groupInstanceId,
      this.membership,
      this.emitter,
      () => ctx.clock.now(),
    )
    this.fetcher = new Fetcher({
      broker: ctx.broker,
      clock: ctx.clock,
      options: this.options,
      emitter: this.emitter,
      partitions: () => this.stateList,
      onData: () => this.runner?.notify(),
      onOutOfRange: (state) => this.resetOutOfRange(state),
      onError: (error) => this.runner?.reportError(error),
    })
  }

  /** connect is a no-op kept for KafkaJS compatibility. */
  async connect(): Promise<void> {
    this.checkOpen('connect')
    this.emitter.emit(ConsumerEvents.CONNECT, {})
  }

  /** on registers an event listener and returns its remover. */
  on<P = Record<string, unknown>>(event: ConsumerEventName, listener: (e: ClientEvent<P>) => void): RemoveListener {
    return this.emitter.on(event, listener)
  }

  /**
   * subscribe adds topics (names, or RegExps matched against existing topics now). `fromBeginning`
   * chooses where partitions without a committed offset start (overriding autoOffsetReset).
   * Throws INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION (auto-creation off), INVALID_ARGUMENT while running.
   */
  async subscribe(request: { topics: Array<string | RegExp>; fromBeginning?: boolean }): Promise<void> {
    this.checkOpen('subscribe')
    if (this.runner) throw new TributaryError('INVALID_ARGUMENT', 'Cannot subscribe while the consumer is running; stop() first')
    if (!request || !Array.isArray(request.topics) || request.topics.length === 0)
      throw new TributaryError('INVALID_ARGUMENT', 'subscribe takes { topics: [...] }')
    const names = request.topics.filter((t): t is string => typeof t === 'string')
    for (const t of request.topics)
      if (typeof t !== 'string' && !(t instanceof RegExp))
        throw new TributaryError('INVALID_ARGUMENT', `A topic must be a string or RegExp, got ${typeof t}`)
    names.forEach((t) => validateTopicName(t))
    if (names.length > 0) await this.ctx.broker.metadata({ topics: names, allowAutoTopicCreation: this.options.allowAutoTopicCreation })
    const patterns = request.topics.filter((t): t is RegExp => t instanceof RegExp)
    const matched =
      patterns.length === 0
        ? []
        : (await this.ctx.broker.metadata()).topics.filter((t) => !t.isInternal && patterns.some((p) => p.test(t.name))).map((t) => t.name)
    for (const topic of [...names, ...matched]) {
      this.topics.add(topic)
      if (request.fromBeginning !== undefined) this.resetPolicy.set(topic, request.fromBeginning ? 'earliest' : 'latest')
    }
  }

  /**
   * run joins the group and starts handing messages to `eachMessage` or `eachBatch`; it resolves
   * once the first assignment is in place (consumption goes on until `stop()`). Throws
   * INVALID_CONFIG for bad options, INVALID_ARGUMENT without a subscription or when already running.
   */
  async run(options: RunOptions): Promise<void> {
    this.checkOpen('run')
    const resolved = resolveRunOptions(options)
    if (this.topics.size === 0) throw new TributaryError('INVALID_ARGUMENT', 'Subscribe to at least one topic before run()')
    if (this.runner) throw new TributaryError('INVALID_ARGUMENT', 'The consumer is already running')
    await this.stopping
    const runner = new Runner(this.runnerHost(), resolved)
    this.runner = runner
    this.releaseKeepAlive = this.ctx.keepAlive()
    try {
      await runner.start()
    } catch (error) {
      if (this.runner === runner) this.runner = null
      this.releaseKeepAlive()
      await this.membership.leave()
      throw error
    }
  }

  /**
   * stream consumes as an async iterator of `{ topic, partition, message }`, pull-based: the next
   * message is fetched from a bounded prefetch only when the loop asks for it, and a message
   * counts as handled (committable) once the loop asks for the next one. Leaving the loop (break,
   * return, throw) stops the consumer and leaves the group; the message in hand then is not
   * committed and is delivered again to whoever consumes the partition next.
   */
  stream(options: StreamOptions = {}): AsyncIterableIterator<StreamMessage> {
    this.checkOpen('stream')
    return consumerStream(this, options)
  }

  /** commitOffsets commits explicit offsets (each the next offset to read). Throws the coordinator's error (e.g. REBALANCE_IN_PROGRESS). */
  async commitOffsets(offsets: OffsetCommitEntry[]): Promise<void> {
    this.checkOpen('commitOffsets')
    for (const o of offsets) validateOffset(o.offset, `offset of ${o.topic}-${o.partition}`)
    await this.committer.commit(offsets)
    for (const o of offsets) {
      const state = this.states.get(partitionKey(o.topic, o.partition))
      if (state) state.committed = o.offset
    }
  }

  /** seek moves a partition to `offset` (applied when it is assigned, if it is not yet); autoCommit commits it. Throws INVALID_ARGUMENT. */
  seek(target: { topic: string; partition: number; offset: number }): void {
    this.checkOpen('seek')
    validateOffset(target.offset, 'seek offset')
    const state = this.states.get(partitionKey(target.topic, target.partition))
    if (!state) {
      this.pendingSeeks.set(partitionKey(target.topic, target.partition), target.offset)
      return
    }
    state.stoppedBy = null
    state.start(target.offset)
    this.fetcher.poke()
    this.runner?.notify()
  }

  /** pause stops fetching and handling the named partitions (all of a topic without `partitions`), across rebalances. */
  pause(topicPartitions: TopicPartitions[]): void {
    this.checkOpen('pause')
    for (const { topic, partitions } of topicPartitions) {
      const current = this.pausedTopics.get(topic)
      if (!partitions) this.pausedTopics.set(topic, 'all')
      else if (current !== 'all') this.pausedTopics.set(topic, new Set([...(current ?? []), ...partitions]))
    }
    this.applyPauses()
  }

  /** resume undoes `pause`. */
  resume(topicPartitions: TopicPartitions[]): void {
    this.checkOpen('resume')
    for (const { topic, partitions } of topicPartitions) {
      const current = this.pausedTopics.get(topic)
      if (!partitions || current === undefined) this.pausedTopics.delete(topic)
      else if (current === 'all') {
        const rest = this.partitionsOf(topic).filter((p) => !partitions.includes(p))
        this.pausedTopics.set(topic, new Set(rest))
      } else partitions.forEach((p) => current.delete(p))
    }
    this.applyPauses()
  }

  /** paused lists the assigned partitions that are paused. */
  paused(): Array<{ topic: string; partitions: number[] }> {
    const byTopic = new Map<string, number[]>()
    for (const s of this.states.values()) if (s.paused) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s.partition])
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
  }

  /** assignment lists the partitions this member owns in the current generation. */
  assignment(): TopicPartition[] {
    return [...this.states.values()].map(({ topic, partition }) => ({ topic, partition }))
  }

  /** lag reports, per assigned partition, the next offset to handle, the log end and the difference. */
  async lag(): Promise<PartitionLag[]> {
    this.checkOpen('lag')
    const states = [...this.states.values()]
    const ends = await this.ctx.broker.listOffsets(
      states.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: LATEST_TIMESTAMP })),
    )
    return states.map((s, i) => {
      const highWatermark = ends[i]?.offset ?? s.highWatermark
      const offset = s.resolved ?? -1
      return { topic: s.topic, partition: s.partition, offset, highWatermark, lag: offset < 0 ? 0 : Math.max(0, highWatermark - offset) }
    })
  }

  /** describeGroup describes this consumer's group (state, members, assignments). */
  async describeGroup(): Promise<GroupDescription> {
    this.checkOpen('describeGroup')
    const [group] = await this.ctx.broker.describeGroups([this.options.groupId])
    return group as GroupDescription
  }

  /** stop stops consuming: in-flight handlers finish their message, handled offsets are committed, the member leaves the group. */
  stop(): Promise<void> {
    const runner = this.runner
    if (!runner) return this.stopping ?? Promise.resolve()
    this.runner = null
    // runner.stop() turns `running` off synchronously, before this method's first await.
    const stopped = runner.stop()
    this.stopping = (async () => {
      await stopped
      await this.membership.leave()
      this.assign(new Map())
      this.releaseKeepAlive()
      this.emitter.emit(ConsumerEvents.STOP, {})
    })()
    return this.stopping
  }

  /** disconnect stops the consumer and closes it; later calls throw CLIENT_CLOSED. */
  async disconnect(): Promise<void> {
    if (this.closed) return
    await this.stop()
    this.closed = true
    this.emitter.emit(ConsumerEvents.DISCONNECT, {})
    this.emitter.removeAll()
    this.onDisconnect(this)
  }

  // ---- RunnerHost -------------------------------------------------------------------------------

  /** partitions lists the assigned partitions' states (RunnerHost). */
  /** runnerHost is what `run()`'s Runner may use of this consumer (its parts stay private to the consumer). */
  private runnerHost(): RunnerHost {
    return {
      ctx: this.ctx,
      options: this.options,
      emitter: this.emitter,
      membership: this.membership,
      committer: this.committer,
      fetcher: this.fetcher,
      partitions: () => this.partitions(),
      rejoin: (signal) => this.rejoin(signal),
      restartFromCommitted: () => this.restartFromCommitted(),
      stopAfterCrash: () => this.stopAfterCrash(),
      pausePartition: (state) => this.pausePartition(state),
    }
  }

  private partitions(): readonly PartitionState[] {
    return this.stateList
  }

  /** assign replaces the assigned partitions' states (and the list `partitions()` returns). */
  private assign(states: Map<string, PartitionState>): void {
    this.states = states
    this.stateList = [...states.values()]
  }

  /** rejoin joins again, takes the new assignment and sets its start positions (RunnerHost). */
  private async rejoin(signal: AbortSignal): Promise<boolean> {
    this.assign(new Map())
    this.fetcher.poke()
    const assignment = await this.membership.join([...this.topics].sort(), signal)
    if (!assignment) return false
    // Partitions are assigned before their positions are known (nothing is fetched until then),
    // so a failure below leaves the assignment for restartFromCommitted to retry.
    const states = new Map(assignment.map((tp) => [partitionKey(tp.topic, tp.partition), new PartitionState(tp.topic, tp.partition)]))
    this.assign(states)
    await this.startPositions([...this.stateList], signal)
    for (const [key, offset] of this.pendingSeeks) {
      states.get(key)?.start(offset)
      if (states.has(key)) this.pendingSeeks.delete(key)
    }
    this.applyPauses()
    return true
  }

  /** restartFromCommitted moves every assigned partition back to its committed offset (RunnerHost). */
  private async restartFromCommitted(): Promise<void> {
    await this.startPositions([...this.states.values()])
    this.fetcher.poke()
  }

  /** stopAfterCrash stops the consumer once restartOnFailure declined (RunnerHost). */
  private stopAfterCrash(): void {
    void this.stop()
  }

  /** pausePartition pauses one partition for a handler and returns the function that resumes it (RunnerHost). */
  private pausePartition(state: PartitionState): () => void {
    this.pause([{ topic: state.topic, partitions: [state.partition] }])
    return () => {
      if (!this.closed) this.resume([{ topic: state.topic, partitions: [state.partition] }])
    }
  }

  // ---- internals --------------------------------------------------------------------------------

  private checkOpen(what: string): void {
    assertOpen(this.closed || this.ctx.isClosed(), `consumer.${what}`)
  }

  /**
   * startPositions reads the committed offsets of `states` and sets their positions. A retriable
   * error (the coordinator moving, a leader election) is retried with `options.retry`: one
   * transient error must not fail a join, or `run()` at start-up.
   */
  private startPositions(states: PartitionState[], signal?: AbortSignal): Promise<void> {
    return withRetry(
      this.ctx.clock,
      this.options.retry,
      () => startPositions(this.ctx.broker, this.options.groupId, states, (t) => this.policyFor(t)),
      signal,
    )
  }

  private policyFor(topic: string): OffsetReset {
    return this.resetPolicy.get(topic) ?? this.options.autoOffsetReset
  }

  private partitionsOf(topic: string): number[] {
    return [...this.states.values()].filter((s) => s.topic === topic).map((s) => s.partition)
  }

  /** applyPauses brings each assigned partition's paused flag in line with what the application asked. */
  private applyPauses(): void {
    for (const s of this.states.values()) {
      const rule = this.pausedTopics.get(s.topic)
      const paused = rule === 'all' || rule?.has(s.partition) === true
      if (paused === s.paused) continue
      s.paused = paused
      // Drop what was prefetched (bounded memory while paused) and fetch again from the next unhandled offset.
      if (!s.busy) s.rewind()
    }
    this.fetcher.poke()
    this.runner?.notify()
  }

  private resetOutOfRange(state: PartitionState): void {
    withRetry(this.ctx.clock, this.options.retry, () => resetPositions(this.ctx.broker, [state], (t) => this.policyFor(t)))
      .then(() => this.fetcher.poke())
      .catch((error) => this.runner?.reportError(error))
  }
}
