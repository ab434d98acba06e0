import { assert } from '@tributary/core/internal'
import type { Entry, Membership, Snapshot } from './types'
import { EntryType } from './types'
import { decodeConfEntry } from './membership'

/** assert is core's one assert (InvariantError): a broken invariant is a programmer error, never an operating one. */
export { assert }

/** ENTRY_OVERHEAD_BYTES is what an entry counts for beyond its data (index, term, type, framing). */
export const ENTRY_OVERHEAD_BYTES = 16

/** entryBytes is the size an entry counts for in message, uncommitted-size and apply limits. */
export function entryBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES
}

/**
 * RaftLog is a replica's view of its log: a compacted prefix summarised by (offsetIndex,
 * offsetTerm), the entries after it, and the marks that split them into durable ("stable") and
 * not-yet-durable ("unstable") parts, committed and applied.
 *
 * Invariants: offsetIndex <= applied <= committed; applied <= stableIndex (only durable entries
 * are applied); entries[k].index === offsetIndex + 1 + k.
 */
export class RaftLog {
  private offsetIndex: number
  private offsetTerm: number
  private entries: Entry[]
  /** Membership in force at offsetIndex, then every membership entry after it, in order. */
  private baseMembership: Membership
  private confs: { index: number; membership: Membership }[] = []
  /** The newest snapshot this replica holds, which is what a leader sends to a lagging follower. */
  latestSnapshot: Snapshot
  /** A snapshot received from a leader and not yet handed to the runner to persist. */
  unstableSnapshot: Snapshot | undefined
  stableIndex: number
  committed: number
  applied: number

  constructor(snapshot: Snapshot, entries: readonly Entry[], committed: number) {
    this.offsetIndex = snapshot.meta.index
    this.offsetTerm = snapshot.meta.term
    this.baseMembership = snapshot.meta.membership
    this.latestSnapshot = snapshot
    this.unstableSnapshot = undefined
    this.entries = []
    this.stableIndex = snapshot.meta.index
    this.committed = snapshot.meta.index
    this.applied = snapshot.meta.index
    this.appendAt(entries)
    this.stableIndex = this.lastIndex()
    this.committed = Math.max(this.committed, Math.min(committed, this.lastIndex()))
  }

  /** firstIndex is the lowest index still held as an entry. */
  firstIndex(): number {
    return this.offsetIndex + 1
  }

  lastIndex(): number {
    return this.offsetIndex + this.entries.length
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0
  }

  /** term returns the term at `index`, or undefined when it was compacted away or is beyond the log. */
  term(index: number): number | undefined {
    if (index === this.offsetIndex) return this.offsetTerm
    if (index < this.offsetIndex || index > this.lastIndex()) return undefined
    return this.entries[index - this.offsetIndex - 1]?.term
  }

  entryAt(index: number): Entry | undefined {
    return this.entries[index - this.offsetIndex - 1]
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term
  }

  /** isUpToDate is the election restriction (§5.4.1): compare last terms first, then last indexes. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm()
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex())
  }

  /** membership is the newest configuration in the log, committed or not (it takes effect on append). */
  membership(): Membership {
    return this.confs[this.confs.length - 1]?.membership ?? this.baseMembership
  }

  /** membershipAt is the configuration in force at `index` (which must not be compacted). */
  membershipAt(index: number): Membership {
    let m = this.baseMembership
    for (const c of this.confs) if (c.index <= index) m = c.membership
    return m
  }

  /** lastConfIndex is the index of the newest membership entry, or offsetIndex when there is none. */
  lastConfIndex(): number {
    return this.confs[this.confs.length - 1]?.index ?? this.offsetIndex
  }

  /** slice returns entries [lo, hi) up to about `maxBytes`, always at least one when lo < hi. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    assert(
      lo > this.offsetIndex && hi <= this.lastIndex() + 1,
      `slice [${lo}, ${hi}) out of [${this.firstIndex()}, ${this.lastIndex() + 1})`,
    )
    const out: Entry[] = []
    let bytes = 0
    for (let i = lo; i < hi; i++) {
      const e = this.entries[i - this.offsetIndex - 1]!
      bytes += entryBytes(e)
      if (out.length > 0 && bytes > maxBytes) break
      out.push(e)
    }
    return out
  }

  /** unstableEntries are the entries the runner has not yet been told to persist durably. */
  unstableEntries(): Entry[] {
    return this.stableIndex >= this.lastIndex() ? [] : this.slice(Math.max(this.stableIndex + 1, this.firstIndex()), this.lastIndex() + 1)
  }

