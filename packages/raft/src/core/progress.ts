import type { NodeId } from './types'

/**
 * Inflights is a bounded FIFO of the appends sent to one follower in the replicate state and not
 * yet acknowledged: each one's last index, entry bytes, the leader tick it was sent at, and
 * whether its answer may be taken as a round-trip sample (not when it was a retransmission:
 * Karn's rule). When it holds `capacity` appends or `maxBytes` bytes, replication to that
 * follower pauses (flow control; the byte bound keeps a catch-up within what a transport queues).
 */
export class Inflights {
  private readonly lastIndexes: number[] = []
  private readonly byteCounts: number[] = []
  private readonly sentTicks: number[] = []
  private readonly sampleable: boolean[] = []
  private bytes = 0
  constructor(
    readonly capacity: number,
    readonly maxBytes = Infinity,
  ) {}

  full(): boolean {
    return this.lastIndexes.length >= this.capacity || this.bytes >= this.maxBytes
  }

  count(): number {
    return this.lastIndexes.length
  }

  add(lastIndex: number, bytes: number, tick: number, sampleable = true): void {
    this.lastIndexes.push(lastIndex)
    this.byteCounts.push(bytes)
    this.bytes += bytes
    this.sentTicks.push(tick)
    this.sampleable.push(sampleable)
  }

  /**
   * freeLE releases every append whose last index is <= `index` (they are acknowledged) and
   * returns the tick the newest of them was sent at when it is a round-trip sample.
   */
  freeLE(index: number): number | undefined {
    let k = 0
    while (k < this.lastIndexes.length && this.lastIndexes[k]! <= index) k++
    if (k === 0) return undefined
    const sample = this.sampleable[k - 1] === true ? this.sentTicks[k - 1] : undefined
    for (let i = 0; i < k; i++) this.bytes -= this.byteCounts[i]!
    this.byteCounts.splice(0, k)
    this.lastIndexes.splice(0, k)
    this.sentTicks.splice(0, k)
    this.sampleable.splice(0, k)
    return sample
  }

  reset(): void {
    this.bytes = 0
    this.byteCounts.length = 0
    this.lastIndexes.length = 0
    this.sentTicks.length = 0
    this.sampleable.length = 0
  }
}

/**
 * ProgressState is how a leader replicates to one follower:
 * - probe: one append at a time until the follower's match point is found;
 * - replicate: optimistic pipelining, bounded by the in-flight window;
 * - snapshot: a snapshot is on its way; appends wait until it is acknowledged.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot'

/** RetransmitLimits bound a follower's retransmission timeout, in ticks. */
export interface RetransmitLimits {
  /** The timeout before any round trip was measured. */
  readonly initialTicks: number
  /** The ceiling, backoff included (an election timeout: beyond it check-quorum speaks). */
  readonly maxTicks: number
}

/**
 * Progress is a leader's view of one follower.
 *
 * Retransmission: nothing is sent twice because of a timer shorter than the link's round trip.
 * The leader measures the round trip of first transmissions (Karn's rule) in ticks, keeps a
 * smoothed estimate and its variance (Jacobson/Karels, as TCP does), and waits `rto()` ticks
 * without progress before it retransmits; each retransmission without progress doubles the wait.
 * A stalled pipeline is retransmitted as an empty append (which re-sends no range): only a
 * follower that answers that it lacks the data gets a range again.
 */
export class Progress {
  /** Highest index known replicated and durable on the follower. */
  match = 0
  /** Next index to send. Invariant: match < next. */
  next: number
  state: ProgressState = 'probe'
  /** In probe state, an append was sent and its answer is awaited. */
  probeSent = false
  /** The last index the outstanding probe carried (its prev index when it carried none), and its entry bytes. */
  probeLast = 0
  private probeBytes = 0
  /** The tick the outstanding probe was sent at, and whether that was its first transmission. */
  private probeSentTick = 0
  private probeFirstSend = false
  /** The snapshot index being installed, in snapshot state. */
  pendingSnapshot = 0
  /** Ticks with something outstanding and no progress since it was sent, or since the last progress. */
  waitTicks = 0
  /** Retransmissions since the last progress: each doubles the retransmission timeout. */
  retries = 0
  /** The highest commit index sent to this follower (an append is not sent just to repeat it). */
  sentCommit = 0
  /** Whether we heard from this follower since the last check-quorum round. */
  recentActive = false
  /** Smoothed round trip and its mean deviation, in ticks; srtt < 0 until the first sample. */
  private srtt = -1
  private rttvar = 0
  readonly inflights: Inflights

  constructor(
    readonly id: NodeId,
    next: number,
    maxInflight: number,
    public isLearner: boolean,
    maxInflightBytes = Infinity,
  ) {
    this.next = next
    this.inflights = new Inflights(maxInflight, maxInflightBytes)
  }

  private resetState(state: ProgressState): void {
    this.state = state
    this.probeSent = false
    this.probeLast = 0
    this.pendingSnapshot = 0
    this.waitTicks = 0
    this.inflights.reset()
  }

