import { assert } from '@tributary/core/internal'
import {
  TributaryError,
  encodeRecordBatch,
  type Broker,
  type Clock,
  type ProducePartitionResult,
  type ProducerIdentity,
} from '@tributary/core'
import type { ResolvedRetry } from '../options'
import { backoffMs, isRetriable, sleep, withRetry } from '../retry'
import type { DrainedBatch } from './accumulator'

/**
 * The sender turns drained batches into produce requests: it encodes each batch once (with the
 * idempotent producer id and the partition's next sequence), groups batches that share acks and
 * timeout into one request, and retries retriable failures with the *same bytes*, so the broker
 * recognises a retry of a batch it already appended and answers with the original offsets.
 *
 * A batch that fails for good leaves a gap in its partition's sequences, so the idempotent
 * producer then takes a new producer id, whose sequences start again at 0 on every partition.
 * Batches of the old id that are still being retried keep their bytes (the broker still knows
 * the old id and dedups them). Invariant: a partition's batches under a new id go out only once
 * every batch of that partition under an older id has settled — otherwise a new batch could land
 * before an older retried one and break key order. This is what Kafka's Java producer does
 * (RecordAccumulator stops draining a partition whose in-flight batches carry a stale producer id
 * or epoch); holding back only the affected partitions keeps the others flowing.
 */

/** InFlight is one encoded batch between its first send and its final outcome. */
interface InFlight {
  batch: DrainedBatch
  bytes: Buffer
  attempt: number
  /** The producer id and epoch the batch was encoded with (null: not idempotent). */
  identity: ProducerIdentity | null
  /** The state of the batch's partition. */
  partition: PartitionSend
  /** The partition's previous unsettled batch under the same identity: retries must not overtake it. */
  prev: InFlight | null
  settled: boolean
  failure: unknown
  /** Made only when a retry waits for this batch to settle (rare): most batches never need it. */
  whenSettled: Promise<void> | null
  markSettled: (() => void) | null
}

/** PartitionSend is the sender's state of one partition. */
interface PartitionSend {
  readonly topic: string
  readonly partition: number
  /** The next batch's base sequence under the current identity. */
  sequence: number
  /** The last batch encoded, while it is unsettled. */
  last: InFlight | null
  /** Every unsettled batch (at most the in-flight limit), to hold back a new identity's batches. */
  readonly unsettled: Set<InFlight>
}

/** whenSettled resolves once `flight` has its final outcome. */
function whenSettled(flight: InFlight): Promise<void> {
  if (flight.settled) return Promise.resolve()
  flight.whenSettled ??= new Promise<void>((resolve) => (flight.markSettled = resolve))
  return flight.whenSettled
}

/** SenderHooks tell the producer how batches ended. */
export interface SenderHooks {
  onSuccess(batch: DrainedBatch, result: ProducePartitionResult): void
  onFailure(batch: DrainedBatch, error: unknown): void
  /** Called for UNKNOWN_TOPIC_OR_PARTITION / NOT_LEADER_OR_FOLLOWER so cached metadata is refreshed. */
  onStaleMetadata(topic: string): void
}

const STALE_METADATA = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE'])

