import type { RaftConfig } from './config'
import type { RandomSource } from './random'
import type { Ready } from './ready'
import type { Entry, HardState, Membership, Message, NodeId, RaftRole, ReadState, Snapshot, SoftState } from './types'
import { EntryType, MessageType, NONE, PIPELINED, emptyMessage } from './types'
import { ENTRY_OVERHEAD_BYTES, RaftLog, assert, entryBytes } from './log'
import { Progress, type RetransmitLimits } from './progress'
import { UncommittedBudget } from './uncommitted'
import { ReorderBuffer } from './reorder-buffer'
import { committedIndex, hasQuorum, voteResult } from './quorum'
import { applyConfChange, encodeConfEntry, isMember, isVoter, type ConfChange } from './membership'

/** RaftInit is the durable state a replica starts from (empty for a brand-new replica). */
export interface RaftInit {
  /** The newest persisted snapshot, or a "bootstrap" one at index 0 carrying the initial membership. */
  readonly snapshot: Snapshot
  /** Persisted entries after the snapshot, contiguous. */
  readonly entries: readonly Entry[]
  readonly hardState?: HardState
}

/** ProposeFailure says why the core refused a proposal; the runner maps it to an error code. */
export type ProposeFailure =
  | 'not-leader'
  | 'transferring'
  | 'overloaded'
  | 'conf-change-pending'
  | 'no-commit-in-term'
  | 'invalid-conf-change'

/**
 * CommitStall describes a leader whose commit index stopped advancing although it holds
 * uncommitted entries and a quorum answers it: a stuck group that still accepts writes.
 */
export interface CommitStall {
  /** Ticks the commit index has not advanced (counted while a quorum answered). */
  readonly ticks: number
  /** Whether an entry of the leader's own term has committed (false: not even its no-op). */
  readonly ownTermCommitted: boolean
  readonly commitIndex: number
  readonly lastIndex: number
  /** Each follower's acknowledged index, as the leader knows it. */
  readonly matchIndex: Readonly<Record<number, number>>
}

/** ProposeResult is where an accepted proposal landed in the log, or why it was refused. */
export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; reason: ProposeFailure; message: string }

/** FORCE_VOTE marks a Vote sent because of a leadership transfer: it bypasses the leader lease. */
const FORCE_VOTE = 1

/** bootstrapSnapshot is the starting point of a new group whose initial voters are `voters`. */
export function bootstrapSnapshot(voters: readonly NodeId[], learners: readonly NodeId[] = []): Snapshot {
  return { meta: { index: 0, term: 0, membership: { voters: [...voters], learners: [...learners] } }, data: new Uint8Array(0) }
}

/**
 * Raft is one replica's pure consensus state machine (etcd-style). Inputs: `tick`, `step`,
 * `propose`, `proposeConfChange`, `transferLeadership`, `readIndex`. Output: `ready()` returns a
 * batch of work, and `advance()` acknowledges it. It reads no clock, does no I/O and draws
 * randomness only from the injected source.
 */
export class Raft {
  readonly id: NodeId
  readonly log: RaftLog
  term = 0
  vote: NodeId = NONE
  leader: NodeId = NONE
  role: RaftRole = 'follower'
  /** Leader only: replication progress of every member other than this replica. */
  readonly prs = new Map<NodeId, Progress>()
  private readonly votes = new Map<NodeId, boolean>()
  private electionElapsed = 0
  private heartbeatElapsed = 0
  private randomizedElectionTimeout = 0
  /** Leader only: the node leadership is being handed to, or NONE. */
  leadTransferee: NodeId = NONE
  /** Ticks since this replica started: the leader's clock for round trips and retransmissions. */
  private ticks = 0
  /** Leader only: what its log holds beyond its commit index (backpressure on proposals). */
  private readonly budget: UncommittedBudget
  /** Leader only: ticks its commit index stood still with entries waiting and a quorum answering. */
  private commitWaitTicks = 0
  private readonly retransmit: RetransmitLimits
  /** Follower only: appends of its leader that overtook earlier ones, and that leader once it accepted one. */
  private readonly reorder: ReorderBuffer
  private pipelineLeader: NodeId = NONE
  private pendingBroadcast = false
  /** ReadIndex requests waiting for heartbeat acks (in order), and those waiting for a commit in this term. */
  private pendingReads: { requestId: number; index: number; acks: Set<NodeId> }[] = []
  private queuedReads: number[] = []
  private readStates: ReadState[] = []
  private droppedReads: number[] = []
  private msgs: Message[] = []
  private msgsEarly: Message[] = []
  private prevHard: HardState
  private prevSoft: SoftState

