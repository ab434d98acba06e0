import type { Clock, Logger } from '@tributary/core'
import type { ClientContext } from '../context'
import { Notifier } from '../deferred'
import { ConsumerEvents, type ClientEmitter, type ConsumerEventName } from '../events'
import type { ResolvedConsumerOptions } from '../options'
import { backoffMs, sleep, toError } from '../retry'
import type { Fetcher } from './fetcher'
import type { GroupMembership } from './group-membership'
import { HandlerGaveUp, runBatchHandler, runMessageHandlers, type ChunkContext } from './handlers'
import type { OffsetCommitter } from './offsets'
import type { FetchedChunk, PartitionState } from './partition-state'
import type { ResolvedRunOptions } from './types'

/** RunnerHost is what the runner needs from its consumer. */
export interface RunnerHost {
  readonly ctx: ClientContext
  readonly options: ResolvedConsumerOptions
  readonly emitter: ClientEmitter<ConsumerEventName>
  readonly membership: GroupMembership
  readonly committer: OffsetCommitter
  readonly fetcher: Fetcher
  /** The partitions currently assigned (the same array until the assignment changes; read it, never modify it). */
  partitions(): readonly PartitionState[]
  /** rejoin joins the group again, replaces the assignment and sets start positions; false if stopped meanwhile. */
  rejoin(signal: AbortSignal): Promise<boolean>
  /** restartFromCommitted moves every assigned partition back to its committed offset. */
  restartFromCommitted(): Promise<void>
  /** stopAfterCrash stops the consumer when restartOnFailure said no. */
  stopAfterCrash(): void
  /** pausePartition pauses one partition (from a handler's `pause()`) and returns its resume function. */
  pausePartition(state: PartitionState): () => void
}

/**
 * Runner is `consumer.run()`: it hands buffered chunks to the handlers, at most
 * `partitionsConsumedConcurrently` partitions at once and one chunk per partition at a time (so
 * each partition stays in order), commits what handlers finished, and reacts to rebalances and
 * crashes. Before rejoining (eager protocol) it lets in-flight handlers finish their current
 * message, abandons the rest of their chunks, and commits what was handled.
 */
export class Runner {
  private running = false
  private readonly wake = new Notifier()
  private readonly inFlight = new Map<string, Promise<void>>()
  private crashError: Error | null = null
  private loopDone: Promise<void> = Promise.resolve()
  private readonly stopController = new AbortController()
  /** Aborted when the current generation ends, to cut handler retry backoffs short. */
  private interrupt = new AbortController()
  private rotation = 0
  private commitTimer: { cancel(): void } | null = null
  /** Redoes a failed auto-commit after a backoff (see afterCommit). */
  private redoTimer: { cancel(): void } | null = null
  /** Auto-commits failed in a row, for the redo backoff. */
  private commitFailures = 0
  /** The last commit commitQuietly asked for, and what its callers wait for: it and its afterCommit. */
  private lastCommit: Promise<void> | null = null
  private lastCommitOutcome: Promise<void> = DONE

  constructor(
    /** host and run are read by each chunk's ChunkRun. */
    readonly host: RunnerHost,
    readonly run: ResolvedRunOptions,
  ) {}

  /** interruptSignal is aborted when the current generation ends (for ChunkRun). */
  get interruptSignal(): AbortSignal {
    return this.interrupt.signal
  }

  /** start joins the group and starts consuming; it resolves once the first assignment is in place. */
  async start(): Promise<void> {
    this.running = true
    this.host.fetcher.start()
    try {
      await this.rebalance()
    } catch (error) {
      this.running = false
      await this.host.fetcher.stop()
      throw error
    }
    this.loopDone = this.loop()
  }

  /** isRunning tells whether the runner has started and not stopped. */
  isRunning(): boolean {
    return this.running
  }

  /** notify wakes the loop: data arrived, a rebalance is needed, a partition was paused or sought. */
  notify(): void {
    this.wake.notify()
  }

  /** onGenerationEnded cuts handler backoffs short and wakes the loop so that it can rejoin. */
  onGenerationEnded(): void {
    this.interrupt.abort()
    this.host.fetcher.poke()
    this.wake.notify()
  }

  /** reportError makes the loop treat `error` as a crash (e.g. an unreadable batch). */
  reportError(error: unknown): void {
    this.crashError ??= toError(error)
    this.interrupt.abort()
    this.wake.notify()
  }