export class Sender {
  private identity: ProducerIdentity | null = null
  private identityPending: Promise<ProducerIdentity> | null = null
  /**
   * Each partition's sequence and unsettled batches, kept for every partition sent to (no key
   * string, Map entry or Set made and dropped per batch).
   */
  private readonly partitions = new Map<string, PartitionSend>()
  private lastPartition: PartitionSend | null = null

  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly retry: ResolvedRetry,
    private readonly idempotent: boolean,
    private readonly hooks: SenderHooks,
  ) {}

  /** hasIdentity tells whether batches can be encoded now (no producer id needed, or one is at hand). */
  hasIdentity(): boolean {
    return !this.idempotent || this.identity !== null
  }

  /** ensureIdentity fetches a producer id once (and again after a reset). */
  async ensureIdentity(): Promise<void> {
    if (!this.idempotent || this.identity) return
    // A metadata leader election or a node going away is retried like a send. The identity is set
    // once, where it arrives, not by each waiter: a waiter resuming late must not restore an id
    // that a failure has reset since.
    this.identityPending ??= withRetry(this.clock, this.retry, () => this.broker.initProducerId())
      .then((identity) => (this.identity = identity))
      .finally(() => {
        this.identityPending = null
      })
    await this.identityPending
  }

  /**
   * send encodes and dispatches batches; batches with the same acks and timeout share one
   * request, except that a request holds at most one batch per partition (a Kafka produce request
   * names each partition once): a partition's second batch goes in a second request, dispatched
   * right after the first, so its batches still reach the broker in order. Call
   * `ensureIdentity()` first. Returns once every request has been handed to the broker.
   */
  send(batches: DrainedBatch[]): void {
    assert(!this.idempotent || this.identity !== null, 'Sender.send without a producer id: ensureIdentity() comes first')
    if (batches.length === 1) {
      const flight = this.encode(batches[0] as DrainedBatch)
      if (flight) this.dispatchWhenReady(flight, null)
      return
    }
    const groups = new Map<string, InFlight[]>()
    /** How many batches of each partition this call has grouped already: the k-th goes in request k. */
    const rounds = new Map<string, number>()
    for (const batch of batches) {
      const flight = this.encode(batch)
      if (!flight) continue
      const partition = batchKey(batch)
      const round = rounds.get(partition) ?? 0
      rounds.set(partition, round + 1)
      const key = `${batch.acks}/${batch.timeoutMs}/${round}`
      let group = groups.get(key)
      if (group === undefined) groups.set(key, (group = []))
      this.dispatchWhenReady(flight, group)
    }
    for (const flights of groups.values()) if (flights.length > 0) void this.dispatch(flights)
  }

  /**
   * dispatchWhenReady sends `flight` now (into `group` when given), or — when its partition still
   * has unsettled batches of an older identity — on its own once those have settled.
   */
  private dispatchWhenReady(flight: InFlight, group: InFlight[] | null): void {
    const older = this.olderUnsettled(flight)
    if (older !== null) void Promise.all(older.map(whenSettled)).then(() => this.dispatch([flight]))
    else if (group !== null) group.push(flight)
    else void this.dispatch([flight])
  }

  /** olderUnsettled lists the unsettled batches of `flight`'s partition encoded under another identity, or null for none. */
  private olderUnsettled(flight: InFlight): InFlight[] | null {
    const open = flight.partition.unsettled
    if (open.size === 1) return null
    let older: InFlight[] | null = null
    for (const f of open) if (f.identity !== flight.identity) (older ??= []).push(f)
    return older
  }

  private encode(batch: DrainedBatch): InFlight | null {
    const partition = this.partitionOf(batch)
    const baseSequence = this.identity ? partition.sequence : -1
    let bytes: Buffer
    try {
      bytes = encodeRecordBatch(batch.records, {
        producerId: this.identity?.producerId ?? -1,
        producerEpoch: this.identity?.producerEpoch ?? -1,
        baseSequence,
        compression: batch.compression,
      })
    } catch (error) {
      this.hooks.onFailure(batch, error)
      return null
    }
    // Sequences wrap from INT32_MAX to 0, as Kafka's do.
    if (this.identity) partition.sequence = (baseSequence + batch.records.length) % 0x80000000
    // Sequences, and so the retry order, are per identity: a batch of an older one is not a predecessor.
    const last = partition.last
    const prev = last !== null && last.identity === this.identity ? last : null
    const flight: InFlight = {
      batch,
      partition,
      bytes,
      attempt: 0,
      identity: this.identity,
      prev,
      settled: false,
      failure: null,
      whenSettled: null,
      markSettled: null,
    }
    partition.last = flight
    partition.unsettled.add(flight)
    return flight
  }

  private async dispatch(flights: InFlight[]): Promise<void> {
    const first = flights[0] as InFlight
    let results: ProducePartitionResult[]
    try {
      results = await this.broker.produce({
        acks: first.batch.acks,
        timeoutMs: first.batch.timeoutMs,
        partitions: flights.map((f) => ({ topic: f.batch.topic, partition: f.batch.partition, batch: f.bytes })),
      })
    } catch (error) {
      // The whole request failed: each batch decides on its own whether to retry.
      for (const f of flights) void this.handle(f, error)
      return
    }
    for (let i = 0; i < flights.length; i++) {
      const f = flights[i] as InFlight
      const result = results[i]
      const error = result?.error ?? null
      // The common case settles here, without an async call per batch.
      if (!error && result) this.settle(f, null, result)
      else void this.handle(f, error, result)
    }
  }

  private async handle(flight: InFlight, error: unknown, result?: ProducePartitionResult): Promise<void> {
    if (!error && result) return this.settle(flight, null, result)
    const { topic } = flight.batch
    if (error instanceof TributaryError && STALE_METADATA.has(error.code)) this.hooks.onStaleMetadata(topic)
    if (!this.mayRetry(flight, error)) return this.settle(flight, error)
    await sleep(this.clock, backoffMs(this.retry, flight.attempt))
    // Retries go in sequence order: an earlier batch of the partition settles first.
    if (flight.prev && !flight.prev.settled) await whenSettled(flight.prev)
    if (flight.prev?.failure) return this.settle(flight, flight.prev.failure)
    flight.attempt++
    await this.dispatch([flight])
  }

  /**
   * mayRetry: retriable errors, and OUT_OF_ORDER_SEQUENCE_NUMBER for a batch sent while an earlier
   * batch of the partition was unsettled, unless that one failed. Either the earlier batch is still
   * being retried (this batch's sequence is ahead of the log for now), or it has landed since the
   * broker checked this one (a rejection answered late): both times the same bytes can succeed.
   * A batch sent with no batch before it in flight follows what the log already holds, so its
   * rejection is a real gap and fails at once.
   */
  private mayRetry(flight: InFlight, error: unknown): boolean {
    if (flight.attempt >= this.retry.retries) return false
    if (isRetriable(error)) return true
    const outOfOrder = error instanceof TributaryError && error.code === 'OUT_OF_ORDER_SEQUENCE_NUMBER'
    return outOfOrder && flight.prev !== null && !flight.prev.failure
  }

  private settle(flight: InFlight, error: unknown, result?: ProducePartitionResult): void {
    flight.settled = true
    flight.failure = error
    const partition = flight.partition
    if (partition.last === flight) partition.last = null
    partition.unsettled.delete(flight)
    flight.prev = null
    if (error) {
      // A batch that never landed leaves a sequence gap; a new producer id restarts every sequence
      // at 0. A failure under an id already replaced leaves no gap in the current one's sequences.
      if (this.idempotent && flight.identity === this.identity) this.resetIdentity()
      this.hooks.onFailure(flight.batch, error)
    } else {
      this.hooks.onSuccess(flight.batch, result as ProducePartitionResult)
    }
    flight.markSettled?.()
  }

  private resetIdentity(): void {
    this.identity = null
    for (const partition of this.partitions.values()) partition.sequence = 0
  }

  /** partitionOf returns a batch's partition state, creating it; the last one used is remembered. */
  private partitionOf(batch: DrainedBatch): PartitionSend {
    const last = this.lastPartition
    if (last !== null && last.partition === batch.partition && last.topic === batch.topic) return last
    const key = batchKey(batch)
    let partition = this.partitions.get(key)
    if (partition === undefined) {
      partition = { topic: batch.topic, partition: batch.partition, sequence: 0, last: null, unsettled: new Set() }
      this.partitions.set(key, partition)
    }
    this.lastPartition = partition
    return partition
  }
}

function batchKey(batch: DrainedBatch): string {
  return `${batch.topic}\u0000${batch.partition}`
}