  constructor(
    readonly config: RaftConfig,
    private readonly random: RandomSource,
    init: RaftInit,
  ) {
    this.id = config.id
    this.budget = new UncommittedBudget(config.maxUncommittedEntries, config.maxUncommittedBytes)
    this.retransmit = { initialTicks: 2 * config.heartbeatTicks + 1, maxTicks: config.electionTicks }
    this.reorder = new ReorderBuffer(config.maxInflightMsgs, config.maxInflightBytes)
    this.log = new RaftLog(init.snapshot, init.entries, init.hardState?.commit ?? 0)
    this.term = init.hardState?.term ?? 0
    this.vote = init.hardState?.vote ?? NONE
    this.prevHard = this.hardState()
    this.prevSoft = this.softState()
    this.becomeFollower(this.term, NONE)
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed }
  }

  softState(): SoftState {
    return { leader: this.leader, role: this.role }
  }

  membership(): Membership {
    return this.log.membership()
  }

  /** promotable: only a voter of its own latest configuration may campaign. */
  promotable(): boolean {
    return isVoter(this.log.membership(), this.id)
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** tick advances logical time by one tick. */
  tick(): void {
    this.ticks++
    if (this.role === 'leader') this.tickLeader()
    else this.tickElection()
  }

  private tickElection(): void {
    this.electionElapsed++
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0
      this.campaign(this.config.preVote ? 'pre' : 'real')
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++
    this.electionElapsed++
    for (const pr of this.prs.values()) if (pr.outstanding()) pr.waitTicks++
    this.commitWaitTicks = this.log.lastIndex() > this.log.committed ? this.commitWaitTicks + 1 : 0
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0
      const quorum = this.quorumActive()
      if (this.config.checkQuorum && !quorum) {
        this.becomeFollower(this.term, NONE)
        return
      }
      // The stall guard counts only time in which a quorum answered: a leader cut off from its
      // quorum is not stuck but partitioned (check-quorum's business).
      if (!quorum) this.commitWaitTicks = 0
      // A transfer that did not finish within an election timeout is abandoned.
      this.leadTransferee = NONE
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0
      this.broadcastHeartbeat(this.pendingReads[this.pendingReads.length - 1]?.requestId ?? 0)
    }
  }

  /** quorumActive tells whether a majority (counting this leader) was heard from since the last check, and resets the marks. */
  private quorumActive(): boolean {
    const ok = hasQuorum(this.membership().voters, (id) => id === this.id || this.prs.get(id)?.recentActive === true)
    for (const pr of this.prs.values()) pr.recentActive = false
    return ok
  }

  /**
   * campaign starts an election now (a pre-vote first when enabled), as if the election timer
   * fired. Ignored on a leader or a replica that is not a voter. Tests and operators use it.
   */
  campaignNow(): void {
    if (this.role === 'leader' || !this.promotable()) return
    this.electionElapsed = 0
    this.campaign(this.config.preVote ? 'pre' : 'real')
  }

  /** propose appends `data` as a new entry if this replica leads. */
  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal()
    if (refused !== undefined) return refused
    if (!this.budget.admits(data.byteLength + ENTRY_OVERHEAD_BYTES)) {
      return { ok: false, reason: 'overloaded', message: `leader ${this.id} holds ${this.budget.describe()}` }
    }
    return this.appendEntry(EntryType.Normal, data)
  }

  /** uncommitted is what a leader's log holds beyond its commit index (zero on other roles). */
  uncommitted(): { entries: number; bytes: number } {
    return this.role === 'leader' ? { entries: this.budget.entries, bytes: this.budget.bytes } : { entries: 0, bytes: 0 }
  }

  /**
   * commitStall reports a leader whose commit index has not advanced for `commitStallTicks`
   * ticks while it held uncommitted entries and a quorum answered it; undefined otherwise.
   */
  commitStall(): CommitStall | undefined {
    if (this.role !== 'leader' || this.commitWaitTicks < this.config.commitStallTicks) return undefined
    const matchIndex: Record<number, number> = {}
    for (const pr of this.prs.values()) matchIndex[pr.id] = pr.match
    return {
      ticks: this.commitWaitTicks,
      ownTermCommitted: this.log.term(this.log.committed) === this.term,
      commitIndex: this.log.committed,
      lastIndex: this.log.lastIndex(),
      matchIndex,
    }
  }

  /**
   * proposeConfChange appends a single-server membership change. The change takes effect as soon
   * as it is appended. Two rules keep single-server changes safe (Ongaro's 2015 fix): the leader
   * must have committed an entry of its own term, and at most one change may be uncommitted.
   * The uncommitted budget does not refuse it (at most one is pending, and removing a dead member
   * may be what lets a stuck group commit again), but it counts towards it.
   */
  proposeConfChange(change: ConfChange): ProposeResult {
    const refused = this.refuseProposal()
    if (refused !== undefined) return refused
    if (this.log.term(this.log.committed) !== this.term) {
      return { ok: false, reason: 'no-commit-in-term', message: 'the leader has not yet committed an entry of its term' }
    }
    if (this.log.lastConfIndex() > this.log.committed) {
      return { ok: false, reason: 'conf-change-pending', message: 'another membership change is not yet committed' }
    }
    const next = applyConfChange(this.membership(), change)
    if (typeof next === 'string') return { ok: false, reason: 'invalid-conf-change', message: next }
    const result = this.appendEntry(EntryType.ConfChange, encodeConfEntry(change, next))
    this.syncProgress()
    return result
  }

  private refuseProposal(): ProposeResult | undefined {
    if (this.role !== 'leader') return { ok: false, reason: 'not-leader', message: `node ${this.id} is not the leader` }
    if (this.leadTransferee !== NONE)
      return { ok: false, reason: 'transferring', message: `leadership is moving to ${this.leadTransferee}` }
    return undefined
  }

  private appendEntry(type: EntryType, data: Uint8Array): ProposeResult {
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, type, data }
    this.log.appendAt([entry])
    this.budget.add(entry)
    // Appends are sent when the runner next asks for a Ready, so proposals made in between share messages.
    this.pendingBroadcast = true
    return { ok: true, index: entry.index, term: entry.term }
  }

  /** transferLeadership asks the leader to hand over to `to` (§3.10 of the thesis). Returns false if impossible. */
  transferLeadership(to: NodeId): boolean {
    if (this.role !== 'leader' || to === this.id || !isVoter(this.membership(), to)) return false
    const pr = this.prs.get(to)
    if (pr === undefined) return false
    this.leadTransferee = to
    this.electionElapsed = 0
    if (pr.match === this.log.lastIndex()) this.send({ ...emptyMessage, type: MessageType.TimeoutNow, to })
    else this.sendAppend(to, true)
    return true
  }

  /**
   * readIndex starts a linearizable read (§6.4): the leader notes its commit index and confirms
   * with a heartbeat round that it still leads. The result comes as a ReadState in a later Ready
   * (or the id shows up in `droppedReads`). Returns false if this replica cannot serve it now.
   */
  readIndex(requestId: number): boolean {
    assert(requestId > 0, 'read request ids are positive')
    if (this.role !== 'leader') return false
    if (this.pendingReads.length + this.queuedReads.length >= this.config.maxPendingReads) return false
    // Until an entry of this term commits, the leader's commit index may be stale (§6.4 step 1).
    if (this.log.term(this.log.committed) !== this.term) this.queuedReads.push(requestId)
    else this.startRead(requestId)
    return true
  }

  private startRead(requestId: number): void {
    if (this.membership().voters.length === 1) {
      this.readStates.push({ index: this.log.committed, requestId })
      return
    }
    this.pendingReads.push({ requestId, index: this.log.committed, acks: new Set([this.id]) })
    this.broadcastHeartbeat(requestId)
  }

  /** createSnapshot describes the state the application reached at `index` (<= applied). */
  createSnapshot(index: number, data: Uint8Array): Snapshot {
    const term = this.log.term(index)
    assert(term !== undefined && index <= this.log.applied, `cannot snapshot at ${index}`)
    return { meta: { index, term, membership: this.log.membershipAt(index) }, data }
  }

  /** compact installs a snapshot the application persisted, dropping log entries up to `compactTo`. */
  compact(snapshot: Snapshot, compactTo: number): void {
    this.log.compact(snapshot, Math.min(compactTo, snapshot.meta.index))
  }

  // ---- step ---------------------------------------------------------------------------------

  /** step processes one message from a peer. Messages not addressed to this replica are a bug. */
  step(m: Message): void {
    assert(m.to === this.id, `message for ${m.to} stepped into ${this.id}`)
    if ((m.type === MessageType.Vote || m.type === MessageType.PreVote) && this.ignoreOutsider(m.from)) return
    if (m.term > this.term) {
      if (!this.acceptHigherTerm(m)) return
    } else if (m.term < this.term) {
      this.stepLowerTerm(m)
      return
    }
    switch (m.type) {
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m)
        return
    }
    if (this.role === 'leader') this.stepLeader(m)
    else if (this.role === 'follower') this.stepFollower(m)
    else this.stepCandidate(m)
  }

  /**
   * ignoreOutsider: a removed server never learns of its removal (the leader stops replicating to
   * it) and keeps campaigning. While we hear from a live leader we ignore candidates outside our
   * configuration, without adopting their term, so it cannot depose that leader (thesis §4.2.3).
   * Without a live leader we must listen: our configuration may be the stale one (a just-promoted
   * voter whose promotion we have not received yet).
   */
  private ignoreOutsider(candidate: NodeId): boolean {
    const leaderLive = this.leader !== NONE && this.electionElapsed < this.config.electionTicks
    return leaderLive && !isVoter(this.membership(), candidate)
  }

  /** acceptHigherTerm applies the "any RPC with a higher term" rule; returns whether to go on processing. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      // A follower that heard from a live leader within the minimum election timeout ignores
      // (pre-)votes, so a partitioned node that rejoins cannot depose a healthy leader (§4.2.3).
      const inLease = this.config.checkQuorum && this.leader !== NONE && this.electionElapsed < this.config.electionTicks
      if (inLease && m.context !== FORCE_VOTE) return false
      if (m.type === MessageType.PreVote) return true // a pre-vote never changes our term
    }
    // A granted pre-vote carries the future term; the pre-candidate adopts it only if it wins.
    if (m.type === MessageType.PreVoteResp && !m.reject) return true
    const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap
    this.becomeFollower(m.term, fromLeader ? m.from : NONE)
    return true
  }

  private stepLowerTerm(m: Message): void {
    if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
      // Tell a stale leader our term (Figure 2: the reply carries currentTerm), so that it steps
      // down instead of accepting writes it can never commit. With pre-vote or check-quorum no
      // campaign of ours would raise its term; and a server removed from the configuration hears
      // no campaign at all (nobody sends it votes), so it would lead its old term forever.
      this.send({ ...emptyMessage, type: MessageType.AppResp, to: m.from })
    } else if (m.type === MessageType.PreVote) {
      this.send({ ...emptyMessage, type: MessageType.PreVoteResp, to: m.from, reject: true })
    }
  }

  private handleVoteRequest(m: Message): void {
    const pre = m.type === MessageType.PreVote
    const canVote = this.vote === m.from || (this.vote === NONE && this.leader === NONE) || (pre && m.term > this.term)
    const respType = pre ? MessageType.PreVoteResp : MessageType.VoteResp
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Answer a pre-vote in the candidate's future term so it can count it (etcd does the same).
      this.send({ ...emptyMessage, type: respType, to: m.from, term: m.term })
      if (!pre) {
        this.electionElapsed = 0
        this.vote = m.from
      }
    } else {
      this.send({ ...emptyMessage, type: respType, to: m.from, reject: true })
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        this.electionElapsed = 0
        this.leader = m.from
        this.handleFromLeader(m)
        return
      case MessageType.TimeoutNow:
        if (this.promotable()) this.campaign('transfer')
        return
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        // Someone won this term (§5.2): fall back to follower.
        this.becomeFollower(m.term, m.from)
        this.handleFromLeader(m)
        return
      case MessageType.VoteResp:
      case MessageType.PreVoteResp: {
        const expected = this.role === 'pre-candidate' ? MessageType.PreVoteResp : MessageType.VoteResp
        if (m.type !== expected) return
        this.votes.set(m.from, !m.reject)
        this.checkVotes()
        return
      }
    }
  }

  private handleFromLeader(m: Message): void {
    if (m.type === MessageType.App) this.handleAppend(m)
    else if (m.type === MessageType.Heartbeat) this.handleHeartbeat(m)
    else this.handleSnapshot(m)
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index matches the leader's log (Leader Completeness).
      this.send({ ...emptyMessage, type: MessageType.AppResp, to: m.from, index: this.log.committed })
      return
    }
    // A pipelined append that overtook earlier ones of its leader's pipeline waits for them (a
    // probe, or an append of a leader whose pipeline we never joined, is answered at once).
    const overtook = m.index > this.log.lastIndex() && m.context === PIPELINED && this.pipelineLeader === m.from
    if (overtook && this.reorder.hold(m)) return
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.entries)
    if (lastNew !== undefined) {
      this.pipelineLeader = m.from
      this.log.commitTo(Math.min(m.commit, lastNew))
      this.send({ ...emptyMessage, type: MessageType.AppResp, to: m.from, index: lastNew })
      const next = this.reorder.takeReady(this.log.lastIndex())
      if (next !== undefined) this.handleAppend(next)
      return
    }
    // Fast back-off: point the leader at our last index whose term is <= the probed term.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm)
    const hintTerm = this.log.term(hintIndex) ?? 0
    this.send({
      ...emptyMessage,
      type: MessageType.AppResp,
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hintIndex,
      logTerm: hintTerm,
    })
  }

  private handleHeartbeat(m: Message): void {
    // The leader sends min(its commit, our match), which our log is known to contain.
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()))
    this.send({ ...emptyMessage, type: MessageType.HeartbeatResp, to: m.from, context: m.context })
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot
    assert(snap !== undefined, 'Snap message without a snapshot')
    const { index, term } = snap.meta
    if (index <= this.log.committed) {
      this.send({ ...emptyMessage, type: MessageType.AppResp, to: m.from, index: this.log.committed })
      return
    }
    if (this.log.matchTerm(index, term)) {
      // We already hold the snapshot's last entry: keep our log and just fast-forward the commit.
      this.log.commitTo(index)
    } else {
      this.log.restore(snap)
      this.reorder.clear()
    }
    this.send({ ...emptyMessage, type: MessageType.AppResp, to: m.from, index })
  }

  // ---- elections ----------------------------------------------------------------------------

  private campaign(kind: 'pre' | 'real' | 'transfer'): void {
    // A pre-vote asks about the term we would move to; a real campaign moves there first.
    const voteTerm = this.term + 1
    if (kind === 'pre') this.becomePreCandidate()
    else this.becomeCandidate()
    const type = kind === 'pre' ? MessageType.PreVote : MessageType.Vote
    const context = kind === 'transfer' ? FORCE_VOTE : 0
    this.votes.set(this.id, true)
    for (const v of this.membership().voters) {
      if (v === this.id) continue
      this.send({ ...emptyMessage, type, to: v, term: voteTerm, index: this.log.lastIndex(), logTerm: this.log.lastTerm(), context })
    }
    this.checkVotes()
  }

  private checkVotes(): void {
    const result = voteResult(this.membership().voters, this.votes)
    if (result === 'won') {
      if (this.role === 'pre-candidate') this.campaign('real')
      else this.becomeLeader()
    } else if (result === 'lost') {
      this.becomeFollower(this.term, NONE)
    }
  }

  private resetTimers(): void {
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    // Randomized in [electionTicks, 2*electionTicks) so that split votes resolve (§5.2).
    this.randomizedElectionTimeout = this.config.electionTicks + this.random.nextInt(this.config.electionTicks)
  }

  private leaveLeadership(): void {
    this.leadTransferee = NONE
    this.pendingBroadcast = false
    this.droppedReads.push(...this.pendingReads.map((r) => r.requestId), ...this.queuedReads)
    this.pendingReads = []
    this.queuedReads = []
    this.prs.clear()
  }

  becomeFollower(term: number, leader: NodeId): void {
    if (term > this.term) {
      this.term = term
      this.vote = NONE
    }
    this.forgetPipeline()
    if (this.role === 'leader') this.leaveLeadership()
    this.role = 'follower'
    this.leader = leader
    this.resetTimers()
  }

  /** forgetPipeline drops what a follower held for its leader's pipeline (a new term or role). */
  private forgetPipeline(): void {
    this.pipelineLeader = NONE
    this.reorder.clear()
  }

  private becomePreCandidate(): void {
    this.forgetPipeline()
    this.role = 'pre-candidate'
    this.leader = NONE
    this.votes.clear()
  }

  private becomeCandidate(): void {
    this.forgetPipeline()
    this.term++
    this.vote = this.id
    this.role = 'candidate'
    this.leader = NONE
    this.votes.clear()
    this.resetTimers()
  }

  private becomeLeader(): void {
    this.role = 'leader'
    this.leader = this.id
    this.resetTimers()
    this.commitWaitTicks = 0
    // The inherited tail counts: a backlog does not grow past the budget from leader to leader.
    const last = this.log.lastIndex()
    this.budget.reset(last > this.log.committed ? this.log.slice(this.log.committed + 1, last + 1) : [])
    this.syncProgress()
    // The no-op lets entries of earlier terms commit promptly (Figure 8 / §5.4.2). It is never
    // refused: a new leader's first entry does not wait for room in the budget.
    this.appendEntry(EntryType.Normal, new Uint8Array(0))
  }

  /** syncProgress makes the leader track exactly the members of its newest configuration. */
  private syncProgress(): void {
    const m = this.membership()
    for (const id of [...this.prs.keys()]) if (!isMember(m, id)) this.prs.delete(id)
    for (const id of [...m.voters, ...m.learners]) {
      if (id === this.id) continue
      const pr = this.prs.get(id)
      if (pr === undefined)
        this.prs.set(
          id,
          new Progress(id, this.log.lastIndex() + 1, this.config.maxInflightMsgs, m.learners.includes(id), this.config.maxInflightBytes),
        )
      else pr.isLearner = m.learners.includes(id)
    }
  }

  // ---- leader -------------------------------------------------------------------------------

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from)
    if (pr === undefined) return
    if (m.type === MessageType.AppResp) {
      pr.recentActive = true
      if (m.reject) this.handleAppendReject(pr, m)
      else this.handleAppendAck(pr, m)
    } else if (m.type === MessageType.HeartbeatResp) {
      pr.recentActive = true
      this.handleHeartbeatResp(pr, m)
    }
  }

  private handleAppendReject(pr: Progress, m: Message): void {
    const hint = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint
    // A stale rejection sends nothing: one of an index the follower has since acknowledged, of a
    // probe we no longer wait for, or one whose hint lies below the acknowledged match (a fresh
    // one never does: the follower's log agrees with ours up to match, so its conflict search
    // stops at or above it).
    if (m.rejectHint < pr.match || !pr.maybeDecrTo(m.index, hint)) return
    this.sendAppend(pr.id, true)
  }

  private handleAppendAck(pr: Progress, m: Message): void {
    const advanced = pr.maybeUpdate(m.index, this.ticks)
    // A duplicate or stale acknowledgement changes nothing and sends nothing, except that any
    // successful answer confirming a probe's position moves the follower to pipelining.
    if (!advanced && !pr.answersProbe(m.index)) return
    if (pr.state === 'probe') pr.becomeReplicate()
    else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe()
      pr.becomeReplicate()
    }
    if (this.maybeCommit()) this.pendingBroadcast = true
    if (this.role !== 'leader') return
    this.fillPipe(pr)
    if (pr.id === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ ...emptyMessage, type: MessageType.TimeoutNow, to: pr.id })
    }
  }

  /**
   * handleHeartbeatResp: the follower is reachable, so this is when what seems lost is sent
   * again — only once it waited longer than the follower's retransmission timeout, which
   * follows the measured round trip and doubles with each retransmission that brings no progress.
   */
  private handleHeartbeatResp(pr: Progress, m: Message): void {
    if (m.context !== 0) this.ackRead(m.context, pr.id, pr.isLearner)
    if (pr.retransmitDue(this.retransmit)) {
      pr.noteRetransmit()
      if (pr.state === 'replicate') this.sendEmptyAppend(pr)
      else {
        // A lost probe goes again; a lost snapshot is offered again from probing.
        if (pr.state === 'snapshot') pr.becomeProbe()
        pr.probeSent = false
        this.sendAppend(pr.id, true)
      }
      return
    }
    // A follower in probe with nothing outstanding (for instance caught up when the leader took
    // over) gets a probe, possibly empty, whose answer moves it to pipelining.
    if (pr.state === 'probe' && !pr.probeSent) this.sendAppend(pr.id, true)
    else this.fillPipe(pr)
  }

  private ackRead(requestId: number, from: NodeId, isLearner: boolean): void {
    const pos = this.pendingReads.findIndex((r) => r.requestId === requestId)
    const read = this.pendingReads[pos]
    if (read === undefined || isLearner) return
    read.acks.add(from)
    if (!hasQuorum(this.membership().voters, (id) => read.acks.has(id))) return
    // Confirming leadership for this read confirms it for every earlier one too.
    for (const r of this.pendingReads.splice(0, pos + 1)) this.readStates.push({ index: r.index, requestId: r.requestId })
  }

  /** matchOf is a voter's durable match; the leader counts itself only up to its own flushed index. */
  private matchOf(id: NodeId): number {
    return id === this.id ? this.log.stableIndex : (this.prs.get(id)?.match ?? 0)
  }

  /** maybeCommit advances the commit index to what a majority holds, only for entries of this term (§5.4.2). */
  private maybeCommit(): boolean {
    const old = this.log.committed
    const index = committedIndex(this.membership().voters, (id) => this.matchOf(id))
    if (index <= old || this.log.term(index) !== this.term) return false
    this.log.commitTo(index)
    for (let i = old + 1; i <= index; i++) this.budget.release(this.log.entryAt(i)!)
    this.commitWaitTicks = 0
    if (this.queuedReads.length > 0) for (const id of this.queuedReads.splice(0)) this.startRead(id)
    // A leader removed by a now-committed change steps down (§4.2.2); others will elect a leader.
    if (!this.promotable() && this.log.lastConfIndex() <= index) this.becomeFollower(this.term, NONE)
    return true
  }

  /** sendAppend sends the next append (or a snapshot) to `to` unless flow control pauses it. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to)
    if (pr === undefined || pr.isPaused()) return false
    const prevIndex = pr.next - 1
    const prevTerm = this.log.term(prevIndex)
    if (prevTerm === undefined) return this.sendSnapshot(pr)
    const last = this.log.lastIndex()
    const entries = pr.next <= last ? this.log.slice(pr.next, last + 1, this.config.maxMsgBytes) : []
    if (entries.length === 0 && !sendIfEmpty) return false
    const commit = this.log.committed
    const context = pr.state === 'replicate' && entries.length > 0 ? PIPELINED : 0
    this.send({ ...emptyMessage, type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries, commit, context })
    let bytes = 0
    for (const e of entries) bytes += entryBytes(e)
    pr.sentEntries(prevIndex + entries.length, entries.length, bytes, this.ticks)
    // The follower commits at most up to the last entry this message lets it verify.
    pr.sentCommit = Math.max(pr.sentCommit, Math.min(commit, prevIndex + entries.length))
    return true
  }

  /**
   * fillPipe sends a follower what it lacks: batches up to its in-flight window (one probe in the
   * probe state), or, with nothing new to send, an empty append carrying a commit index it was not
   * sent yet. While appends are in flight that commit index waits for the next append or
   * heartbeat: an empty append overtaking them on a reordering network would be refused.
   */
  private fillPipe(pr: Progress): void {
    let sent = false
    while (this.sendAppend(pr.id, false)) {
      sent = true
      if (pr.state !== 'replicate') break
    }
    if (sent || Math.min(this.log.committed, pr.next - 1) <= pr.sentCommit) return
    if (pr.state === 'replicate' && pr.inflights.count() > 0) return
    this.sendAppend(pr.id, true)
  }

  /**
   * sendEmptyAppend asks a stalled pipeline whether the follower holds everything sent (an empty
   * append at next - 1, outside the window). A yes acknowledges all of it; a no sends the
   * follower back to probing from its hint. No range is sent again on a timer.
   */
  private sendEmptyAppend(pr: Progress): void {
    const prevIndex = pr.next - 1
    const prevTerm = this.log.term(prevIndex)
    if (prevTerm === undefined) {
      pr.becomeProbe()
      this.sendAppend(pr.id, true)
      return
    }
    const commit = Math.min(this.log.committed, prevIndex)
    this.send({ ...emptyMessage, type: MessageType.App, to: pr.id, index: prevIndex, logTerm: prevTerm, commit })
    pr.sentCommit = Math.max(pr.sentCommit, commit)
  }

  private sendSnapshot(pr: Progress): boolean {
    const snapshot = this.log.latestSnapshot
    this.send({ ...emptyMessage, type: MessageType.Snap, to: pr.id, snapshot })
    pr.becomeSnapshot(snapshot.meta.index)
    return true
  }

  private broadcastAppend(): void {
    for (const pr of this.prs.values()) this.fillPipe(pr)
  }

  private broadcastHeartbeat(context: number): void {
    for (const pr of this.prs.values()) {
      const commit = Math.min(pr.match, this.log.committed)
      this.send({ ...emptyMessage, type: MessageType.Heartbeat, to: pr.id, commit, context })
      pr.sentCommit = Math.max(pr.sentCommit, commit)
    }
  }

  // ---- output -------------------------------------------------------------------------------

  private send(m: Omit<Message, 'from' | 'term'> & { term?: number }): void {
    const msg: Message = { ...m, from: this.id, term: m.term ?? this.term }
    const early =
      this.role === 'leader' && (msg.type === MessageType.App || msg.type === MessageType.Heartbeat || msg.type === MessageType.Snap)
    if (early) this.msgsEarly.push(msg)
    else this.msgs.push(msg)
  }

  private flushBroadcast(): void {
    if (!this.pendingBroadcast) return
    this.pendingBroadcast = false
    if (this.role !== 'leader') return
    this.broadcastAppend()
    // A single-voter leader commits as soon as its own write is durable; nothing else to do here.
  }

  /** hasReady tells whether `ready()` would return any work. */
  hasReady(): boolean {
    if (this.pendingBroadcast && this.role === 'leader') return true
    const hs = this.hardState()
    const ss = this.softState()
    return (
      this.msgs.length > 0 ||
      this.msgsEarly.length > 0 ||
      this.readStates.length > 0 ||
      this.droppedReads.length > 0 ||
      this.log.unstableSnapshot !== undefined ||
      this.log.stableIndex < this.log.lastIndex() ||
      hs.term !== this.prevHard.term ||
      hs.vote !== this.prevHard.vote ||
      ss.leader !== this.prevSoft.leader ||
      ss.role !== this.prevSoft.role ||
      this.log.applicableEntries(1).length > 0
    )
  }

  /** ready collects the work accumulated since the last call. Call `advance` once it is done. */
  ready(): Ready {
    this.flushBroadcast()
    const hs = this.hardState()
    const ss = this.softState()
    const hardChanged = hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote
    const softChanged = ss.leader !== this.prevSoft.leader || ss.role !== this.prevSoft.role
    // Bounded per Ready, so a long backlog is applied in slices the runner can interleave with I/O.
    const committedEntries = this.log.applicableEntries(this.config.maxCommittedBytesPerReady)
    const last = committedEntries[committedEntries.length - 1]
    if (last !== undefined) this.log.applied = last.index
    const rd: Ready = {
      softState: softChanged ? ss : undefined,
      hardState: hardChanged ? hs : undefined,
      entries: this.log.unstableEntries(),
      snapshot: this.log.unstableSnapshot,
      committedEntries,
      messagesBeforePersist: this.msgsEarly,
      messages: this.msgs,
      readStates: this.readStates,
      droppedReads: this.droppedReads,
    }
    if (hardChanged) this.prevHard = hs
    if (softChanged) this.prevSoft = ss
    this.msgs = []
    this.msgsEarly = []
    this.readStates = []
    this.droppedReads = []
    return rd
  }

  /** advance tells the core that `rd` was persisted and applied as `Ready` describes. */
  advance(rd: Ready): void {
    if (rd.snapshot !== undefined && rd.snapshot === this.log.unstableSnapshot) this.log.unstableSnapshot = undefined
    const last = rd.entries[rd.entries.length - 1]
    // If those indexes were overwritten meanwhile, the term check keeps them unstable (the ABA race).
    if (last !== undefined) this.log.stableTo(last.index, last.term)
    if (this.role === 'leader' && this.maybeCommit()) this.pendingBroadcast = true
  }
}
