import { EventEmitter } from 'eventemitter3'
import { TributaryError, type Clock } from '@tributary/core'
import { resolveRaftConfig } from '../core/config'
import { Raft, type ProposeResult } from '../core/raft'
import type { RandomSource } from '../core/random'
import type { Ready } from '../core/ready'
import type { ConfChange } from '../core/membership'
import type { Entry, Membership, Message, NodeId, RaftRole, SoftState } from '../core/types'
import { resolveGroupOptions, type RaftGroupOptions, type ResolvedGroupOptions, type StateMachine } from './options'
import { MemoryRaftStorage, type RaftStorage } from './storage'

/** RaftNodeStatus is a snapshot of one replica's view of its group. */
export interface RaftNodeStatus {
  readonly groupId: string
  readonly id: NodeId
  readonly role: RaftRole
  readonly term: number
  readonly leader: NodeId
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly lastIndex: number
  readonly membership: Membership
}

/** RaftNodeEvents are emitted by a RaftNode. */
export interface RaftNodeEvents {
  /** apply: a committed entry, in order, after the state machine applied it. */
  apply: (entry: Entry) => void
  /** role: the leader or this replica's role changed. */
  role: (state: SoftState) => void
  /** error: storage failed; the group stopped (fsync errors cannot be retried safely). */
  error: (err: TributaryError) => void
}

interface Waiter {
  term: number
  deadline: number
  resolve: (index: number) => void
  reject: (err: TributaryError) => void
}

/** RaftNodeDeps are what a RaftHost hands each group. */
export interface RaftNodeDeps {
  readonly id: NodeId
  readonly clock: Clock
  readonly random: RandomSource
  readonly send: (groupId: string, m: Message) => void
}

/**
 * RaftNode runs one replica of one Raft group: it feeds the pure core with ticks (from its
 * host), messages and proposals, and carries out each Ready in the documented order — persist
 * (fsync) before sending anything that promises it, then apply.
 */
export class RaftNode extends EventEmitter<RaftNodeEvents> {
  private readonly core: Raft
  private readonly options: ResolvedGroupOptions
  private readonly storage: RaftStorage
  private readonly sm: StateMachine | undefined
  private readonly proposals = new Map<number, Waiter>()
  private readonly reads = new Map<number, Waiter>()
  /** Confirmed reads waiting for the state machine to reach their index. */
  private readyReads: { index: number; waiter: Waiter }[] = []
  private nextReadId = 1
  private applied: number
  private running: Promise<void> | undefined
  private scheduled = false
  private closed = false

  private constructor(private readonly deps: RaftNodeDeps, options: ResolvedGroupOptions, storage: RaftStorage, core: Raft) {
    super()
    this.options = options
    this.storage = storage
    this.sm = options.stateMachine
    this.core = core
    this.applied = core.log.applied
  }

  /**
   * start loads the replica's durable state and returns it running (hosts call this).
   * @throws TributaryError INVALID_CONFIG for bad options, KAFKA_STORAGE_ERROR if loading fails.
   */
  static async start(deps: RaftNodeDeps, groupOptions: RaftGroupOptions): Promise<RaftNode> {
    const options = resolveGroupOptions(groupOptions)
    const config = resolveRaftConfig({ ...options.raft, id: deps.id }, 'options.raft.')
    const storage = options.storage ?? new MemoryRaftStorage()
    const init = await storage.load(options.voters)
    if (init.snapshot.meta.index > 0) options.stateMachine?.restore?.(init.snapshot.data, init.snapshot.meta.index)
    return new RaftNode(deps, options, storage, new Raft(config, deps.random, init))
  }

  get groupId(): string {
    return this.options.groupId
  }

  /**
   * propose replicates `data` and resolves with its log index once it is committed and applied.
   * @throws TributaryError NOT_LEADER_OR_FOLLOWER (details.leaderId) when this replica does not lead,
   *   REQUEST_TIMED_OUT when no commit came within proposalTimeoutMs (the outcome is then unknown),
   *   CLIENT_CLOSED after close().
   */
  propose(data: Uint8Array): Promise<number> {
    if (this.proposals.size >= this.options.maxPendingProposals) {
      return Promise.reject(this.error('REQUEST_TIMED_OUT', `more than ${this.options.maxPendingProposals} proposals pending`))
    }
    return this.submit(() => this.core.propose(data))
  }

