import type { Acks, CompressionType, RecordInput, RecordMetadata } from '@tributary/core'
import type { Deferred } from '../deferred'

/**
 * The record accumulator: per-partition queues of messages waiting to be sent, drained into one
 * record batch per partition at a time. It holds no timers and does no I/O; the producer decides
 * when to drain (linger, size, flush) and sends what it drains.
 */

/** PartAck is what the broker said about a send's records on one partition. */
export interface PartAck {
  baseOffset: number
  logAppendTime: number
  logStartOffset: number
}

/**
 * SendPart is one send's records for one partition. They may leave in several batches (when they
 * exceed the batch size); the part settles when the last of them is acknowledged, with the offset
 * of its first record.
 */
export interface SendPart {
  readonly topic: string
  readonly partition: number
  readonly records: RecordInput[]
  readonly sizes: number[]
  /** The sum of `sizes`. */
  bytes: number
  readonly acks: Acks
  readonly compression: CompressionType
  readonly timeoutMs: number
  /** Records handed to batches so far. */
  drained: number
  /** Records handed to batches and not yet acknowledged, plus those not drained. */
  unacked: number
  ack: PartAck | null
  /** Whether `done` is settled (it settles once; the producer's hold on the process ends then). */
  settled: boolean
  /** What the send resolves with for this part: its metadata (none with acks 0), or the error. */
  readonly done: Deferred<RecordMetadata[]>
}

/** BatchSegment is a run of one part's records inside a drained batch. */
export interface BatchSegment {
  part: SendPart
  /** Index in the part's records of the segment's first record. */
  start: number
  count: number
}

/** DrainedBatch is what one partition sends at once: records sharing acks, compression and timeout. */
export interface DrainedBatch {
  topic: string
  partition: number
  acks: Acks
  compression: CompressionType
  timeoutMs: number
  records: RecordInput[]
  segments: BatchSegment[]
  sizeBytes: number
}

interface PartitionQueue {
  topic: string
  partition: number
  /** Waiting parts from index `head` on (a head index, not shift(): queues can hold many thousands of sends). */
  parts: SendPart[]
  head: number
  bytes: number
  /** When the oldest waiting record arrived (ms), for lingerMs. */
  sinceMs: number
  inFlight: number
}

/** recordSizeBytes estimates one record's encoded size: its bytes plus framing varints. */
export function recordSizeBytes(record: RecordInput): number {
  let size = 16 + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  for (const h of record.headers) size += 4 + Buffer.byteLength(h.key) + (h.value?.length ?? 0)
  return size
}

/** newSendPart creates the part of a send that goes to one partition, holding its first record (of `size` bytes). */
export function newSendPart(
  topic: string,
  partition: number,
  settings: { acks: Acks; compression: CompressionType; timeoutMs: number },
  record: RecordInput,
  size: number,
): SendPart {
  return {
    topic,
    partition,
    records: [record],
    sizes: [size],
    bytes: size,
    acks: settings.acks,
    compression: settings.compression,
    timeoutMs: settings.timeoutMs,
    drained: 0,
    unacked: 0,
    ack: null,
    settled: false,
    done: partDone(),
  }
}

/**
 * partDone is a Deferred without core's `deferred()` guard against unawaited rejections (a promise
 * and a closure more per send): the send that made the part awaits it from the moment it is queued,
 * and nothing settles a part before that.
 */
