import { EventEmitter } from 'eventemitter3'
import { TributaryError, type Clock } from '@tributary/core'
import { resolveRaftConfig } from '../core/config'
import { Raft, type CommitStall, type ProposeResult } from '../core/raft'
import type { RandomSource } from '../core/random'
import type { Ready } from '../core/ready'
import type { ConfChange } from '../core/membership'
import { NONE, type Entry, type Membership, type Message, type NodeId, type RaftRole, type SoftState } from '../core/types'
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
  /** firstIndex is the lowest index still held as a log entry (entries before it were compacted into a snapshot). */
  readonly firstIndex: number
  /** snapshotIndex is the index of the newest snapshot this replica holds (0: none yet). */
  readonly snapshotIndex: number
  readonly membership: Membership
  /** uncommittedEntries: on a leader, entries its log holds beyond its commit index (the backpressure account); 0 elsewhere. */
  readonly uncommittedEntries: number
  /** uncommittedBytes: on a leader, the bytes of those entries; 0 elsewhere. */
  readonly uncommittedBytes: number
  /**
   * commitStall is set on a leader whose commit index has not advanced for `raft.commitStallTicks`
   * ticks while it held uncommitted entries and a quorum answered it: a group that accepts writes
   * and acknowledges none (for instance followers far behind a long uncommitted tail).
   */
  readonly commitStall: CommitStall | undefined
}

/** RaftNodeEvents are emitted by a RaftNode. */
export interface RaftNodeEvents {
  /** apply: a committed entry, in order, after the state machine applied it. */
  apply: (entry: Entry) => void
  /** role: the leader or this replica's role changed. */
  role: (state: SoftState) => void
  /** error: storage failed; the group stopped (fsync errors cannot be retried safely). */
  error: (err: TributaryError) => void
  /** commitStall: this leader stopped committing (see `RaftNodeStatus.commitStall`); `undefined` once it commits again. */
  commitStall: (stall: CommitStall | undefined) => void
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
  /** The last index of this replica's own log that its storage has persisted. */
  private persisted: number
  /** Ticks left before a brand-new group's election timer starts (options.firstElectionDelayTicks). */
  private firstElectionHold: number
  /** Callers of `whenPersisted`, in index order of arrival. */
  private persistWaiters: Array<{ index: number; resolve: () => void; reject: (e: TributaryError) => void }> = []
  /** Data bytes of the entries applied since the last snapshot, for snapshotEveryBytes. */
  private bytesSinceSnapshot = 0
  /** Whether the stall guard is raised (so that it is reported once per stall). */
  private stalled = false
  /** Aborted by close(), so a state machine's restore still waiting for data gives up. */
  private readonly abort = new AbortController()
  private running: Promise<void> | undefined
  private scheduled = false
  private closed = false

  private constructor(
    private readonly deps: RaftNodeDeps,
    options: ResolvedGroupOptions,
    storage: RaftStorage,
    core: Raft,
  ) {
    super()
    this.options = options
    this.storage = storage
    this.sm = options.stateMachine
    this.core = core
    this.applied = core.log.applied
    this.persisted = core.log.lastIndex()
    this.firstElectionHold = options.firstElectionDelayTicks
  }

  /**
   * whenPersisted resolves once this replica's storage holds its log up to `index` (a leader's
   * own append: what acks=1 waits for). The entry may still be replaced by a later leader.
   * @throws TributaryError CLIENT_CLOSED (or the error that stopped the node).
   */
  whenPersisted(index: number): Promise<void> {
    if (index <= this.persisted) return Promise.resolve()
    if (this.closed) return Promise.reject(this.error('CLIENT_CLOSED', 'the raft node is closed'))
    if (this.persistWaiters.length >= this.options.maxPersistWaiters) {
      // The entry is in the log already; only the wait is refused, so its outcome is unknown.
      return Promise.reject(
        this.error('REQUEST_TIMED_OUT', `more than ${this.options.maxPersistWaiters} callers wait for persistence`, {
          reason: 'overloaded',
        }),
      )
    }
    return new Promise((resolve, reject) => this.persistWaiters.push({ index, resolve, reject }))
  }