  /**
   * changeMembership proposes a single-server membership change; resolves when it committed.
   * @throws TributaryError NOT_LEADER_OR_FOLLOWER, or INVALID_REQUEST (retriable when another change is pending).
   */
  changeMembership(change: ConfChange): Promise<number> {
    return this.submit(() => this.core.proposeConfChange(change))
  }

  private submit(fn: () => ProposeResult): Promise<number> {
    if (this.closed) return Promise.reject(this.error('CLIENT_CLOSED', 'the raft node is closed'))
    const res = fn()
    if (!res.ok) return Promise.reject(this.refusal(res.reason, res.message))
    this.kick()
    return new Promise((resolve, reject) => {
      this.proposals.set(res.index, { term: res.term, deadline: this.deadline(), resolve, reject })
    })
  }

  /**
   * readIndex confirms leadership with a quorum and resolves with an index once this replica has
   * applied it: reads of the state machine after that are linearizable (§6.4).
   * @throws TributaryError NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT.
   */
  readIndex(): Promise<number> {
    if (this.closed) return Promise.reject(this.error('CLIENT_CLOSED', 'the raft node is closed'))
    const id = this.nextReadId++
    if (!this.core.readIndex(id)) return Promise.reject(this.refusal('not-leader', 'cannot serve ReadIndex'))
    this.kick()
    return new Promise((resolve, reject) => this.reads.set(id, { term: this.core.term, deadline: this.deadline(), resolve, reject }))
  }

  /** transferLeadership asks the leader to hand over to `to`; returns false if it cannot start. */
  transferLeadership(to: NodeId): boolean {
    const ok = this.core.transferLeadership(to)
    this.kick()
    return ok
  }

  /** campaign starts an election now (operators and tests). */
  campaign(): void {
    this.core.campaignNow()
    this.kick()
  }

  status(): RaftNodeStatus {
    const c = this.core
    return { groupId: this.groupId, id: c.id, role: c.role, term: c.term, leader: c.leader, commitIndex: c.log.committed, appliedIndex: this.applied, lastIndex: c.log.lastIndex(), membership: c.membership() }
  }

  /** @internal tick is driven by the host's single ticker. */
  tick(now: number): void {
    if (this.closed) return
    this.core.tick()
    this.expire(now)
    this.kick()
  }

  /** @internal receive is driven by the host's transport. */
  receive(m: Message): void {
    if (this.closed || m.to !== this.core.id) return
    this.core.step(m)
    this.kick()
  }