  /**
   * stop stops taking new chunks, waits for in-flight handlers to finish their current message,
   * and commits what was handled. `running` turns false before the first await, so a handler
   * that fails during the stop is abandoned rather than retried.
   */
  async stop(): Promise<void> {
    this.running = false
    this.stopController.abort()
    this.interrupt.abort()
    this.commitTimer?.cancel()
    this.redoTimer?.cancel()
    this.redoTimer = null
    this.wake.notify()
    await this.loopDone
    await this.host.fetcher.stop()
    if (this.run.autoCommit) await this.commitQuietly()
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        if (this.crashError) await this.crash(this.crashError)
        else if (this.host.membership.needsRejoin) await this.drainThen(() => this.rebalance())
        else {
          this.dispatch()
          await this.wake.wait()
        }
      } catch (error) {
        this.crashError ??= toError(error)
      }
    }
    await this.drain()
  }

  /** dispatch starts a handler task for each partition with a buffered chunk, up to the concurrency limit. */
  private dispatch(): void {
    const states = this.host.partitions()
    const n = states.length
    for (let i = 0; i < n && this.inFlight.size < this.run.partitionsConsumedConcurrently; i++) {
      const state = states[(this.rotation + i) % n] as PartitionState
      const chunk = state.buffered
      if (state.busy || state.paused || !chunk) continue
      state.buffered = chunk.next
      chunk.next = null
      // The partition's last buffered chunk is taken: time to fetch more of it.
      if (state.buffered === null) this.host.fetcher.poke()
      if (chunk.positionEpoch !== state.positionEpoch) continue
      if (chunk.error !== null) {
        // Every message before the unreadable batch is handled: stop the partition there and crash.
        state.stoppedBy = chunk.error
        this.reportError(chunk.error)
        continue
      }
      state.busy = true
      this.inFlight.set(state.key, this.process(state, chunk))
    }
    this.rotation = n === 0 ? 0 : (this.rotation + 1) % n
  }

  /**
   * process hands one chunk to the handlers and, whatever happens, frees the partition for its
   * next chunk. It never rejects: a failure becomes a crash (onTaskFailed).
   */
  private async process(state: PartitionState, chunk: FetchedChunk): Promise<void> {
    try {
      const ctx = new ChunkRun(this, state, chunk)
      let complete: boolean
      try {
        complete = this.run.eachBatch
          ? await runBatchHandler(ctx, this.run.eachBatch)
          : await runMessageHandlers(ctx, this.run.eachMessage!)
      } finally {
        chunk.release()
      }
      // An abandoned chunk is fetched again from the first message not handled.
      if (!complete && state.positionEpoch === chunk.positionEpoch) state.rewind()
      // The commit is not awaited: the partition may go on with its next chunk while the offsets
      // reach disk. Only handled offsets are ever committed, so at-least-once holds either way.
      void this.commitIfNecessary()
    } catch (error) {
      this.onTaskFailed(state, error)
    } finally {
      state.busy = false
      this.inFlight.delete(state.key)
      this.wake.notify()
    }
  }

  /** isStale tells whether a chunk's handling must stop (for ChunkRun). */
  isStale(state: PartitionState, chunk: FetchedChunk): boolean {
    return (
      !this.running ||
      this.host.membership.needsRejoin ||
      this.crashError !== null ||
      state.paused ||
      state.positionEpoch !== chunk.positionEpoch
    )
  }

  /** resolve marks everything before `offset` of a chunk handled (for ChunkRun). */
  resolve(state: PartitionState, chunk: FetchedChunk, offset: number): void {
    if (state.positionEpoch !== chunk.positionEpoch || state.resolved === null || offset <= state.resolved) return
    state.uncommittedCount += offset - state.resolved
    state.resolved = offset
  }

  private onTaskFailed(state: PartitionState, error: unknown): void {
    state.rewind()
    this.reportError(error instanceof HandlerGaveUp ? error.error : error)
  }

  private async drainThen(next: () => Promise<void>): Promise<void> {
    await this.drain()
    if (this.running) await next()
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()])
  }

  /** rebalance commits what was handled (eager protocol: before giving partitions up) and joins again. */
  private async rebalance(): Promise<void> {
    const { membership, options, emitter } = this.host
    if (membership.generationId >= 0) {
      emitter.emit(ConsumerEvents.REBALANCING, { groupId: options.groupId, memberId: membership.memberId })
      this.host.ctx.logger.info('the consumer group is rebalancing', { groupId: options.groupId, memberId: membership.memberId })
      if (this.run.autoCommit) await this.commitQuietly()
    }
    this.interrupt = new AbortController()
    await this.host.rejoin(this.stopController.signal)
  }

  /** crash reports a handler or consumer failure and restarts from the committed offsets, or stops. */
  private async crash(error: Error): Promise<void> {
    await this.drain()
    const { options, emitter, ctx } = this.host
    let restart = false
    if (!ctx.isClosed()) {
      try {
        restart = await options.retry.restartOnFailure(error)
      } catch {
        restart = false
      }
    }
    emitter.emit(ConsumerEvents.CRASH, { error, groupId: options.groupId, restart })
    ctx.logger.error(restart ? 'the consumer crashed; restarting from the committed offsets' : 'the consumer crashed and stops', {
      groupId: options.groupId,
      memberId: this.host.membership.memberId,
      error,
    })
    this.crashError = null
    if (!restart || !this.running) {
      // The loop ends with `running` false; the consumer's stop (leave the group, events) runs after it.
      this.running = false
      this.host.stopAfterCrash()
      return
    }
    if (this.run.autoCommit) await this.commitQuietly()
    await sleep(ctx.clock, backoffMs(options.retry, 0), this.stopController.signal)
    this.interrupt = new AbortController()
    if (this.host.membership.needsRejoin) await this.rebalance()
    else await this.host.restartFromCommitted()
  }

  /**
   * commitIfNecessary commits handled offsets when the auto-commit policy says so. It runs after
   * every handled chunk, so it is no async function and makes no closure.
   */
  commitIfNecessary(): Promise<void> {
    if (!this.run.autoCommit) return DONE
    const states = this.host.partitions()
    if (!anyNeedsCommit(states)) return DONE
    const { autoCommitIntervalMs: interval, autoCommitThreshold: threshold } = this.run
    const now = this.host.ctx.clock.now()
    const intervalDue = interval !== null && now - this.host.committer.lastCommitMs >= interval
    const thresholdDue = threshold !== null && uncommittedCount(states) >= threshold
    if ((interval === null && threshold === null) || intervalDue || thresholdDue) return this.commitQuietly()
    if (interval !== null) this.scheduleIntervalCommit(interval - (now - this.host.committer.lastCommitMs))
    return DONE
  }

  /** scheduleIntervalCommit makes sure handled offsets are committed within the interval even if no more data comes. */
  private scheduleIntervalCommit(inMs: number): void {
    if (this.commitTimer) return
    this.commitTimer = this.host.ctx.clock.setTimeout(
      () => {
        this.commitTimer = null
        if (this.running) void this.commitQuietly()
      },
      Math.max(0, inMs),
    )
  }

  /** commitQuietly commits handled offsets; a failure is not thrown but redone (a rejoin error already asked for a rebalance). */
  private commitQuietly(): Promise<void> {
    const commit = this.host.committer.commitResolved(this.host.partitions())
    // Callers that join a queued commit share its outcome: one afterCommit per commit, not one per
    // caller (each of which would join the next commit again, their number growing for as long as
    // handled offsets keep arriving, and count one failure many times).
    if (commit !== this.lastCommit) {
      this.lastCommit = commit
      this.lastCommitOutcome = commit.then(this.onCommitted, this.onCommitFailed)
    }
    return this.lastCommitOutcome
  }

  private readonly onCommitted = (): void => {
    this.commitFailures = 0
    this.afterCommit()
  }

  private readonly onCommitFailed = (): void => {
    // Offsets stay uncommitted until the redo; at-least-once holds meanwhile.
    this.commitFailures++
    this.afterCommit()
  }

  /**
   * afterCommit makes sure that handled offsets ahead of the committed ones get committed even
   * while no new data arrives (new data, stop and rebalances are the only other triggers): a
   * failed commit is redone after a backoff, and a commit that finished behind offsets handled
   * meanwhile is followed by another one when the auto-commit policy says so.
   */
  private afterCommit(): void {
    if (!this.running || !this.run.autoCommit || !anyNeedsCommit(this.host.partitions())) return
    if (this.commitFailures === 0) void this.commitIfNecessary()
    else this.scheduleRedo(backoffMs(this.host.options.retry, this.commitFailures - 1))
  }

  /** scheduleRedo commits again in `inMs`, unless a rebalance (which commits itself) is due by then. */
  private scheduleRedo(inMs: number): void {
    if (this.redoTimer) return
    this.redoTimer = this.host.ctx.clock.setTimeout(() => {
      this.redoTimer = null
      if (this.running && !this.host.membership.needsRejoin) void this.commitQuietly()
    }, inMs)
  }
}

