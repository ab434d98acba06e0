import { RecordBatch, TributaryError, type Broker, type Clock, type FetchPartitionResult } from '@tributary/core'
import { checkBatchAt, checkFramingAt } from '@tributary/core/internal'
import { Notifier } from '../deferred'
import { ConsumerEvents, type ClientEmitter, type ConsumerEventName } from '../events'
import type { ResolvedConsumerOptions } from '../options'
import { backoffMs, sleep } from '../retry'
import { FetchedChunk, type PartitionState } from './partition-state'

/**
 * HANDLER_CHUNK_BYTES is the most record-batch bytes handed to one handler call (eachBatch) or
 * decoded while one is running, when a fetch brought more (maxBytesPerPartition, 1 MiB by
 * default). A chunk's messages are all alive while its handler runs; at 1 MiB that is some 8,000
 * message objects, often enough to survive two young-generation collections and be copied into
 * the old generation, whose collection then dominates a fast consumer's time. A quarter of that
 * keeps them young. (Java's consumer caps a poll at 500 records for a similar reason.)
 */
const HANDLER_CHUNK_BYTES = 256 * 1024

/**
 * IN_PROCESS_FETCH_BYTES is the most asked of one partition per fetch from a broker in this
 * process (`fetchesInProcess`), when maxBytesPerPartition allows more: there a fetch is a call,
 * not a round trip, and asking for less keeps the bytes buffered few. With 8 partitions at 1 MiB
 * each, a fetch's buffers waited while the other seven partitions were handled, survived young
 * collections into V8's old generation and were freed only by a full collection, so every read
 * landed in fresh memory: a page fault per 4 KiB read (as many faults as bytes read) and twice the
 * CPU of one partition. At one handler chunk per partition, they die young and their memory is
 * reused.
 */
const IN_PROCESS_FETCH_BYTES = HANDLER_CHUNK_BYTES

/** FetcherDeps is what the fetcher needs from its consumer. */
export interface FetcherDeps {
  broker: Broker
  clock: Clock
  options: ResolvedConsumerOptions
  emitter: ClientEmitter<ConsumerEventName>
  /** The partitions currently assigned. */
  partitions(): Iterable<PartitionState>
  /** New data was buffered. */
  onData(): void
  /** A partition's offset is out of range: reset it by the offset reset policy. */
  onOutOfRange(state: PartitionState): void
  /** Data could not be read (e.g. CORRUPT_MESSAGE): the consumer treats it as a crash. */
  onError(error: unknown): void
}

/**
 * Fetcher is the consumer's one fetch loop. It long-polls the broker for every assigned partition
 * that is not paused and has nothing buffered, and buffers at most one chunk per partition, so
 * memory stays bounded however far behind the consumer is. `poke()` aborts the current long poll
 * (the broker then answers at once with what it has) so that a partition that became fetchable,
 * a stop or a rebalance never waits for `maxWaitMs`.
 */
export class Fetcher {
  private running = false
  /**
   * Aborts the fetch in flight on a poke. One serves every fetch until it is aborted (a controller
   * and its signal per fetch were measurable at one message per fetch); a Broker removes its abort
   * listener when a fetch returns, so listeners do not pile up on it.
   */
  private controller = new AbortController()
  private fetching = false
  private readonly wake = new Notifier()
  private loopDone: Promise<void> = Promise.resolve()
  private errors = 0
  private stopped = new AbortController()
  /**
   * Whether fetched batches were CRC-checked already (the broker says so: a LocalBroker returns
   * what its storage read, and every PartitionLog checks what it returns). Batches from anything
   * else, such as a remote broker, are checked here.
   */
  private readonly checkedByStorage: boolean
  /** The bytes asked of each partition per fetch: maxBytesPerPartition, or less from an in-process broker. */
  private readonly partitionFetchBytes: number

  constructor(private readonly deps: FetcherDeps) {
    this.checkedByStorage = deps.broker.verifiesFetchedBatches === true
    const { maxBytesPerPartition } = deps.options
    this.partitionFetchBytes =
      deps.broker.fetchesInProcess === true ? Math.min(maxBytesPerPartition, IN_PROCESS_FETCH_BYTES) : maxBytesPerPartition
  }

  /** start begins the fetch loop (once). */
  start(): void {
    if (this.running) return
    this.running = true
    this.stopped = new AbortController()
    this.loopDone = this.loop()
  }

  /** stop ends the loop and resolves once no fetch is pending. */
  async stop(): Promise<void> {
    this.running = false
    this.stopped.abort()
    this.poke()
    await this.loopDone
  }