  /** close stops the replica, failing pending calls with CLIENT_CLOSED, and closes its storage. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.running
    this.failAll(this.error('CLIENT_CLOSED', 'the raft node is closed'))
    await this.storage.close()
  }

  // ---- the Ready loop -----------------------------------------------------------------------

  private kick(): void {
    if (this.scheduled || this.closed) return
    this.scheduled = true
    // A microtask lets every proposal made in the current turn share one Ready (one fsync).
    queueMicrotask(() => {
      this.scheduled = false
      if (this.running === undefined) this.running = this.loop().finally(() => (this.running = undefined))
    })
  }

  private async loop(): Promise<void> {
    try {
      while (!this.closed && this.core.hasReady()) await this.handleReady(this.core.ready())
    } catch (err) {
      this.closed = true
      const e = err instanceof TributaryError ? err : this.error('KAFKA_STORAGE_ERROR', String(err))
      this.failAll(e)
      this.emit('error', e)
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    for (const m of rd.messagesBeforePersist) this.deps.send(this.groupId, m)
    if (rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined) {
      await this.storage.persist({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState })
    }
    for (const m of rd.messages) this.deps.send(this.groupId, m)
    if (rd.snapshot !== undefined) this.restore(rd.snapshot.data, rd.snapshot.meta.index)
    for (const e of rd.committedEntries) this.apply(e)
    for (const rs of rd.readStates) {
      const w = this.reads.get(rs.requestId)
      this.reads.delete(rs.requestId)
      if (w !== undefined) this.readyReads.push({ index: rs.index, waiter: w })
    }
    for (const id of rd.droppedReads) this.settle(this.reads, id, undefined, this.refusal('not-leader', 'leadership lost during ReadIndex'))
    this.releaseReads()
    if (rd.softState !== undefined) this.emit('role', rd.softState)
    this.core.advance(rd)
    await this.maybeSnapshot()
  }

  private apply(e: Entry): void {
    this.sm?.apply(e)
    this.applied = e.index
    const w = this.proposals.get(e.index)
    if (w !== undefined) {
      this.proposals.delete(e.index)
      if (w.term === e.term) w.resolve(e.index)
      else w.reject(this.refusal('not-leader', `entry ${e.index} was replaced by a newer leader`))
    }
    this.emit('apply', e)
  }

  private restore(data: Uint8Array, index: number): void {
    this.sm?.restore?.(data, index)
    this.applied = index
    // Proposals covered by a leader's snapshot may or may not be in it: their outcome is unknown.
    for (const i of [...this.proposals.keys()]) {
      if (i <= index) this.settle(this.proposals, i, undefined, this.error('REQUEST_TIMED_OUT', `outcome of entry ${i} unknown after a snapshot`))
    }
  }

  private releaseReads(): void {
    const still: typeof this.readyReads = []
    for (const r of this.readyReads) {
      if (r.index <= this.applied) r.waiter.resolve(r.index)
      else still.push(r)
    }
    this.readyReads = still
  }

  private async maybeSnapshot(): Promise<void> {
    const snap = this.sm?.snapshot
    if (snap === undefined || this.applied - this.core.log.latestSnapshot.meta.index < this.options.snapshotEveryEntries) return
    const snapshot = this.core.createSnapshot(this.applied, snap.call(this.sm))
    const compactTo = Math.max(0, this.applied - this.options.snapshotTrailingEntries)
    await this.storage.saveSnapshot(snapshot, compactTo)
    this.core.compact(snapshot, compactTo)
  }

  // ---- errors and timeouts ------------------------------------------------------------------

  private deadline(): number {
    return this.deps.clock.now() + this.options.proposalTimeoutMs
  }

  private expire(now: number): void {
    for (const map of [this.proposals, this.reads]) {
      for (const [k, w] of map) if (w.deadline <= now) this.settle(map, k, undefined, this.error('REQUEST_TIMED_OUT', `no commit within ${this.options.proposalTimeoutMs} ms; the outcome is unknown`))
    }
    this.readyReads = this.readyReads.filter((r) => r.waiter.deadline > now || (r.waiter.reject(this.error('REQUEST_TIMED_OUT', 'read not applied in time')), false))
  }

  private settle(map: Map<number, Waiter>, key: number, value: number | undefined, err: TributaryError): void {
    const w = map.get(key)
    if (w === undefined) return
    map.delete(key)
    if (value !== undefined) w.resolve(value)
    else w.reject(err)
  }

  private failAll(err: TributaryError): void {
    for (const map of [this.proposals, this.reads]) {
      for (const w of map.values()) w.reject(err)
      map.clear()
    }
    for (const r of this.readyReads) r.waiter.reject(err)
    this.readyReads = []
  }

  private refusal(reason: string, message: string): TributaryError {
    if (reason === 'not-leader' || reason === 'transferring') {
      return this.error('NOT_LEADER_OR_FOLLOWER', message, { leaderId: this.core.leader === this.core.id ? 0 : this.core.leader })
    }
    if (reason === 'overloaded') return this.error('REQUEST_TIMED_OUT', message)
    return new TributaryError('INVALID_REQUEST', message, { retriable: reason !== 'invalid-conf-change', details: { groupId: this.groupId, reason } })
  }

  private error(code: 'NOT_LEADER_OR_FOLLOWER' | 'REQUEST_TIMED_OUT' | 'CLIENT_CLOSED' | 'KAFKA_STORAGE_ERROR', message: string, details: Record<string, unknown> = {}): TributaryError {
    return new TributaryError(code, message, { details: { groupId: this.groupId, ...details } })
  }
}