  /**
   * becomeProbe starts probing at `from` (a rejection's hint), or else right after the match
   * point, or, coming back from a snapshot, right after it. Never at or below the match point.
   */
  becomeProbe(from?: number): void {
    const after = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1
    this.resetState('probe')
    this.next = Math.max(this.match + 1, from ?? after)
  }

  /**
   * becomeReplicate starts pipelining after the match point. A probe still on its way (its
   * entries follow the match point, so the follower will accept it) becomes the first append in
   * flight instead of being sent again.
   */
  becomeReplicate(): void {
    const probeLast = this.probeSent ? this.probeLast : 0
    const { probeSentTick, probeFirstSend, probeBytes } = this
    this.resetState('replicate')
    this.next = this.match + 1
    if (probeLast > this.match) {
      this.inflights.add(probeLast, probeBytes, probeSentTick, probeFirstSend)
      this.next = probeLast + 1
    }
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot')
    this.pendingSnapshot = snapshotIndex
  }

  /**
   * maybeUpdate records an acknowledgement up to `index` received at `tick`; returns whether
   * match advanced. Progress resets the retransmission backoff.
   */
  maybeUpdate(index: number, tick: number): boolean {
    if (index <= this.match) return false
    this.match = index
    this.next = Math.max(this.next, index + 1)
    if (this.state === 'replicate') {
      // After a retransmission the answer may be the retransmission's: no sample (Karn's rule).
      const sentTick = this.inflights.freeLE(index)
      if (sentTick !== undefined && this.retries === 0) this.sampleRtt(tick - sentTick)
    } else if (this.state === 'probe' && this.probeSent && index >= this.probeLast && this.probeFirstSend) {
      this.sampleRtt(tick - this.probeSentTick)
    }
    this.waitTicks = 0
    this.retries = 0
    return true
  }

  /** answersProbe tells whether a successful answer at `index` settles the outstanding probe (it confirms next - 1). */
  answersProbe(index: number): boolean {
    return this.state === 'probe' && index >= this.next - 1
  }

  /** sentEntries updates the window after an append of `entryCount` entries (`bytes` in all) ending at `lastIndex` was sent at `tick`. */
  sentEntries(lastIndex: number, entryCount: number, bytes: number, tick: number): void {
    if (this.state === 'replicate') {
      if (entryCount === 0) return
      if (this.inflights.count() === 0) this.waitTicks = 0
      this.next = lastIndex + 1
      this.inflights.add(lastIndex, bytes, tick)
    } else if (this.state === 'probe') {
      this.probeSent = true
      this.probeLast = lastIndex
      this.probeBytes = bytes
      this.probeSentTick = tick
      this.probeFirstSend = this.retries === 0
      this.waitTicks = 0
    }
  }

  /** noteRetransmit records a retransmission (a probe, a snapshot or an empty append to a stalled pipeline). */
  noteRetransmit(): void {
    this.retries++
    this.waitTicks = 0
  }

  /**
   * maybeDecrTo handles a rejected append for `rejected`, with the follower's hint `matchHint`
   * (already mapped through the leader's log by term). Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Rejections of indexes at or below match are stale: the follower already agreed there.
      // Otherwise probing resumes from the hint (what the follower holds past the match point,
      // e.g. appends whose acknowledgements are still on their way, is not sent again).
      if (rejected <= this.match) return false
      this.becomeProbe(Math.min(rejected, matchHint + 1))
      this.retries = 0
      return true
    }
    // In probe state only the rejection of the probe we sent (next - 1) is meaningful.
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1)
    this.probeSent = false
    // An answer came, so the link works: the next probe is a first transmission.
    this.retries = 0
    this.waitTicks = 0
    return true
  }

  /** outstanding tells whether something sent to this follower still awaits its answer. */
  outstanding(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent
      case 'replicate':
        return this.inflights.count() > 0
      case 'snapshot':
        return true
    }
  }

  /** rto is how many ticks without progress justify a retransmission now (backoff included). */
  rto(limits: RetransmitLimits): number {
    return Math.min(limits.maxTicks, this.baseRto(limits) * 2 ** Math.min(this.retries, 16))
  }

  /** baseRto is the retransmission timeout the measured round trip gives, before any backoff. */
  private baseRto(limits: RetransmitLimits): number {
    const base = this.srtt < 0 ? limits.initialTicks : Math.ceil(this.srtt + 4 * this.rttvar) + 1
    return Math.min(limits.maxTicks, base)
  }

  /** retransmitDue tells whether the outstanding data waited long enough to be sent again. */
  retransmitDue(limits: RetransmitLimits): boolean {
    return this.outstanding() && this.waitTicks >= this.rto(limits)
  }

  private sampleRtt(ticks: number): void {
    const s = Math.max(0, ticks)
    if (this.srtt < 0) {
      this.srtt = s
      this.rttvar = s / 2
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - s)
      this.srtt = 0.875 * this.srtt + 0.125 * s
    }
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