  /** appendAt writes `entries` (contiguous) at their indexes, discarding any suffix from the first one. */
  appendAt(entries: readonly Entry[]): void {
    const first = entries[0]
    if (first === undefined) return
    assert(first.index > this.committed, `overwriting committed index ${first.index} (commit ${this.committed})`)
    assert(first.index <= this.lastIndex() + 1, `gap: appending ${first.index} after ${this.lastIndex()}`)
    this.entries.length = first.index - this.offsetIndex - 1
    while (this.confs.length > 0 && this.confs[this.confs.length - 1]!.index >= first.index) this.confs.pop()
    // Truncating below the durable mark makes those indexes unstable again (their content changed).
    this.stableIndex = Math.min(this.stableIndex, first.index - 1)
    for (const e of entries) {
      this.entries.push(e)
      if (e.type === EntryType.ConfChange) this.confs.push({ index: e.index, membership: decodeConfEntry(e.data).membership })
    }
  }

  /**
   * maybeAppend handles an AppendEntries body (§5.3): if (prevIndex, prevTerm) matches, skip the
   * entries already present, truncate at the first real term conflict and append the rest. It
   * returns the last index this message verified, or undefined on a mismatch. Only a term
   * conflict may cut the log, so a stale or duplicated message never truncates newer entries.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined
    const lastNew = prevIndex + entries.length
    let k = 0
    for (; k < entries.length; k++) {
      const e = entries[k]!
      if (e.index <= this.offsetIndex) continue // compacted, hence committed, hence equal
      if (this.term(e.index) !== e.term) break
    }
    if (k < entries.length) this.appendAt(entries.slice(k))
    return lastNew
  }

  /** findConflictByTerm returns the largest index <= `index` whose term is <= `term` (fast back-off). */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex())
    for (; i > this.offsetIndex; i--) if ((this.term(i) ?? 0) <= term) return i
    return i
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`)
    this.committed = index
    return true
  }

  /** applicableEntries are committed, durable entries not yet handed out for applying. */
  applicableEntries(maxBytes = Infinity): Entry[] {
    const hi = Math.min(this.committed, this.stableIndex)
    if (this.unstableSnapshot !== undefined || hi <= this.applied) return []
    return this.slice(this.applied + 1, hi + 1, maxBytes)
  }

  /** stableTo records that entries up to (index, term) are durable, unless that index was overwritten since. */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index > this.stableIndex) this.stableIndex = index
  }

  /**
   * restore replaces the log with a leader's snapshot. The snapshot is unstable until the runner
   * persists it; applying resumes after it.
   */
  restore(snapshot: Snapshot): void {
    const { index, term, membership } = snapshot.meta
    this.entries = []
    this.confs = []
    this.offsetIndex = index
    this.offsetTerm = term
    this.baseMembership = membership
    this.latestSnapshot = snapshot
    this.unstableSnapshot = snapshot
    this.stableIndex = index
    this.committed = index
    this.applied = index
  }

  /**
   * compact records a snapshot the application took at `snapshot.meta.index` (<= applied) and
   * drops entries up to `compactTo` (<= that index). Keeping a tail lets slow followers catch up
   * from the log instead of needing the whole snapshot.
   */
  compact(snapshot: Snapshot, compactTo: number): void {
    assert(snapshot.meta.index <= this.applied, `snapshot at ${snapshot.meta.index} beyond applied ${this.applied}`)
    this.latestSnapshot = snapshot
    if (compactTo <= this.offsetIndex) return
    assert(compactTo <= snapshot.meta.index, 'compacting beyond the snapshot')
    const term = this.term(compactTo)
    assert(term !== undefined, `compact point ${compactTo} unknown`)
    this.baseMembership = this.membershipAt(compactTo)
    this.confs = this.confs.filter((c) => c.index > compactTo)
    this.entries = this.entries.slice(compactTo - this.offsetIndex)
    this.offsetIndex = compactTo
    this.offsetTerm = term
  }
}
