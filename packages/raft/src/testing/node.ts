import { Raft, bootstrapSnapshot } from '../core/raft'
import type { RaftConfig } from '../core/config'
import type { Ready } from '../core/ready'
import { Sfc32, type RandomSource } from '../core/random'
import type { Entry, Message, NodeId } from '../core/types'
import { SimDisk } from './disk'
import { HashStateMachine } from './state-machine'
import type { SafetyChecker } from './checker'

/** SimNodeOptions shape one simulated replica. */
export interface SimNodeOptions {
  readonly config: RaftConfig
  /** Initial voters (empty for a node that joins later through a membership change). */
  readonly voters: readonly NodeId[]
  /** Take a snapshot after this many applied entries (Infinity: never). */
  readonly snapshotEvery: number
  /** Entries kept in the log behind a local snapshot, for followers slightly behind. */
  readonly snapshotTrailing: number
  /** The election-timeout random source; by default one seeded from the node id and restart count. */
  readonly random?: RandomSource
}

/** SimHooks is how a replica reports what it did to the simulation around it. */
export interface SimHooks {
  send(m: Message): void
  applied(node: SimNode, e: Entry): void
  readState(node: SimNode, requestId: number, index: number): void
}

/**
 * SimNode is one replica in the simulator: the pure core, a simulated disk and a hash state
 * machine, run through the Ready loop in two halves so that a crash can land between writing and
 * syncing (which is what loses unsynced data).
 */
export class SimNode {
  raft: Raft | undefined
  readonly disk: SimDisk
  sm = new HashStateMachine()
  /** The Ready written but not yet synced, if any. */
  inFlight: Ready | undefined
  /** Restarts so far; a crashed node's scheduled events carry the old epoch and are ignored. */
  epoch = 0

  constructor(
    readonly id: NodeId,
    readonly options: SimNodeOptions,
    private readonly seed: number,
    private readonly checker: SafetyChecker,
    private readonly hooks: SimHooks,
  ) {
    this.disk = new SimDisk(bootstrapSnapshot(options.voters))
    this.start()
  }

  get alive(): boolean {
    return this.raft !== undefined
  }

  /** start (re)creates the core from what the disk made durable. */
  start(): void {
    const init = this.disk.load()
    this.epoch++
    this.raft = new Raft(this.options.config, this.options.random ?? new Sfc32(this.seed * 7919 + this.id * 131 + this.epoch), init)
    this.sm = new HashStateMachine()
    this.sm.restore(init.snapshot.meta.index, init.snapshot.data)
    this.inFlight = undefined
    this.checker.onRestart(this.id)
    this.checker.afterStep(this.raft)
  }

  /** crash drops all volatile state and a random part of the unsynced writes; returns how many were lost. */
  crash(rng: Sfc32): number {
    this.raft = undefined
    this.inFlight = undefined
    this.epoch++
    return this.disk.crash(rng)
  }

  /** input runs `fn` against the core and checks the invariants afterwards. */
  input(fn: (r: Raft) => void): void {
    if (this.raft === undefined) return
    fn(this.raft)
    this.checker.afterStep(this.raft)
  }

  /**
   * beginReady takes the next Ready (if none is in flight), sends what may go before persisting
   * and writes the rest to the disk cache. Returns whether a flush is now pending.
   */
  beginReady(): boolean {
    const r = this.raft
    if (r === undefined || this.inFlight !== undefined || !r.hasReady()) return false
    const rd = r.ready()
    this.checker.onAppended(r, rd.entries)
    for (const m of rd.messagesBeforePersist) this.hooks.send(m)
    if (rd.snapshot !== undefined) this.disk.write({ kind: 'snapshot', snapshot: rd.snapshot, compactTo: 'all' })
    if (rd.entries.length > 0) this.disk.write({ kind: 'append', entries: rd.entries })
    if (rd.hardState !== undefined) this.disk.write({ kind: 'hard', hardState: rd.hardState })
    this.inFlight = rd
    return true
  }

  /** finishReady syncs the disk, sends the messages that waited for it, applies and advances. */
  finishReady(): void {
    const r = this.raft
    const rd = this.inFlight
    if (r === undefined || rd === undefined) return
    this.disk.sync()
    for (const m of rd.messages) {
      this.checker.onSent(m)
      this.hooks.send(m)
    }
    if (rd.snapshot !== undefined) {
      this.sm.restore(rd.snapshot.meta.index, rd.snapshot.data)
      this.checker.onRestored(this.id, rd.snapshot.meta.index, this.sm.hash)
    }
    for (const e of rd.committedEntries) {
      this.sm.apply(e)
      this.checker.onApplied(this.id, e, this.sm.hash)
      this.hooks.applied(this, e)
    }
    for (const rs of rd.readStates) this.hooks.readState(this, rs.requestId, rs.index)
    this.inFlight = undefined
    r.advance(rd)
    this.maybeSnapshot(r)
    this.checker.afterStep(r)
  }

  /** processAll runs Ready rounds until the core is quiet (used by scripted scenarios). */
  processAll(): void {
    while (this.beginReady()) this.finishReady()
  }

  private maybeSnapshot(r: Raft): void {
    const applied = this.sm.applied
    if (applied - r.log.latestSnapshot.meta.index < this.options.snapshotEvery) return
    const snap = r.createSnapshot(applied, this.sm.encode())
    const compactTo = Math.max(0, applied - this.options.snapshotTrailing)
    this.disk.write({ kind: 'snapshot', snapshot: snap, compactTo })
    this.disk.sync()
    r.compact(snap, compactTo)
  }
}
