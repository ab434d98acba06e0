import { TributaryError } from './errors'

/** How many recent batches per producer a partition remembers for duplicate detection (Kafka: 5). */
export const RETAINED_BATCHES_PER_PRODUCER = 5
/** DEFAULT_PRODUCER_ID_EXPIRATION_MS is Kafka's `producer.id.expiration.ms` (one day). */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000
/** Expiry is checked once per this many recorded batches (it walks every producer). */
const EXPIRY_CHECK_EVERY = 1024

/**
 * ProducerExpiry decides when an idle producer id is forgotten (Kafka's
 * `producer.id.expiration.ms`): when its newest batch is older than the expiration before the
 * newest batch of the partition. Idleness is measured in the log's own time (the batches' max
 * timestamps), so every replica that applies the same batches forgets the same producers, and a
 * single node needs no clock for it. Pure.
 */
export class ProducerExpiry {
  private readonly lastSeenMs = new Map<number, number>()
  private newestMs = Number.NEGATIVE_INFINITY
  private sinceCheck = 0

  constructor(private readonly expirationMs: number = DEFAULT_PRODUCER_ID_EXPIRATION_MS) {}

  /** note records a batch of `producerId` with max timestamp `timestampMs`; it returns the producers to forget now (usually none). */
  note(producerId: number, timestampMs: number): number[] {
    this.seen(producerId, timestampMs)
    return ++this.sinceCheck >= EXPIRY_CHECK_EVERY ? this.expire() : []
  }

  /**
   * seen records a batch without checking for expiry (rebuilding from a snapshot). A timestamp
   * that is not finite (a record from before timestamps were kept) keeps the producer for ever
   * and does not move the partition's newest time.
   */
  seen(producerId: number, timestampMs: number): void {
    this.lastSeenMs.set(producerId, Math.max(this.lastSeenMs.get(producerId) ?? Number.NEGATIVE_INFINITY, timestampMs))
    if (Number.isFinite(timestampMs)) this.newestMs = Math.max(this.newestMs, timestampMs)
  }

  /** expire forgets, and returns, the producers whose newest batch is past the horizon. */
  expire(): number[] {
    this.sinceCheck = 0
    const horizon = this.newestMs - this.expirationMs
    const expired: number[] = []
    for (const [id, lastMs] of this.lastSeenMs) if (lastMs < horizon) expired.push(id)
    for (const id of expired) this.lastSeenMs.delete(id)
    return expired
  }

  /** clear forgets every producer and the newest timestamp. */
  clear(): void {
    this.lastSeenMs.clear()
    this.newestMs = Number.NEGATIVE_INFINITY
    this.sinceCheck = 0
  }
}

interface RetainedBatch {
  firstSeq: number
  lastSeq: number
  baseOffset: number
  logAppendTime: number
}

interface ProducerEntry {
  epoch: number
  lastSeq: number
  batches: RetainedBatch[]
}

/** IdempotentBatch describes the producer fields of an incoming batch. */
export interface IdempotentBatch {
  producerId: number
  producerEpoch: number
  baseSequence: number
  /** Records in the batch minus one (the sequence span). */
  lastOffsetDelta: number
}

/** SequenceCheck is the verdict on an incoming batch: append it, or answer with the original offsets. */
export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number; logAppendTime: number }

/**
 * ProducerStateTable tracks, for one partition, each idempotent producer's epoch and last sequence
 * so that a retried batch is not appended twice (KIP-98). A producer idle longer than
 * `producerIdExpirationMs` (log time, see ProducerExpiry) is forgotten, so the table is bounded by
 * the producers active within the expiration. Pure: no I/O, no clock.
 */
export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>()
  private readonly expiry: ProducerExpiry

  constructor(producerIdExpirationMs: number = DEFAULT_PRODUCER_ID_EXPIRATION_MS) {
    this.expiry = new ProducerExpiry(producerIdExpirationMs)
  }

  /** size is how many producers the table remembers. */
  get size(): number {
    return this.producers.size
  }

  /**
   * check decides what to do with a batch: a retry of one of the last five batches is a
   * duplicate; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is
   * INVALID_PRODUCER_EPOCH. Batches without a producer id are always appended.
   */
  check(batch: IdempotentBatch): SequenceCheck {
    if (batch.producerId < 0 || batch.baseSequence < 0) return { kind: 'append' }
    const entry = this.producers.get(batch.producerId)
    if (!entry) return { kind: 'append' }
    if (batch.producerEpoch < entry.epoch) {
      throw new TributaryError(
        'INVALID_PRODUCER_EPOCH',
        `Producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${entry.epoch}`,
      )
    }
    if (batch.producerEpoch > entry.epoch) {
      if (batch.baseSequence !== 0) {
        throw new TributaryError('OUT_OF_ORDER_SEQUENCE_NUMBER', `A new producer epoch must start at sequence 0, got ${batch.baseSequence}`)
      }
      return { kind: 'append' }
    }
    const lastSeq = lastSequenceOf(batch)
    const retained = entry.batches.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq)
    if (retained) return { kind: 'duplicate', baseOffset: retained.baseOffset, logAppendTime: retained.logAppendTime }
    if (batch.baseSequence !== nextSequence(entry.lastSeq)) {
      throw new TributaryError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `Producer ${batch.producerId}: expected sequence ${nextSequence(entry.lastSeq)}, got ${batch.baseSequence}`,
        { details: { producerId: batch.producerId, expected: nextSequence(entry.lastSeq), received: batch.baseSequence } },
      )
    }
    return { kind: 'append' }
  }

  /** record remembers a batch that was appended at `baseOffset`, whose records are at most `timestampMs` old. */
  record(batch: IdempotentBatch, baseOffset: number, logAppendTime: number, timestampMs: number): void {
    if (batch.producerId < 0 || batch.baseSequence < 0) return
    for (const id of this.expiry.note(batch.producerId, timestampMs)) this.producers.delete(id)
    let entry = this.producers.get(batch.producerId)
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, lastSeq: -1, batches: [] }
      this.producers.set(batch.producerId, entry)
    }
    const lastSeq = lastSequenceOf(batch)
    entry.lastSeq = lastSeq
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq, baseOffset, logAppendTime })
    if (entry.batches.length > RETAINED_BATCHES_PER_PRODUCER) entry.batches.shift()
  }

  /** clear forgets every producer (after a truncation the retained offsets may be gone). */
  clear(): void {
    this.producers.clear()
    this.expiry.clear()
  }
}

/** Sequences wrap from INT32_MAX to 0, as in Kafka. */
function nextSequence(seq: number): number {
  return seq === 0x7fffffff ? 0 : seq + 1
}

function lastSequenceOf(batch: IdempotentBatch): number {
  const last = batch.baseSequence + batch.lastOffsetDelta
  return last > 0x7fffffff ? last - 0x80000000 : last
}