  /**
   * start loads the replica's durable state, lets the state machine restore the stored snapshot
   * (awaiting it when it returns a Promise) and returns the replica running (hosts call this).
   * @throws TributaryError INVALID_CONFIG for bad options, KAFKA_STORAGE_ERROR if loading fails,
   *   or whatever the state machine's restore rejects with.
   */
  static async start(deps: RaftNodeDeps, groupOptions: RaftGroupOptions): Promise<RaftNode> {
    const options = resolveGroupOptions(groupOptions)
    const config = resolveRaftConfig({ ...options.raft, id: deps.id }, 'options.raft.')
    const storage = options.storage ?? new MemoryRaftStorage()
    const init = await storage.load(options.voters)
    // The state machine catches up with the stored snapshot before any entry after it is applied.
    // No caller holds the node yet, so nothing aborts this signal: a state machine whose restore
    // waits on others must also give up by its own means (e.g. when its node shuts down).
    const signal = new AbortController().signal
    if (init.snapshot.meta.index > 0)
      await options.stateMachine?.restore?.(init.snapshot.data, init.snapshot.meta.index, { leader: 0, signal })
    return new RaftNode(deps, options, storage, new Raft(config, deps.random, init))
  }

  get groupId(): string {
    return this.options.groupId
  }

  /**
   * propose replicates `data` and resolves with its log index once it is committed and applied.
   * @throws TributaryError NOT_LEADER_OR_FOLLOWER (details.leaderId) when this replica does not lead,
   *   REQUEST_TIMED_OUT when no commit came within proposalTimeoutMs (the outcome is then unknown),
   *   or, retriable and with nothing appended (details.reason 'overloaded'), when the leader holds
   *   its limit of uncommitted entries or bytes (`raft.maxUncommittedEntries`/`Bytes`), or
   *   maxPendingProposals are pending; CLIENT_CLOSED after close().
   */
  propose(data: Uint8Array): Promise<number> {
    if (this.proposals.size >= this.options.maxPendingProposals) {
      return Promise.reject(
        this.error('REQUEST_TIMED_OUT', `more than ${this.options.maxPendingProposals} proposals pending`, { reason: 'overloaded' }),
      )
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
    const uncommitted = c.uncommitted()
    return {
      groupId: this.groupId,
      id: c.id,
      role: c.role,
      term: c.term,
      leader: c.leader,
      commitIndex: c.log.committed,
      appliedIndex: this.applied,
      lastIndex: c.log.lastIndex(),
      firstIndex: c.log.firstIndex(),
      snapshotIndex: c.log.latestSnapshot.meta.index,
      membership: c.membership(),
      uncommittedEntries: uncommitted.entries,
      uncommittedBytes: uncommitted.bytes,
      commitStall: c.commitStall(),
    }
  }

  /** @internal tick is driven by the host's single ticker. */
  tick(now: number): void {
    if (this.closed) return
    if (this.firstElectionHold > 0 && this.core.term === 0 && this.core.leader === NONE) this.firstElectionHold--
    else {
      this.firstElectionHold = 0
      this.core.tick()
    }
    this.watchCommits()
    this.expire(now)
    this.kick()
  }

  /**
   * watchCommits is the progress guard: it reports once when this leader's commit index stalls
   * while a quorum answers (and once when it moves again), in the log and as a `commitStall` event.
   */
  private watchCommits(): void {
    const stall = this.core.commitStall()
    if ((stall !== undefined) === this.stalled) return
    this.stalled = stall !== undefined
    if (stall !== undefined) {
      this.options.logger.warn(
        `Raft group ${this.groupId}: leader ${this.core.id} of term ${this.core.term} has committed nothing for ${stall.ticks} ticks while a quorum answers it` +
          (stall.ownTermCommitted ? '' : ' (not even the first entry of its term)'),
        { groupId: this.groupId, term: this.core.term, ...stall },
      )
    } else {
      const why = this.core.role === 'leader' ? `commits resumed (commit ${this.core.log.committed})` : 'no longer the leader'
      this.options.logger.info(`Raft group ${this.groupId}: stall over, ${why}`, { groupId: this.groupId })
    }
    this.emit('commitStall', stall)
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
    this.abort.abort()
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
      const closing = this.closed
      this.closed = true
      const e = err instanceof TributaryError ? err : this.error('KAFKA_STORAGE_ERROR', String(err))
      this.failAll(e)
      // A restore that close() aborted is part of closing, not a failure.
      if (!(closing && e.code === 'CLIENT_CLOSED')) this.emit('error', e)
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    for (const m of rd.messagesBeforePersist) this.deps.send(this.groupId, m)
    if (rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined) {
      await this.storage.persist({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState })
      const last = rd.entries[rd.entries.length - 1]
      if (last !== undefined) this.notePersisted(last.index)
      else if (rd.snapshot !== undefined) this.notePersisted(rd.snapshot.meta.index)
    }
    for (const m of rd.messages) this.deps.send(this.groupId, m)
    if (rd.snapshot !== undefined) await this.restore(rd.snapshot.data, rd.snapshot.meta.index)
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
    this.bytesSinceSnapshot += e.data.byteLength
    const w = this.proposals.get(e.index)
    if (w !== undefined) {
      this.proposals.delete(e.index)
      if (w.term === e.term) w.resolve(e.index)
      else w.reject(this.refusal('not-leader', `entry ${e.index} was replaced by a newer leader`))
    }
    this.emit('apply', e)
  }

  private async restore(data: Uint8Array, index: number): Promise<void> {
    await this.sm?.restore?.(data, index, { leader: this.core.leader, signal: this.abort.signal })
    this.applied = index
    this.bytesSinceSnapshot = 0
    // Proposals covered by a leader's snapshot may or may not be in it: their outcome is unknown.
    for (const i of [...this.proposals.keys()]) {
      if (i <= index)
        this.settle(this.proposals, i, undefined, this.error('REQUEST_TIMED_OUT', `outcome of entry ${i} unknown after a snapshot`))
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
    const sm = this.sm
    if (sm?.snapshot === undefined || !this.snapshotDue()) return
    // Nothing is applied while the state machine prepares its snapshot, so `applied` still
    // describes the state the data was taken from when it resolves.
    const snapshot = this.core.createSnapshot(this.applied, await sm.snapshot())
    const compactTo = this.compactPoint()
    await this.storage.saveSnapshot(snapshot, compactTo)
    this.core.compact(snapshot, compactTo)
    this.bytesSinceSnapshot = 0
  }

  private snapshotDue(): boolean {
    if (this.applied <= this.core.log.latestSnapshot.meta.index) return false
    return (
      this.applied - this.core.log.latestSnapshot.meta.index >= this.options.snapshotEveryEntries ||
      this.bytesSinceSnapshot >= this.options.snapshotEveryBytes
    )
  }

  /**
   * compactPoint is the index up to which the log may be dropped behind a snapshot at `applied`:
   * the newest entries stay, at most snapshotTrailingEntries of them carrying at most
   * snapshotTrailingBytes, so followers slightly behind still catch up by appends.
   */
  private compactPoint(): number {
    const log = this.core.log
    let index = this.applied
    let bytes = 0
    for (let kept = 0; kept < this.options.snapshotTrailingEntries && index >= log.firstIndex(); kept++) {
      bytes += log.entryAt(index)?.data.byteLength ?? 0
      if (bytes > this.options.snapshotTrailingBytes) break
      index--
    }
    return Math.max(0, index)
  }

  // ---- errors and timeouts ------------------------------------------------------------------

  private deadline(): number {
    return this.deps.clock.now() + this.options.proposalTimeoutMs
  }

  private expire(now: number): void {
    for (const map of [this.proposals, this.reads]) {
      for (const [k, w] of map)
        if (w.deadline <= now)
          this.settle(
            map,
            k,
            undefined,
            this.error('REQUEST_TIMED_OUT', `no commit within ${this.options.proposalTimeoutMs} ms; the outcome is unknown`),
          )
    }
    this.readyReads = this.readyReads.filter(
      (r) => r.waiter.deadline > now || (r.waiter.reject(this.error('REQUEST_TIMED_OUT', 'read not applied in time')), false),
    )
  }

  private settle(map: Map<number, Waiter>, key: number, value: number | undefined, err: TributaryError): void {
    const w = map.get(key)
    if (w === undefined) return
    map.delete(key)
    if (value !== undefined) w.resolve(value)
    else w.reject(err)
  }

  private notePersisted(index: number): void {
    this.persisted = index
    if (this.persistWaiters.length === 0) return
    const still = this.persistWaiters.filter((w) => w.index > index)
    for (const w of this.persistWaiters) if (w.index <= index) w.resolve()
    this.persistWaiters = still
  }

  private failAll(err: TributaryError): void {
    for (const w of this.persistWaiters) w.reject(err)
    this.persistWaiters = []
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
    if (reason === 'overloaded') return this.error('REQUEST_TIMED_OUT', message, { reason })
    return new TributaryError('INVALID_REQUEST', message, {
      retriable: reason !== 'invalid-conf-change',
      details: { groupId: this.groupId, reason },
    })
  }

  private error(
    code: 'NOT_LEADER_OR_FOLLOWER' | 'REQUEST_TIMED_OUT' | 'CLIENT_CLOSED' | 'KAFKA_STORAGE_ERROR',
    message: string,
    details: Record<string, unknown> = {},
  ): TributaryError {
    return new TributaryError(code, message, { details: { groupId: this.groupId, ...details } })
  }
}
