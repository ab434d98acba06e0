import { entryBytes } from './log'
import type { Entry } from './types'

/**
 * UncommittedBudget is a leader's account of the entries its log holds beyond its commit index,
 * in entries and in bytes (etcd's MaxUncommittedEntriesSize, plus a count). Proposals past either
 * limit are refused, so a leader that cannot commit (a slow or cut-off quorum) stops accepting
 * work instead of growing a backlog that every follower must later drain before anything newer
 * commits.
 *
 * A new leader starts from the tail it inherited (everything after its commit index), so a
 * backlog never grows past the limit by passing from leader to leader: until that tail commits,
 * the new leader accepts at most what is left of the budget. Its own first entry (the no-op)
 * is always appended.
 */
export class UncommittedBudget {
  entries = 0
  bytes = 0

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  /** reset starts the account over from the entries after the commit index. */
  reset(tail: Iterable<Entry>): void {
    this.entries = 0
    this.bytes = 0
    for (const e of tail) this.add(e)
  }

  /**
   * admits tells whether one more entry of `bytes` fits. With nothing uncommitted any single
   * entry fits, so one larger than the byte limit can still be proposed (alone).
   */
  admits(bytes: number): boolean {
    if (this.entries === 0) return true
    return this.entries < this.maxEntries && this.bytes + bytes <= this.maxBytes
  }

  add(e: Entry): void {
    this.entries++
    this.bytes += entryBytes(e)
  }

  /** release takes a newly committed entry off the account. */
  release(e: Entry): void {
    this.entries = Math.max(0, this.entries - 1)
    this.bytes = Math.max(0, this.bytes - entryBytes(e))
  }

  describe(): string {
    return `${this.entries} entries (limit ${this.maxEntries}) and ${this.bytes} bytes (limit ${this.maxBytes}) uncommitted`
  }
}
