import type { RaftInit } from '../core/raft'
import { bootstrapSnapshot } from '../core/raft'
import type { Entry, HardState, NodeId, Snapshot } from '../core/types'

/** PersistUpdate is the durable part of one Ready. */
export interface PersistUpdate {
  /** A leader's snapshot: replaces the whole log. Written first. */
  readonly snapshot?: Snapshot
  /** Entries to append; writing index i discards every stored index >= i. */
  readonly entries: readonly Entry[]
  readonly hardState?: HardState
}

/**
 * RaftStorage is what a RaftNode needs from stable storage. The core keeps the live log in
 * memory, so storage is write-mostly: `load` once at start, then `persist` per Ready.
 * Every method resolves only once its writes are durable (fsynced); a rejection is fatal for the
 * group (fsync failures cannot be retried safely).
 */
export interface RaftStorage {
  /** load returns the durable state, or a bootstrap state for `voters` when the storage is empty. */
  load(voters: readonly NodeId[]): Promise<RaftInit>
  persist(update: PersistUpdate): Promise<void>
  /** saveSnapshot stores a snapshot the application took and drops entries up to `compactTo`. */
  saveSnapshot(snapshot: Snapshot, compactTo: number): Promise<void>
  close(): Promise<void>
}

/**
 * MemoryRaftStorage keeps everything in memory: for tests and for groups whose durability comes
 * from replication alone. It survives a RaftNode restart within one process.
 */
export class MemoryRaftStorage implements RaftStorage {
  private snapshot: Snapshot | undefined
  private entries: Entry[] = []
  private hardState: HardState | undefined

  async load(voters: readonly NodeId[]): Promise<RaftInit> {
    const snapshot = this.snapshot ?? bootstrapSnapshot(voters)
    this.snapshot = snapshot
    return { snapshot, entries: this.entries.filter((e) => e.index > snapshot.meta.index), hardState: this.hardState }
  }

  async persist(update: PersistUpdate): Promise<void> {
    if (update.snapshot !== undefined) {
      this.snapshot = update.snapshot
      this.entries = []
    }
    const first = update.entries[0]
    if (first !== undefined) {
      const base = this.entries[0]?.index ?? first.index
      this.entries.length = Math.max(0, first.index - base)
      this.entries.push(...update.entries)
    }
    if (update.hardState !== undefined) this.hardState = update.hardState
  }

  async saveSnapshot(snapshot: Snapshot, compactTo: number): Promise<void> {
    this.snapshot = snapshot
    this.entries = this.entries.filter((e) => e.index > compactTo)
  }

  async close(): Promise<void> {}
}