  /** poke tells the loop that the set of fetchable partitions changed. */
  poke(): void {
    if (this.fetching) this.controller.abort()
    this.wake.notify()
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const targets: PartitionState[] = []
      for (const s of this.deps.partitions()) if (s.fetchable()) targets.push(s)
      if (targets.length === 0) {
        await this.wake.wait()
        continue
      }
      await this.fetchOnce(targets)
    }
  }

  private async fetchOnce(targets: PartitionState[]): Promise<void> {
    const { broker, options, emitter, clock } = this.deps
    if (this.controller.signal.aborted) this.controller = new AbortController()
    const epochs = targets.map((s) => s.fetchEpoch)
    const startedMs = clock.now()
    if (emitter.listens(ConsumerEvents.FETCH_START)) emitter.emit(ConsumerEvents.FETCH_START, {})
    this.fetching = true
    let results: FetchPartitionResult[]
    try {
      results = await broker.fetch({
        partitions: targets.map((s) => ({
          topic: s.topic,
          partition: s.partition,
          offset: s.fetchOffset as number,
          maxBytes: this.partitionFetchBytes,
        })),
        maxWaitMs: options.maxWaitMs,
        minBytes: options.minBytes,
        maxBytes: options.maxBytes,
        signal: this.controller.signal,
      })
    } catch (error) {
      if (this.running) await this.backoff(error)
      return
    } finally {
      this.fetching = false
    }
    let failed: unknown = null
    for (let i = 0; i < targets.length; i++) {
      const state = targets[i] as PartitionState
      const result = results[i]
      // A pause, seek or rebalance since the request makes its answer stale.
      if (!result || state.fetchEpoch !== epochs[i]) continue
      failed = this.accept(state, result) ?? failed
    }
    if (emitter.listens(ConsumerEvents.FETCH))
      emitter.emit(ConsumerEvents.FETCH, {
        numberOfBatches: results.reduce((n, r) => n + r.batches.length, 0),
        duration: clock.now() - startedMs,
      })
    if (failed) await this.backoff(failed)
    else this.errors = 0
  }

  /** accept buffers one partition's answer; returns an error worth backing off for. */
  private accept(state: PartitionState, result: FetchPartitionResult): unknown {
    if (result.error) {
      if (result.error.code === 'OFFSET_OUT_OF_RANGE') {
        state.fetchOffset = null
        this.deps.onOutOfRange(state)
        return null
      }
      if (result.error.code === 'CORRUPT_MESSAGE') return this.stopCorrupt(state, result.error)
      return result.error
    }
    if (result.highWatermark >= 0) state.highWatermark = result.highWatermark
    try {
      this.decodeInto(state, result)
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'CORRUPT_MESSAGE') return this.stopCorrupt(state, error)
      this.deps.onError(error)
    }
    return null
  }

  /**
   * stopCorrupt stops fetching a partition that reached a batch it cannot read, as Kafka's
   * consumer does: refetching would only fail again while producers keep appending behind it. The
   * error is buffered as the partition's next chunk; when the runner reaches it (every message
   * before it handled) the consumer crashes with CORRUPT_MESSAGE naming the topic, partition and
   * offset (the CRASH event), its other partitions go on after the restart, and this one stays
   * stopped until `seek` moves it.
   */
  private stopCorrupt(state: PartitionState, cause: TributaryError): null {
    const offset = state.fetchOffset as number
    const error = new TributaryError(
      'CORRUPT_MESSAGE',
      `${state.topic}/${state.partition} cannot be read at offset ${offset} (${cause.message}); the partition is stopped: seek past the damaged batch to go on`,
      { cause, retriable: false, details: { ...cause.details, topic: state.topic, partition: state.partition, offset } },
    )
    state.buffered = FetchedChunk.failed(error, offset, state.positionEpoch)
    this.deps.onData()
    return null
  }

  /**
   * decodeInto buffers the answer as chunks of at most HANDLER_CHUNK_BYTES each (whole record
   * batches; a larger batch is a chunk alone), linked in offset order. Batches are framed (and
   * CRC-checked unless the storage did) here; their records are decoded when a chunk is handed to
   * a handler, so prefetched chunks hold only the bytes read, not thousands of message objects
   * that would outlive young-generation collections while they wait.
   */
  private decodeInto(state: PartitionState, result: FetchPartitionResult): void {
    const from = state.fetchOffset as number
    const { highWatermark, positionEpoch } = state
    let first: FetchedChunk | null = null
    let last: FetchedChunk | null = null
    let batches: RecordBatch[] = []
    let bytes = 0
    let chunkFrom = from
    let next = from
    // No closure for cutting a chunk: this runs once per fetch, at low rates once per message.
    for (let i = 0; i < result.batches.length; i++) {
      const buf = result.batches[i] as Buffer
      for (let pos = 0; pos < buf.length; ) {
        const size = this.checkedByStorage ? checkFramingAt(buf, pos) : checkBatchAt(buf, pos)
        const batch = RecordBatch.fromChecked(size === buf.length ? buf : buf.subarray(pos, pos + size))
        pos += size
        const lastOffset = batch.lastOffset
        if (lastOffset < from) continue
        if (!batch.isControl) {
          batches.push(batch)
          bytes += size
        }
        next = lastOffset + 1
        if (bytes < HANDLER_CHUNK_BYTES) continue
        const chunk = new FetchedChunk(batches, chunkFrom, next, highWatermark, positionEpoch)
        if (last === null) first = chunk
        else last.next = chunk
        last = chunk
        batches = []
        bytes = 0
        chunkFrom = next
      }
    }
    if (next === from) return
    // What is left, or an empty chunk (control or compacted-away records) that still moves the position forward.
    if (next > chunkFrom) {
      const chunk = new FetchedChunk(batches, chunkFrom, next, highWatermark, positionEpoch)
      if (last === null) first = chunk
      else last.next = chunk
    }
    state.fetchOffset = next
    state.buffered = first
    this.deps.onData()
  }

  private async backoff(error: unknown): Promise<void> {
    if (error instanceof TributaryError && error.code === 'CLIENT_CLOSED') {
      this.running = false
      this.deps.onError(error)
      return
    }
    const retry = this.deps.options.retry
    await sleep(
      this.deps.clock,
      backoffMs({ ...retry, initialRetryTimeMs: Math.min(retry.initialRetryTimeMs, 100) }, Math.min(this.errors++, 10)),
      this.stopped.signal,
    )
  }
}
