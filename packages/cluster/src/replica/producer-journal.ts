import type { RecordBatchHeader as BatchHeader } from '@tributary/core'
import type { JournalRecord } from './partition-snapshot'

/** Batches remembered per producer: Kafka's window of in-flight idempotent batches. */
const BATCHES_PER_PRODUCER = 5
/** Expiry is checked once per this many recorded batches (it walks every producer). */
const EXPIRY_CHECK_EVERY = 1024

/**
 * ProducerJournal is a partition replica's record of each idempotent producer's last five applied
 * batches: what a new leader rebuilds its duplicate table from. A producer idle for longer than
 * `producerIdExpirationMs` (Kafka's `producer.id.expiration.ms`) is forgotten. Idleness is
 * measured in the log's own time, the batches' max timestamps, so every replica that applies the
 * same batches forgets the same producers (no local clock involved). Pure.
 */
export class ProducerJournal {
  private readonly byProducer = new Map<number, JournalRecord[]>()
  private newestTimestampMs = -Infinity
  private sinceCheck = 0

  constructor(private readonly producerIdExpirationMs: number) {}

  /** record notes one applied batch at `baseOffset`; a batch it already holds (a replay) is not added twice. */
  record(h: BatchHeader, baseOffset: number): void {
    if (h.producerId < 0 || h.baseSequence < 0) return
    const records = this.byProducer.get(h.producerId) ?? []
    if ((records[records.length - 1]?.baseOffset ?? -1) >= baseOffset) return
    const batch = {
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      lastOffsetDelta: h.lastOffsetDelta,
    }
    records.push({ batch, baseOffset, logAppendTime: -1, timestampMs: h.maxTimestamp })
    if (records.length > BATCHES_PER_PRODUCER) records.shift()
    this.byProducer.set(h.producerId, records)
    this.newestTimestampMs = Math.max(this.newestTimestampMs, h.maxTimestamp)
    if (++this.sinceCheck >= EXPIRY_CHECK_EVERY) this.expire()
  }

  /** expire forgets the producers whose newest batch is older than the expiration before the newest batch seen. */
  expire(): void {
    this.sinceCheck = 0
    const horizon = this.newestTimestampMs - this.producerIdExpirationMs
    for (const [id, records] of this.byProducer) {
      const last = records[records.length - 1]?.timestampMs ?? Infinity
      if (last < horizon) this.byProducer.delete(id)
    }
  }

  /** records lists every remembered batch (for a snapshot). */
  records(): JournalRecord[] {
    return [...this.byProducer.values()].flat()
  }

  /** producerCount is how many producers are remembered. */
  producerCount(): number {
    return this.byProducer.size
  }

  /** restore replaces the journal with a snapshot's records. */
  restore(records: readonly JournalRecord[]): void {
    this.byProducer.clear()
    for (const r of records) {
      this.byProducer.set(r.batch.producerId, [...(this.byProducer.get(r.batch.producerId) ?? []), r])
      if (r.timestampMs !== undefined) this.newestTimestampMs = Math.max(this.newestTimestampMs, r.timestampMs)
    }
  }
}
