import type { NodeId } from './types'

/**
 * Inflights is a bounded FIFO of the last indexes of appends sent to one follower and not yet
 * acknowledged. When it is full, replication to that follower pauses (flow control).
 */
export class Inflights {
  private readonly buf: number[] = []
  constructor(readonly capacity: number) {}

  full(): boolean {
    return this.buf.length >= this.capacity
  }

  count(): number {
    return this.buf.length
  }

  add(lastIndex: number): void {
    this.buf.push(lastIndex)
  }

  /** freeLE releases every append whose last index is <= `index` (they are acknowledged). */
  freeLE(index: number): void {
    let k = 0
    while (k < this.buf.length && this.buf[k]! <= index) k++
    if (k > 0) this.buf.splice(0, k)
  }

  reset(): void {
    this.buf.length = 0
  }
}

/**
 * ProgressState is how a leader replicates to one follower:
 * - probe: one append at a time until the follower's match point is found;
 * - replicate: optimistic pipelining, bounded by the in-flight window;
 * - snapshot: a snapshot is on its way; appends wait until it is acknowledged.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot'

/** Progress is a leader's view of one follower (or of itself). */
export class Progress {
  /** Highest index known replicated and durable on the follower. */
  match = 0
  /** Next index to send. Invariant: match < next. */
  next: number
  state: ProgressState = 'probe'
  /** In probe state, an append was sent and we wait for its answer (or a heartbeat answer). */
  probeSent = false
  /** The snapshot index being installed, in snapshot state. */
  pendingSnapshot = 0
  /** Ticks with a snapshot or appends outstanding and no acknowledgement, so lost ones are retried. */
  stallTicks = 0
  /** Whether we heard from this follower since the last check-quorum round. */
  recentActive = false
  readonly inflights: Inflights

  constructor(
    readonly id: NodeId,
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next
    this.inflights = new Inflights(maxInflight)
  }

  private resetState(state: ProgressState): void {
    this.state = state
    this.probeSent = false
    this.pendingSnapshot = 0
    this.stallTicks = 0
    this.inflights.reset()
  }

  becomeProbe(): void {
    // Coming back from a snapshot, resume right after it; otherwise right after the match point.
    const from = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1
    this.resetState('probe')
    this.next = from
  }

  becomeReplicate(): void {
    this.resetState('replicate')
    this.next = this.match + 1
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot')
    this.pendingSnapshot = snapshotIndex
  }

  /** maybeUpdate records an acknowledgement up to `index`; returns whether match advanced. */
  maybeUpdate(index: number): boolean {
    let updated = false
    if (index > this.match) {
      this.match = index
      updated = true
      this.probeSent = false
    }
    this.next = Math.max(this.next, index + 1)
    return updated
  }

  /** sentEntries updates the window after an append ending at `lastIndex` was sent. */
  sentEntries(lastIndex: number, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1
        this.inflights.add(lastIndex)
      }
    } else if (this.state === 'probe') {
      this.probeSent = true
    }
  }

  /**
   * maybeDecrTo handles a rejected append for `rejected`, with the follower's hint `matchHint`
   * (already mapped through the leader's log by term). Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Rejections of indexes at or below match are stale: the follower already agreed there.
      if (rejected <= this.match) return false
      this.next = this.match + 1
      return true
    }
    // In probe state only the rejection of the probe we sent (next - 1) is meaningful.
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1)
    this.probeSent = false
    return true
  }

  /** isPaused tells whether no further append may be sent now (flow control). */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent
      case 'replicate':
        return this.inflights.full()
      case 'snapshot':
        return true
    }
  }
}
