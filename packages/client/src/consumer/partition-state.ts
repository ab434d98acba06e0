import type { RecordBatch } from '@tributary/core'
import { toKafkaHeaders, type KafkaMessage } from './types'

/** NO_HEADERS is the headers of every message without any: one shared frozen object, not one per message. */
const NO_HEADERS: KafkaMessage['headers'] = Object.freeze({}) as KafkaMessage['headers']

/**
 * FetchedChunk is the messages one fetch returned for one partition, waiting to be handled. Its
 * records are decoded when a handler gets the chunk, not when fetched: all at once for `messages`
 * (eachBatch), or a record batch at a time through `cursor()` (eachMessage), so that the decoded
 * messages alive at once are one batch's, not the whole chunk's.
 */
export class FetchedChunk {
  private batches: RecordBatch[] | null
  private decoded: KafkaMessage[] | null = null
  /** The chunk after this one from the same fetch (a fetch is cut into chunks of bounded size). */
  next: FetchedChunk | null = null

  constructor(
    batches: RecordBatch[],
    /** The first offset wanted: records before it (at the start of the first batch) are skipped. */
    private readonly from: number,
    /** Offset after the chunk's last batch (past records compaction removed from its tail). */
    readonly nextOffset: number,
    readonly highWatermark: number,
    /** The partition's `positionEpoch` when fetched: a seek since then makes the chunk stale. */
    readonly positionEpoch: number,
    /** Set for a chunk that stands for a batch that cannot be read at `from` (it holds no messages). */
    readonly error: Error | null = null,
  ) {
    this.batches = batches
  }

  /**
   * failed is the chunk of a partition that reached a batch it cannot read: handed to the runner
   * in turn, after every chunk before it was handled, so that the crash comes at the right offset.
   */
  static failed(error: Error, from: number, positionEpoch: number): FetchedChunk {
    return new FetchedChunk([], from, from, -1, positionEpoch, error)
  }

  /** messages are the chunk's records from `from` on, decoded once. Throws CORRUPT_MESSAGE for an undecodable record. */
  get messages(): KafkaMessage[] {
    if (this.decoded === null) {
      const batches = this.batches as RecordBatch[]
      const messages: KafkaMessage[] = []
      for (let i = 0; i < batches.length; i++) decodeInto(batches[i] as RecordBatch, this.from, messages)
      this.decoded = messages
      this.batches = null
    }
    return this.decoded
  }

  /**
   * release drops the chunk's records once it is handled. A chunk often waits in the prefetch long
   * enough to be promoted to V8's old generation; if it kept pointing at its decoded messages, the
   * young-generation collections would count them live until the next full collection, copying
   * and then promoting every one of them (the collector treats old objects as roots).
   */
  release(): void {
    this.batches = null
    this.decoded = null
  }

  /**
   * cursor walks the chunk's messages in order, decoding one record batch at a time (or walking
   * `messages` if they were decoded already). Its `next()` throws CORRUPT_MESSAGE as `messages` does.
   */
  cursor(): MessageCursor {
    return new MessageCursor(this.decoded === null ? (this.batches as RecordBatch[]) : null, this.decoded, this.from)
  }
}

/** MessageCursor hands out a chunk's messages one by one: `next()` returns null after the last. */
export class MessageCursor {
  private batchIndex = 0
  private current: KafkaMessage[]
  private index = 0

  constructor(
    private readonly batches: RecordBatch[] | null,
    decoded: KafkaMessage[] | null,
    private readonly from: number,
  ) {
    this.current = decoded ?? []
  }

  next(): KafkaMessage | null {
    while (this.index >= this.current.length) {
      const batches = this.batches
      if (batches === null || this.batchIndex >= batches.length) return null
      this.current = decodeBatch(batches[this.batchIndex++] as RecordBatch, this.from)
      this.index = 0
    }
    return this.current[this.index++] as KafkaMessage
  }
}

