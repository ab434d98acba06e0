import type { Entry, HardState, Snapshot } from '../core/types'
import type { RaftInit } from '../core/raft'
import type { Sfc32 } from '../core/random'
import { assert } from '../core/log'

/** DiskOp is one write the simulated disk has accepted but perhaps not yet made durable. */
export type DiskOp =
  | { kind: 'hard'; hardState: HardState }
  | { kind: 'append'; entries: readonly Entry[] }
  /** A snapshot, dropping durable entries up to `compactTo` (all of them when it came from a leader). */
  | { kind: 'snapshot'; snapshot: Snapshot; compactTo: number | 'all' }

/**
 * SimDisk models a disk with a write-back cache: writes are buffered until `sync`, and a crash
 * keeps only a random prefix of the unsynced writes (an append-only file reaches the platter in
 * order, but not necessarily all of it).
 */
export class SimDisk {
  private hard: HardState | undefined
  private snapshot: Snapshot
  private entries: Entry[] = []
  private pending: DiskOp[] = []

  constructor(bootstrap: Snapshot) {
    this.snapshot = bootstrap
  }

  write(op: DiskOp): void {
    this.pending.push(op)
  }

  sync(): void {
    for (const op of this.pending) this.applyOp(op)
    this.pending = []
  }

  /** crash loses a random suffix of the unsynced writes. */
  crash(rng: Sfc32): number {
    const keep = rng.nextInt(this.pending.length + 1)
    const lost = this.pending.length - keep
    this.pending.length = keep
    this.sync()
    return lost
  }

  hasPending(): boolean {
    return this.pending.length > 0
  }

  private applyOp(op: DiskOp): void {
    if (op.kind === 'hard') this.hard = op.hardState
    else if (op.kind === 'snapshot') {
      this.snapshot = op.snapshot
      const cut = op.compactTo === 'all' ? Infinity : op.compactTo
      this.entries = this.entries.filter((e) => e.index > cut)
    } else this.appendEntries(op.entries)
  }

  private appendEntries(entries: readonly Entry[]): void {
    const first = entries[0]
    if (first === undefined) return
    // Writing index i discards every durable index >= i (etcd's storage contract).
    const base = this.entries[0]?.index ?? this.snapshot.meta.index + 1
    assert(first.index > this.snapshot.meta.index, `disk: writing ${first.index} at or below snapshot ${this.snapshot.meta.index}`)
    assert(
      first.index >= base && first.index <= base + this.entries.length,
      `disk gap: writing ${first.index} into [${base}, ${base + this.entries.length})`,
    )
    this.entries.length = first.index - base
    this.entries.push(...entries)
  }

  /** load returns the durable state a restarting replica begins from. */
  load(): RaftInit {
    const after = this.snapshot.meta.index
    return { snapshot: this.snapshot, entries: this.entries.filter((e) => e.index > after), hardState: this.hard }
  }

  durableTerm(): number {
    return this.hard?.term ?? 0
  }
}
