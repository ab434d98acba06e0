import type { RecordBatchHeader as BatchHeader } from '@tributary/core'
import { ProducerExpiry, RETAINED_BATCHES_PER_PRODUCER } from '@tributary/core/internal'
import type { JournalRecord } from './partition-snapshot'

/**
 * ProducerJournal is a partition replica's record of each idempotent producer's last five applied
 * batches: what a new leader rebuilds its duplicate table from. A producer idle for longer than
 * `producerIdExpirationMs` (Kafka's `producer.id.expiration.ms`) is forgotten, by core's
 * ProducerExpiry rule (the log's own time, so every replica that applies the same batches forgets
 * the same producers; a single node's ProducerStateTable applies the same rule). Pure.
 */
export class ProducerJournal {
  private readonly byProducer = new Map<number, JournalRecord[]>()
  private readonly expiry: ProducerExpiry

  constructor(producerIdExpirationMs: number) {
    this.expiry = new ProducerExpiry(producerIdExpirationMs)
  }

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
    if (records.length > RETAINED_BATCHES_PER_PRODUCER) records.shift()
    this.byProducer.set(h.producerId, records)
    for (const id of this.expiry.note(h.producerId, h.maxTimestamp)) this.byProducer.delete(id)
  }

  /** expire forgets the producers whose newest batch is older than the expiration before the newest batch seen. */
  expire(): void {
    for (const id of this.expiry.expire()) this.byProducer.delete(id)
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
    this.expiry.clear()
    for (const r of records) {
      this.byProducer.set(r.batch.producerId, [...(this.byProducer.get(r.batch.producerId) ?? []), r])
      // A record from before timestamps were kept never expires by its own age.
      this.expiry.seen(r.batch.producerId, r.timestampMs ?? Number.POSITIVE_INFINITY)
    }
  }
}