/**
 * decodeInto appends the records of `batch` from offset `from` on to `out` and returns it.
 * toArray, not the iterator: no result object per record. Each decoded record is fresh and ours,
 * so it becomes the KafkaMessage itself (same fields, headers in KafkaJS's shape) instead of being
 * copied: at millions of messages a second, allocation is the cost.
 */
function decodeInto(batch: RecordBatch, from: number, out: KafkaMessage[]): KafkaMessage[] {
  const records = batch.toArray()
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as unknown as { offset: number; headers: unknown }
    if (r.offset < from) continue
    const headers = r.headers as ReadonlyArray<{ key: string; value: Buffer | null }>
    r.headers = headers.length === 0 ? NO_HEADERS : toKafkaHeaders(headers)
    out.push(r as unknown as KafkaMessage)
  }
  return out
}

/**
 * decodeBatch is decodeInto for one batch alone: a batch wholly at or after `from` (all but the
 * first of a fetch) becomes its messages in place, with no second array.
 */
function decodeBatch(batch: RecordBatch, from: number): KafkaMessage[] {
  if (batch.baseOffset < from) return decodeInto(batch, from, [])
  const records = batch.toArray()
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as unknown as { headers: unknown }
    const headers = r.headers as ReadonlyArray<{ key: string; value: Buffer | null }>
    r.headers = headers.length === 0 ? NO_HEADERS : toKafkaHeaders(headers)
  }
  return records as unknown as KafkaMessage[]
}

/**
 * PartitionState is everything a consumer tracks for one assigned partition.
 *
 * Invariants: `resolved` ≤ `fetchOffset` unless a seek just moved them together; at most one
 * fetch's chunks are buffered (a new fetch waits until they are all taken) and at most one chunk
 * is being handled, so prefetched memory per partition is bounded by two fetch budgets.
 */
export class PartitionState {
  /** Next offset to fetch; null until the start position is known. */
  fetchOffset: number | null = null
  /** Next offset to hand to the application; what a commit stores. */
  resolved: number | null = null
  /** The offset last committed (or read from the coordinator); -1 for none. */
  committed = -1
  highWatermark = -1
  paused = false
  /** A handler is working on a chunk of this partition. */
  busy = false
  /** The next chunk to handle; the rest of its fetch follows through `next`. */
  buffered: FetchedChunk | null = null
  /** Bumped whenever fetched-but-unhandled data must be thrown away (pause, abandon, reset). */
  fetchEpoch = 0
  /** Bumped by a seek: handlers of older chunks must not move `resolved`. */
  positionEpoch = 0
  /** Messages resolved since the last commit, for autoCommitThreshold. */
  uncommittedCount = 0
  /**
   * Set when the partition reached a batch that cannot be read (CORRUPT_MESSAGE): nothing more is
   * fetched from it until the application seeks (as Kafka's consumer stops at such a record and
   * asks to be sought past it). A restart from the committed offsets does not clear it.
   */
  stoppedBy: Error | null = null

  /** key identifies the partition in maps (made once: the runner uses it for every chunk). */
  readonly key: string

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.key = partitionKey(topic, partition)
  }

  /** start sets the position the partition is consumed from (after a join, a reset or a seek). */
  start(offset: number): void {
    this.fetchOffset = offset
    this.resolved = offset
    this.positionEpoch++
    this.discardPrefetched()
  }

  /** rewind throws away prefetched data and fetches again from the next unhandled offset. */
  rewind(): void {
    this.fetchOffset = this.resolved
    this.discardPrefetched()
  }

  /** fetchable tells whether the fetcher should ask for more of this partition now. */
  fetchable(): boolean {
    return this.fetchOffset !== null && !this.paused && this.buffered === null && this.stoppedBy === null
  }

  /** needsCommit tells whether handled offsets are not yet committed. */
  needsCommit(): boolean {
    return this.resolved !== null && this.resolved !== this.committed && this.resolved >= 0
  }

  private discardPrefetched(): void {
    this.buffered = null
    this.fetchEpoch++
  }
}

/** partitionKey is the map key of a topic-partition. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}
