import {
  BATCH_BYTES_BUCKETS,
  BATCH_RECORDS_BUCKETS,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  type FetchPartitionResult,
  type FetchRequest,
  type ProducePartitionResult,
  type ProduceRequest,
} from '@tributary/core'
import { BatchLayout } from '@tributary/core/internal'

/*
 * Counters of the traffic through one Broker object, kept at batch granularity: a produce request
 * adds each written batch's record count (read from its header) and size; a fetch adds the
 * records at or after the asked offset in each returned batch. Counters are plain numbers in one
 * object per partition, created on the partition's first request and incremented in place.
 */

/** PartitionTraffic is what passed through for one partition since the counters were made. */
export interface PartitionTraffic {
  topic: string
  partition: number
  /** Records written (produce answered without error). */
  messagesIn: number
  /** Bytes of record batches written. */
  bytesIn: number
  /** Records read (by fetches: those at or after the offset asked). */
  messagesOut: number
  /** Bytes of record batches read. */
  bytesOut: number
}

/** BrokerTraffic counts produce and fetch traffic per partition, and times the requests. */
export class BrokerTraffic {
  private readonly partitions = new Map<string, PartitionTraffic>()
  /** Produce request round trips, in seconds. */
  readonly produceLatency = new Histogram(LATENCY_BUCKETS_SECONDS)
  /** Fetch request round trips (including the long-poll wait), in seconds. */
  readonly fetchLatency = new Histogram(LATENCY_BUCKETS_SECONDS)
  /** Records per written batch. */
  readonly batchRecords = new Histogram(BATCH_RECORDS_BUCKETS)
  /** Bytes per written batch. */
  readonly batchBytes = new Histogram(BATCH_BYTES_BUCKETS)
  /** Partition results of produce requests that came back with an error (or requests that failed whole, per partition). */
  produceErrors = 0
  private lastEntry: PartitionTraffic | null = null
  private lastKey = ''

  /** recordProduce counts the batches of `request` that `results` report written. */
  recordProduce(request: ProduceRequest, results: readonly ProducePartitionResult[] | null, seconds: number): void {
    this.produceLatency.observe(seconds)
    const parts = request.partitions
    for (let i = 0; i < parts.length; i++) {
      const data = parts[i]
      if (data === undefined) continue
      const result = results?.[i]
      if (result === undefined || result.error !== undefined) {
        this.produceErrors++
        continue
      }
      const records = recordsIn(data.batch, 0)
      const t = this.entry(data.topic, data.partition)
      t.messagesIn += records
      t.bytesIn += data.batch.length
      this.batchRecords.observe(records)
      this.batchBytes.observe(data.batch.length)
    }
  }

  /** recordFetch counts the records returned at or after each partition's asked offset. */
  recordFetch(request: FetchRequest, results: readonly FetchPartitionResult[], seconds: number): void {
    this.fetchLatency.observe(seconds)
    for (const r of results) {
      if (r.error !== undefined || r.batches.length === 0) continue
      const from = askedOffset(request, r.topic, r.partition)
      const t = this.entry(r.topic, r.partition)
      for (const batch of r.batches) {
        t.messagesOut += recordsIn(batch, from)
        t.bytesOut += batch.length
      }
    }
  }

  /** forgetTopic drops the counters of a deleted topic. */
  forgetTopic(topic: string): void {
    for (const [k, t] of this.partitions) if (t.topic === topic) this.partitions.delete(k)
  }

  /** list returns every partition's counters (copies), sorted by topic and partition. */
  list(): PartitionTraffic[] {
    return [...this.partitions.values()]
      .map((t) => ({ ...t }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  }

  private entry(topic: string, partition: number): PartitionTraffic {
    // The last partition counted is remembered: a key string per request is measurable at one message per request.
    const last = this.lastEntry
    if (last !== null && last.partition === partition && last.topic === topic && this.partitions.get(this.lastKey) === last) return last
    const k = `${topic}\u0000${partition}`
    let t = this.partitions.get(k)
    if (t === undefined) {
      t = { topic, partition, messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 }
      this.partitions.set(k, t)
    }
    this.lastEntry = t
    this.lastKey = k
    return t
  }
}

/**
 * recordsIn counts the records of the batches in `buf` (one or more, back to back) at or after
 * `from`: a whole batch counts its record count; a batch that starts before `from` counts its
 * offsets from `from` on (capped at its record count, which compaction may have lowered).
 */
export function recordsIn(buf: Buffer, from: number): number {
  let n = 0
  let pos = 0
  while (pos + BatchLayout.HEADER_SIZE <= buf.length) {
    const size = buf.readInt32BE(pos + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
    if (size < BatchLayout.HEADER_SIZE) break
    // Two 32-bit reads, not readBigInt64BE (a BigInt per batch): offsets stay below 2^53.
    const base = buf.readInt32BE(pos + BatchLayout.BASE_OFFSET) * 0x1_0000_0000 + buf.readUInt32BE(pos + BatchLayout.BASE_OFFSET + 4)
    const last = base + buf.readInt32BE(pos + BatchLayout.LAST_OFFSET_DELTA)
    const count = buf.readInt32BE(pos + BatchLayout.RECORDS_COUNT)
    if (last >= from) n += base >= from ? count : Math.min(count, last - from + 1)
    pos += size
  }
  return n
}

/** askedOffset is the offset a fetch asked of a partition (0 if it did not ask). */
function askedOffset(request: FetchRequest, topic: string, partition: number): number {
  for (const p of request.partitions) if (p.topic === topic && p.partition === partition) return p.offset
  return 0
}
