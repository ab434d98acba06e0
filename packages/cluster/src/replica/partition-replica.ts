import { TributaryError, readBatchHeader, type Clock, type PartitionLog } from '@tributary/core'
import { ProducerStateTable, assert, readBaseOffset, setLogAppendTime, writeBaseOffset } from '@tributary/core/internal'
import {
  EntryType,
  MessageType,
  type Entry,
  type Message,
  type RestoreContext,
  type RaftHost,
  type RaftNode,
  type RaftStorage,
} from '@tributary/raft'
import { ProducerJournal } from './producer-journal'
import {
  copyAcrossStart,
  decodePartitionSnapshot,
  defaultPartitionSnapshotOptions,
  encodePartitionSnapshot,
  fillLog,
  type FetchRange,
  type PartitionSnapshotOptions,
} from './partition-snapshot'

/**
 * PartitionReplica is this node's replica of one partition: a Raft group over the partition's
 * replicas whose entries are record batches, and the local PartitionLog that committed batches
 * are applied to.
 *
 * Offsets. The leader assigns Kafka offsets when it proposes (the batch's base offset is written
 * before the bytes enter the Raft log), counting its own uncommitted proposals, so offsets are
 * contiguous whatever Raft adds (no-ops and membership entries carry no offsets: there is no
 * offset translation). A new leader proposes nothing until the first entry of its own term is
 * applied: then every earlier entry is committed and applied, and the log's end offset is the
 * exact next offset. Invariant: an applied batch's base offset equals the log's end offset
 * (or lies below it when a restarted replica re-applies entries it already holds).
 *
 * Visibility. Only committed entries are applied, so the local log holds only committed batches
 * and its end offset is the high watermark: a fetch can never see an uncommitted offset.
 *
 * Snapshots. The group snapshots every so many entries or bytes (PartitionSnapshotOptions) so its
 * Raft log stays bounded. A snapshot is `{ endOffset, startOffset, journal }` (partition-snapshot.ts):
 * the data itself is the local log below endOffset, synced to disk before the snapshot is saved.
 * Restoring one copies any batches the local log lacks below endOffset from another replica; a
 * local log already past endOffset (a restart) keeps its extra committed batches, and the entries
 * replayed after the snapshot skip them as already applied.
 */

/** A first byte that no batch can start with (it would make the base offset negative): control entries. */
const CONTROL = 0xff

interface FollowerLag {
  match: number
  caughtUpAtMs: number
  target: { index: number; atMs: number } | undefined
}

/** ReplicaDeps are what a replica needs from its node. */
export interface ReplicaDeps {
  readonly nodeId: number
  readonly clock: Clock
  readonly replicaLagTimeMaxMs: number
  /** onData is called after committed data (or a truncation) changed the local log. */
  readonly onData: () => void
  /** fetchRange copies committed batches from another replica, to restore a snapshot (see FetchRange). */
  readonly fetchRange: FetchRange
  /** producerIdExpirationMs (`producer.id.expiration.ms`): idle producers are forgotten after this long (log time). */
  readonly producerIdExpirationMs: number
  /** proposed is told of each produced batch's commit promise (commit latency metrics). */
  readonly proposed?: (committed: Promise<number>) => void
}

/** PartitionReplicaArgs describe the partition a replica serves and its Raft group's settings. */
export interface PartitionReplicaArgs {
  readonly topic: string
  readonly partition: number
  readonly groupId: string
  readonly replicas: number[]
  readonly log: PartitionLog
  readonly storage?: RaftStorage
  readonly electionTicks: number
  /** join: a replica added by a reassignment, which starts with no membership. */
  readonly join?: boolean
  /** snapshots: when the group snapshots and how much Raft log it keeps. Default: defaultPartitionSnapshotOptions. */
  readonly snapshots?: PartitionSnapshotOptions
}