function partDone(): Deferred<RecordMetadata[]> {
  let resolve!: (metadata: RecordMetadata[]) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<RecordMetadata[]>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * RecordAccumulator batches records per partition. Invariant: a partition's records leave in the
 * order they were appended, and at most `maxInFlight` of its batches are unacknowledged at once.
 */
export class RecordAccumulator {
  private readonly queues = new Map<string, PartitionQueue>()
  /**
   * The queues holding waiting records: what the producer's scans (after every acknowledged batch)
   * look at, so that they cost the partitions with work, not every partition ever sent to.
   */
  private readonly pending = new Set<PartitionQueue>()
  private totalBytes = 0
  private lastQueue: PartitionQueue | null = null

  constructor(
    private readonly batchSizeBytes: number,
    private readonly lingerMs: number,
    private readonly maxInFlight: number,
  ) {}

  /** bufferedBytes is the size of every record not yet drained. */
  get bufferedBytes(): number {
    return this.totalBytes
  }

  /** append queues a part (all its records) behind what its partition already holds. */
  append(part: SendPart, nowMs: number): void {
    const queue = this.queueOf(part.topic, part.partition)
    if (waiting(queue) === 0) queue.sinceMs = nowMs
    const bytes = part.bytes
    part.unacked = part.records.length
    queue.parts.push(part)
    this.pending.add(queue)
    queue.bytes += bytes
    this.totalBytes += bytes
  }

  /** queueOf returns a partition's queue, creating it; the last one used is remembered (sends mostly go to one partition). */
  private queueOf(topic: string, partition: number): PartitionQueue {
    const last = this.lastQueue
    if (last !== null && last.partition === partition && last.topic === topic) return last
    const key = `${topic}\u0000${partition}`
    let queue = this.queues.get(key)
    if (!queue) {
      queue = { topic, partition, parts: [], head: 0, bytes: 0, sinceMs: 0, inFlight: 0 }
      this.queues.set(key, queue)
    }
    this.lastQueue = queue
    return queue
  }

  /** hasFullBatch tells whether some partition already holds a full batch (worth sending without lingering). */
  hasFullBatch(): boolean {
    for (const q of this.pending) if (q.bytes >= this.batchSizeBytes && q.inFlight < this.maxInFlight) return true
    return false
  }

  /** isEmpty tells whether nothing waits to be drained. */
  isEmpty(): boolean {
    return this.pending.size === 0
  }

  /** nextReadyInMs returns how long until some waiting partition lingers long enough, or null when none waits. */
  nextReadyInMs(nowMs: number): number | null {
    let best: number | null = null
    for (const q of this.pending) {
      if (q.inFlight >= this.maxInFlight) continue
      const wait = Math.max(0, q.sinceMs + this.lingerMs - nowMs)
      best = best === null ? wait : Math.min(best, wait)
    }
    return best
  }

  /**
   * drainReady takes every batch that is ready from every partition, while the partition has room
   * for another batch in flight: all it holds once it lingered long enough or `force` is set
   * (flush), else its full batches. A partition's batches are in order in the result. Draining them
   * all at once, not one per partition per drain, lets a send that spans two batches of a
   * partition go out (and, with acks=all, reach disk) together rather than in two rounds.
   */
  drainReady(nowMs: number, force: boolean): DrainedBatch[] {
    const out: DrainedBatch[] = []
    // Deleting the visited queue from a Set while iterating it is safe: iteration goes on with the next.
    for (const q of this.pending) {
      const all = force || nowMs - q.sinceMs >= this.lingerMs
      while (waiting(q) > 0 && q.inFlight < this.maxInFlight && (all || q.bytes >= this.batchSizeBytes)) out.push(this.drainOne(q))
    }
    return out
  }

  /** batchSettled frees a partition's in-flight slot once its batch is acknowledged or has failed. */
  batchSettled(topic: string, partition: number): void {
    const last = this.lastQueue
    const q = last !== null && last.partition === partition && last.topic === topic ? last : this.queues.get(`${topic}\u0000${partition}`)
    if (q) q.inFlight--
  }

  private drainOne(q: PartitionQueue): DrainedBatch {
    const head = q.parts[q.head] as SendPart
    const batch: DrainedBatch = {
      topic: q.topic,
      partition: q.partition,
      acks: head.acks,
      compression: head.compression,
      timeoutMs: head.timeoutMs,
      records: [],
      segments: [],
      sizeBytes: 0,
    }
    for (let part = q.parts[q.head]; part !== undefined && sameSettings(part, head); part = q.parts[q.head]) {
      const start = part.drained
      // The first record always fits: a record larger than the batch size travels alone.
      while (part.drained < part.records.length) {
        const size = part.sizes[part.drained] as number
        if (batch.records.length > 0 && batch.sizeBytes + size > this.batchSizeBytes) break
        batch.records.push(part.records[part.drained] as RecordInput)
        batch.sizeBytes += size
        part.drained++
      }
      if (part.drained > start) batch.segments.push({ part, start, count: part.drained - start })
      if (part.drained < part.records.length) break
      q.head++
    }
    if (q.head === q.parts.length) {
      q.parts = []
      q.head = 0
      this.pending.delete(q)
    } else if (q.head > 1024 && q.head * 2 > q.parts.length) {
      q.parts = q.parts.slice(q.head)
      q.head = 0
    }
    q.bytes -= batch.sizeBytes
    this.totalBytes -= batch.sizeBytes
    q.inFlight++
    return batch
  }
}

function waiting(q: PartitionQueue): number {
  return q.parts.length - q.head
}

function sameSettings(a: SendPart, b: SendPart): boolean {
  return a.acks === b.acks && a.compression === b.compression && a.timeoutMs === b.timeoutMs
}
