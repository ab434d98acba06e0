import type { KafkaMessage } from './types'

/** FetchedChunk is the messages one fetch returned for one partition, waiting to be handled. */
export interface FetchedChunk {
  messages: KafkaMessage[]
  /** Offset after the chunk's last batch (past records compaction removed from its tail). */
  nextOffset: number
  highWatermark: number
  /** The partition's `positionEpoch` when fetched: a seek since then makes the chunk stale. */
  positionEpoch: number
}

/**
 * PartitionState is everything a consumer tracks for one assigned partition.
 *
 * Invariants: `resolved` ≤ `fetchOffset` unless a seek just moved them together; at most one
 * chunk is buffered and at most one is being handled, so prefetched memory per partition is
 * bounded by two fetch budgets.
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
  buffered: FetchedChunk | null = null
  /** Bumped whenever fetched-but-unhandled data must be thrown away (pause, abandon, reset). */
  fetchEpoch = 0
  /** Bumped by a seek: handlers of older chunks must not move `resolved`. */
  positionEpoch = 0
  /** Messages resolved since the last commit, for autoCommitThreshold. */
  uncommittedCount = 0

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** key identifies the partition in maps. */
  get key(): string {
    return partitionKey(this.topic, this.partition)
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
    return this.fetchOffset !== null && !this.paused && this.buffered === null
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