/** PartitionReplica: see the file comment. */
export class PartitionReplica {
  raft!: RaftNode
  /** Per producer, the last five applied idempotent batches: what a new leader's table is rebuilt from. */
  private readonly journal: ProducerJournal
  /** The leader's duplicate table, which includes its own uncommitted proposals. */
  private leaderTable: ProducerStateTable
  /** The term whose first entry this node has applied as leader; proposals are accepted only in it. */
  private readyTerm = -1
  private nextOffset = 0
  private trackedTerm = -1
  private readonly followers = new Map<number, FollowerLag>()
  private readonly appliedWaiters = new Set<() => void>()

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly groupId: string,
    readonly replicas: readonly number[],
    readonly log: PartitionLog,
    private readonly deps: ReplicaDeps,
  ) {
    this.journal = new ProducerJournal(deps.producerIdExpirationMs)
    this.leaderTable = new ProducerStateTable(deps.producerIdExpirationMs)
  }

  /**
   * start joins (or re-joins) the partition's Raft group on `host`. When the group's storage holds
   * a snapshot, it resolves only after the local log caught up with it (copying from peers if needed).
   * @throws TributaryError INVALID_CONFIG, KAFKA_STORAGE_ERROR (the snapshot's data cannot be restored), CLIENT_CLOSED.
   */
  static async start(host: RaftHost, args: PartitionReplicaArgs, deps: ReplicaDeps): Promise<PartitionReplica> {
    const replica = new PartitionReplica(args.topic, args.partition, args.groupId, args.replicas, args.log, deps)
    const snapshots = args.snapshots ?? defaultPartitionSnapshotOptions
    replica.raft = await host.startGroup({
      groupId: args.groupId,
      // A replica added by a reassignment joins with no membership and learns it from the leader.
      voters: args.join === true ? [] : args.replicas,
      storage: args.storage,
      stateMachine: {
        apply: (e) => replica.apply(e),
        snapshot: () => replica.snapshot(),
        restore: (d, _i, ctx) => replica.restore(d, ctx),
      },
      raft: { electionTicks: args.electionTicks },
      // A brand-new group's other replicas give the preferred leader (which campaigns at once,
      // below) one election timeout more to do so: a node that created the group earlier would
      // otherwise win the first election and hand leadership back within 30 ticks, refusing calls
      // during the handover. After a failure (any term past 0) elections are as fast as ever.
      firstElectionDelayTicks: args.replicas[0] === deps.nodeId ? 0 : args.electionTicks,
      snapshotEveryEntries: snapshots.snapshotEveryEntries,
      snapshotEveryBytes: snapshots.snapshotEveryBytes,
      snapshotTrailingEntries: snapshots.snapshotTrailingEntries,
      snapshotTrailingBytes: snapshots.snapshotTrailingBytes,
    })
    // The preferred leader (first replica) of a brand-new group campaigns at once, so leaders
    // spread as placement intended and a new topic is writable without an election timeout.
    if (args.replicas[0] === deps.nodeId && replica.raft.status().term === 0) replica.raft.campaign()
    return replica
  }

  /** isReady tells whether this replica leads and may assign offsets. */
  isReady(): boolean {
    const s = this.raft.status()
    return s.role === 'leader' && s.term === this.readyTerm
  }

  /** leader is the node id of the current leader as this replica knows it (0: unknown). */
  leader(): number {
    return this.raft.status().leader
  }

  /**
   * append proposes one validated batch and resolves per `acks`: -1 once committed and applied,
   * 1 once the leader's Raft storage persisted it, 0 once the leader's Raft core took it. Duplicates of an idempotent
   * producer's recent batches answer with the original offset (after its commit, for acks=-1).
   * @throws TributaryError NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH.
   */
  async append(
    batch: Buffer,
    acks: number,
    timeoutMs: number,
    logAppendTime: boolean,
  ): Promise<{ baseOffset: number; logAppendTime: number }> {
    if (!this.isReady()) throw this.notLeader()
    const h = readBatchHeader(batch)
    const idem = {
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      lastOffsetDelta: h.lastOffsetDelta,
    }
    const check = this.leaderTable.check(idem)
    if (check.kind === 'duplicate') {
      if (acks === -1) await this.waitApplied(check.baseOffset, timeoutMs)
      return { baseOffset: check.baseOffset, logAppendTime: check.logAppendTime }
    }
    // A copy: the Raft log must not share bytes that a client may reuse for a retry.
    const data = Buffer.from(batch)
    const appendTime = logAppendTime ? this.deps.clock.now() : -1
    if (logAppendTime) setLogAppendTime(data, appendTime)
    const baseOffset = this.nextOffset
    writeBaseOffset(data, baseOffset)
    const before = this.raft.status().lastIndex
    const committed = this.raft.propose(data)
    if (this.raft.status().lastIndex === before) {
      await committed
      throw this.notLeader()
    }
    this.deps.proposed?.(committed)
    this.nextOffset = baseOffset + h.lastOffsetDelta + 1
    this.leaderTable.record(idem, baseOffset, appendTime, h.maxTimestamp)
    if (acks === 0) {
      committed.catch(() => undefined)
      return { baseOffset, logAppendTime: appendTime }
    }
    if (acks === 1) {
      // Kafka's acks=1: the leader has the batch in its own log (persisted by its Raft storage).
      committed.catch(() => undefined)
      await this.withTimeout(this.raft.whenPersisted(before + 1), timeoutMs)
      return { baseOffset, logAppendTime: appendTime }
    }
    await this.withTimeout(committed, timeoutMs)
    return { baseOffset, logAppendTime: appendTime }
  }

  /** deleteBefore replicates a log-start move (DeleteRecords) and resolves once applied here. */
  async deleteBefore(offset: number, timeoutMs: number): Promise<number> {
    if (!this.isReady()) throw this.notLeader()
    const json = Buffer.from(JSON.stringify({ op: 'deleteBefore', offset }))
    await this.withTimeout(this.raft.propose(Buffer.concat([Buffer.from([CONTROL]), json])), timeoutMs)
    return this.log.startOffset()
  }

  /**
   * inSyncReplicas lists the leader and the followers that were caught up to the leader's log
   * within `replicaLagTimeMaxMs` (Kafka's ISR rule: a follower is caught up when it reached the
   * leader's end as of its previous response).
   */
  inSyncReplicas(): number[] {
    const now = this.deps.clock.now()
    const s = this.raft.status()
    if (s.role !== 'leader' || s.term !== this.trackedTerm) return s.role === 'leader' ? [this.deps.nodeId] : []
    const isr = [this.deps.nodeId]
    // Learners (replicas being added by a reassignment) count only once promoted to voters.
    for (const [id, f] of this.followers)
      if (s.membership.voters.includes(id) && now - f.caughtUpAtMs <= this.deps.replicaLagTimeMaxMs) isr.push(id)
    return isr
  }

  /** followerLag lists, on the leader, each follower's lag in Raft entries and whether it is in sync (metrics). */
  followerLag(): Array<{ nodeId: number; lagEntries: number; inSync: boolean }> {
    const s = this.raft.status()
    if (s.role !== 'leader') return []
    const isr = new Set(this.inSyncReplicas())
    const ids = [...s.membership.voters, ...s.membership.learners].filter((id) => id !== this.deps.nodeId)
    return ids.map((id) => {
      const match = s.term === this.trackedTerm ? (this.followers.get(id)?.match ?? 0) : 0
      return { nodeId: id, lagEntries: Math.max(0, s.lastIndex - match), inSync: isr.has(id) }
    })
  }

  /** caughtUp tells whether the leader saw replica `id` (voter or learner) in sync within the lag time. */
  caughtUp(id: number): boolean {
    const s = this.raft.status()
    const f = this.followers.get(id)
    return (
      s.role === 'leader' &&
      s.term === this.trackedTerm &&
      f !== undefined &&
      this.deps.clock.now() - f.caughtUpAtMs <= this.deps.replicaLagTimeMaxMs
    )
  }

  /** observe is fed every inbound Raft message of this group, to track followers' lag. */
  observe(m: Message): void {
    if (m.type !== MessageType.AppResp && m.type !== MessageType.HeartbeatResp) return
    const s = this.raft.status()
    if (s.role !== 'leader' || m.term !== s.term) return
    if (this.trackedTerm !== s.term) {
      this.followers.clear()
      this.trackedTerm = s.term
    }
    let f = this.followers.get(m.from)
    if (f === undefined) this.followers.set(m.from, (f = { match: 0, caughtUpAtMs: -Infinity, target: undefined }))
    if (m.type === MessageType.AppResp) {
      if (m.reject) return
      f.match = Math.max(f.match, m.index)
    }
    const now = this.deps.clock.now()
    if (f.match >= s.lastIndex) f.caughtUpAtMs = now
    else if (f.target !== undefined && f.match >= f.target.index) f.caughtUpAtMs = Math.max(f.caughtUpAtMs, f.target.atMs)
    if (f.target === undefined || f.match >= f.target.index) f.target = { index: s.lastIndex, atMs: now }
  }

  async close(): Promise<void> {
    await this.raft.close()
    for (const wake of [...this.appliedWaiters]) wake()
  }

  // ---- the state machine --------------------------------------------------------------------

  private apply(e: Entry): void {
    if (e.type === EntryType.Normal && e.data.length > 0) {
      const data = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)
      if (data[0] === CONTROL) this.applyControl(data)
      else this.applyBatch(data)
    }
    this.maybeBecomeReady(e)
    for (const wake of [...this.appliedWaiters]) wake()
    this.deps.onData()
  }

  private applyBatch(data: Buffer): void {
    const base = readBaseOffset(data)
    const end = this.log.endOffset()
    assert(base <= end, `${this.groupId} applies offset ${base} but its log ends at ${end}`)
    // Below the end: re-applied after a restart, already in the local log (but maybe not in the journal),
    // unless recovery lost it and restarted the log empty at a log start inside it (DeleteRecords).
    if (base === end) this.log.append(data)
    else if (this.log.startOffset() === end && base + readBatchHeader(data).lastOffsetDelta >= end) copyAcrossStart(this.log, data)
    this.recordIdempotent(data, base)
  }

  /** recordIdempotent keeps a producer's last five batches (see ProducerJournal). */
  private recordIdempotent(data: Buffer, base: number): void {
    this.journal.record(readBatchHeader(data), base)
  }

  private applyControl(data: Buffer): void {
    const cmd = JSON.parse(data.subarray(1).toString('utf8')) as { op: string; offset: number }
    if (cmd.op === 'deleteBefore') this.log.deleteBefore(Math.min(cmd.offset, this.log.endOffset()))
  }

  /**
   * snapshot describes the state at the applied index. The log's batches below endOffset are the
   * data, so they must be on disk before Raft may drop the entries that could rebuild them.
   */
  private async snapshot(): Promise<Uint8Array> {
    const data = encodePartitionSnapshot({
      endOffset: this.log.endOffset(),
      startOffset: this.log.startOffset(),
      journal: this.journal.records(),
    })
    await this.log.sync()
    return data
  }

  /**
   * restore brings the local log up to a snapshot's end (copying missing batches from the
   * snapshot's sender or the other replicas), applies its start offset and adopts its journal.
   */
  private async restore(data: Uint8Array, ctx: RestoreContext): Promise<void> {
    const snap = decodePartitionSnapshot(data, this.groupId)
    const sources = [...new Set([ctx.leader, ...this.replicas])].filter((id) => id !== 0 && id !== this.deps.nodeId)
    await fillLog({
      log: this.log,
      target: snap.endOffset,
      sources,
      fetchRange: this.deps.fetchRange,
      clock: this.deps.clock,
      signal: ctx.signal,
      groupId: this.groupId,
    })
    if (snap.startOffset > this.log.startOffset()) this.log.deleteBefore(Math.min(snap.startOffset, this.log.endOffset()))
    this.journal.restore(snap.journal)
    for (const wake of [...this.appliedWaiters]) wake()
    this.deps.onData()
  }

  /** The first applied entry of a leader's own term makes it ready: everything before is applied. */
  private maybeBecomeReady(e: Entry): void {
    if (e.term === this.readyTerm) return
    const s = this.raft.status()
    if (s.role !== 'leader' || s.term !== e.term) return
    this.readyTerm = e.term
    this.nextOffset = this.log.endOffset()
    this.leaderTable = new ProducerStateTable(this.deps.producerIdExpirationMs)
    for (const r of this.journal.records())
      this.leaderTable.record(r.batch, r.baseOffset, r.logAppendTime, r.timestampMs ?? Number.POSITIVE_INFINITY)
  }

  // ---- helpers ------------------------------------------------------------------------------

  private waitApplied(offset: number, timeoutMs: number): Promise<void> {
    return this.withTimeout(
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (this.log.endOffset() > offset) done(resolve)
          else if (!this.isReady()) done(() => reject(this.notLeader()))
        }
        const done = (fn: () => void): void => {
          this.appliedWaiters.delete(check)
          fn()
        }
        this.appliedWaiters.add(check)
        check()
      }),
      timeoutMs,
    )
  }

  private async withTimeout<T>(p: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: { cancel(): void } | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = this.deps.clock.setTimeout(
        () => reject(new TributaryError('REQUEST_TIMED_OUT', `${this.topic}-${this.partition}: not committed within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    try {
      return await Promise.race([p, timeout])
    } finally {
      timer?.cancel()
    }
  }

  notLeader(): TributaryError {
    const leaderId = this.leader()
    return new TributaryError('NOT_LEADER_OR_FOLLOWER', `node ${this.deps.nodeId} does not lead ${this.topic}-${this.partition}`, {
      details: { topic: this.topic, partition: this.partition, leaderId: leaderId === this.deps.nodeId ? 0 : leaderId },
    })
  }
}