const DONE: Promise<void> = Promise.resolve()

function anyNeedsCommit(states: readonly PartitionState[]): boolean {
  for (const s of states) if (s.needsCommit()) return true
  return false
}

function uncommittedCount(states: readonly PartitionState[]): number {
  let n = 0
  for (const s of states) n += s.uncommittedCount
  return n
}

/**
 * ChunkRun is the ChunkContext of one chunk: one object per chunk, its functions on the prototype
 * (a closure each per chunk was measurable at one message per chunk). It is not reused: a handler
 * may keep a payload whose functions act on its own chunk after the next chunk started.
 */
class ChunkRun implements ChunkContext {
  readonly run: ResolvedRunOptions
  readonly retry: ResolvedConsumerOptions['retry']
  readonly clock: Clock
  readonly logger: Logger
  readonly groupId: string
  readonly emitter: ClientEmitter<ConsumerEventName>
  readonly interrupt: AbortSignal

  constructor(
    private readonly runner: Runner,
    readonly state: PartitionState,
    readonly chunk: FetchedChunk,
  ) {
    const { host } = runner
    this.run = runner.run
    this.retry = host.options.retry
    this.clock = host.ctx.clock
    this.logger = host.ctx.logger
    this.groupId = host.options.groupId
    this.emitter = host.emitter
    this.interrupt = runner.interruptSignal
  }

  isStale(): boolean {
    return this.runner.isStale(this.state, this.chunk)
  }

  isRunning(): boolean {
    return this.runner.isRunning()
  }

  resolve(offset: number): void {
    this.runner.resolve(this.state, this.chunk, offset)
  }

  pause(): () => void {
    return this.runner.host.pausePartition(this.state)
  }

  commitIfNecessary(): Promise<void> {
    return this.runner.commitIfNecessary()
  }

  uncommitted(): PartitionState[] {
    return this.runner.host.partitions().filter((s) => s.needsCommit())
  }
}
