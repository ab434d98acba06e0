import { resolveRaftConfig } from '../core/config'
import type { Raft } from '../core/raft'
import { Sfc32 } from '../core/random'
import type { ConfChange } from '../core/membership'
import type { Entry, Membership, Message, NodeId } from '../core/types'
import { MessageType } from '../core/types'
import { decodeMessage, encodeMessage } from '../transport/codec'
import { SafetyChecker, SafetyViolation } from './checker'
import { EventQueue } from './heap'
import { SimNode } from './node'
import { Trace, describeMessage } from './trace'

/** SimParams are the knobs one seed draws; everything is derived from the seed. */
export interface SimParams {
  readonly nodeCount: number
  readonly idPool: number
  readonly tickMs: number
  readonly electionTicks: number
  readonly heartbeatTicks: number
  readonly preVote: boolean
  readonly checkQuorum: boolean
  readonly maxInflightMsgs: number
  readonly maxMsgBytes: number
  readonly snapshotEvery: number
  readonly minDelayMs: number
  readonly maxDelayMs: number
  readonly dropRate: number
  readonly dupRate: number
  readonly maxFlushMs: number
  readonly chaosMs: number
  readonly livenessMs: number
  readonly membershipChanges: boolean
  /** Probability that a replica crashes at the moment it would sync a write. */
  readonly crashAtFlushRate: number
  /** The leader's backpressure: entries and bytes it may hold beyond its commit index. */
  readonly maxUncommittedEntries: number
  readonly maxUncommittedBytes: number
  /** Entry bytes in flight per follower before its pipeline pauses. */
  readonly maxInflightBytes: number
}

/** drawParams picks a seed's cluster shape and fault rates. */
export function drawParams(rng: Sfc32): SimParams {
  const electionTicks = 8 + rng.nextInt(5)
  return {
    nodeCount: rng.chance(0.6) ? 3 : rng.chance(0.5) ? 5 : 1 + rng.nextInt(4),
    idPool: 7,
    tickMs: 10,
    electionTicks,
    heartbeatTicks: 1 + rng.nextInt(3),
    preVote: rng.chance(0.8),
    checkQuorum: rng.chance(0.8),
    maxInflightMsgs: 1 + rng.nextInt(8),
    maxMsgBytes: 32 + rng.nextInt(256),
    snapshotEvery: rng.chance(0.7) ? 5 + rng.nextInt(40) : Infinity,
    minDelayMs: 1,
    maxDelayMs: 2 + rng.nextInt(40),
    dropRate: rng.nextFloat() * 0.2,
    dupRate: rng.nextFloat() * 0.1,
    // Some seeds get a slow disk, so that a leader's own write often finishes after its followers'.
    maxFlushMs: rng.chance(0.3) ? rng.nextInt(40) : rng.nextInt(8),
    chaosMs: 3000,
    livenessMs: 60 * electionTicks * 10,
    membershipChanges: rng.chance(0.5),
    crashAtFlushRate: rng.nextFloat() * 0.02,
    // Drawn last, so that every earlier parameter of a seed is what it was before these existed.
    ...drawBackpressure(rng),
  }
}

/**
 * drawBackpressure scales the leader's uncommitted budget to the simulated network, as an
 * operator sizes it to theirs: the sim's messages hold a few entries (maxMsgBytes 32–287) and as
 * few as one may be in flight, so the default budget (10,000 entries) would let a leader that
 * cannot commit pile up a backlog that takes minutes of simulated time to replicate.
 */
function drawBackpressure(rng: Sfc32): Pick<SimParams, 'maxUncommittedEntries' | 'maxUncommittedBytes' | 'maxInflightBytes'> {
  const maxUncommittedEntries = 4 + rng.nextInt(45)
  const maxUncommittedBytes = 256 + rng.nextInt(1024)
  return { maxUncommittedEntries, maxUncommittedBytes, maxInflightBytes: 32 + rng.nextInt(1024) }
}

/** MAX_EVENTS bounds one seed so that a livelock or message storm fails instead of hanging. */
const MAX_EVENTS = 400_000

type SimEvent =
  | { kind: 'tick'; id: NodeId; epoch: number }
  | { kind: 'deliver'; msg: Message }
  | { kind: 'flush'; id: NodeId; epoch: number }
  | { kind: 'client' }
  | { kind: 'fault' }
  | { kind: 'restart'; id: NodeId }

/** SimResult summarises one passing seed. */
export interface SimResult {
  readonly seed: number
  readonly events: number
  readonly acked: number
  readonly committed: number
  readonly elections: number
  /** Simulated time from healing until a leader's fresh entry was applied on every member. */
  readonly livenessMs: number
  /**
   * Entries sent again to a follower that had already been sent them in the same term, during
   * the liveness phase (no message is lost then, so every one of them was needless).
   */
  readonly resentEntries: number
}

/** SimFailure is thrown with the seed and the trace when a seed breaks an invariant. */
export class SimFailure extends Error {
  constructor(
    readonly seed: number,
    override readonly cause: Error,
    readonly trace: string,
  ) {
    super(`seed ${seed}: ${cause.message}`)
    this.name = 'SimFailure'
  }
}

/**
 * Simulation runs one seeded cluster: a chaos phase (message loss, duplication, reordering,
 * partitions, crashes that lose unsynced writes, membership changes, leadership transfers) and
 * then a liveness phase on a healed network, checking safety after every event.
 */
export class Simulation {
  readonly rng: Sfc32
  readonly params: SimParams
  readonly checker = new SafetyChecker()
  readonly nodes = new Map<NodeId, SimNode>()
  readonly trace: Trace
  private readonly queue = new EventQueue<SimEvent>()
  private readonly blocked = new Set<string>()
  private readonly pendingProposals = new Map<string, { term: number }>()
  private readonly pendingReads = new Map<number, number>()
  private now = 0
  private faultsOn = true
  private events = 0
  private seq = 0
  private elections = 0
  private healedAt = 0
  private livenessMs = 0
  private resentEntries = 0
  /** The indexes sent to each follower while healed, by `${from}>${to}:${term}` (for resentEntries). */
  private readonly sentIndexes = new Map<string, Set<number>>()
  private readonly nextIds: NodeId[] = []

  constructor(
    readonly seed: number,
    options: { traceCapacity?: number; echo?: boolean; params?: Partial<SimParams> } = {},
  ) {
    this.rng = new Sfc32(seed)
    this.params = { ...drawParams(this.rng.fork()), ...options.params }
    this.trace = new Trace(options.traceCapacity ?? 400, options.echo ?? false)
    const voters = Array.from({ length: this.params.nodeCount }, (_, i) => i + 1)
    for (let id = this.params.nodeCount + 1; id <= this.params.idPool; id++) this.nextIds.push(id)
    for (const id of voters) this.addNode(id, voters)
  }

  private addNode(id: NodeId, voters: readonly NodeId[]): SimNode {
    const p = this.params
    const config = resolveRaftConfig({
      id,
      electionTicks: p.electionTicks,
      heartbeatTicks: p.heartbeatTicks,
      preVote: p.preVote,
      checkQuorum: p.checkQuorum,
      maxInflightMsgs: p.maxInflightMsgs,
      maxMsgBytes: p.maxMsgBytes,
      maxUncommittedEntries: p.maxUncommittedEntries,
      maxUncommittedBytes: p.maxUncommittedBytes,
      maxInflightBytes: p.maxInflightBytes,
    })
    const node = new SimNode(
      id,
      { config, voters, snapshotEvery: p.snapshotEvery, snapshotTrailing: this.rng.nextInt(5) },
      this.seed,
      this.checker,
      {
        send: (m) => this.send(m),
        applied: (n, e) => this.onApplied(n, e),
        readState: (n, requestId, index) => this.onReadState(n, requestId, index),
      },
    )
    this.nodes.set(id, node)
    this.queue.push(this.now + 1 + this.rng.nextInt(p.tickMs), { kind: 'tick', id, epoch: node.epoch })
    return node
  }

  /** run executes the seed; throws SimFailure on any violation. */
  run(): SimResult {
    try {
      this.queue.push(1, { kind: 'client' })
      this.queue.push(50, { kind: 'fault' })
      this.runUntil(this.params.chaosMs)
      this.heal()
      this.awaitLiveness()
    } catch (err) {
      const cause = err instanceof Error ? err : new Error(String(err))
      throw new SimFailure(this.seed, cause, this.trace.dump())
    }
    return {
      seed: this.seed,
      events: this.events,
      acked: this.checker.acked.size,
      committed: this.checker.maxCommitted,
      elections: this.elections,
      livenessMs: this.livenessMs,
      resentEntries: this.resentEntries,
    }
  }

  private runUntil(time: number, until?: () => boolean): boolean {
    for (;;) {
      if (until?.() === true) return true
      const next = this.queue.pop()
      if (next === undefined || next.time > time) {
        if (next !== undefined) this.queue.push(next.time, next.value)
        return false
      }
      this.now = next.time
      if (++this.events > MAX_EVENTS) throw new SafetyViolation('runaway', `more than ${MAX_EVENTS} events (a message storm or a loop)`)
      this.handle(next.value)
    }
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick':
        return this.onTick(ev.id, ev.epoch)
      case 'deliver':
        return this.onDeliver(ev.msg)
      case 'flush':
        return this.onFlush(ev.id, ev.epoch)
      case 'client':
        return this.onClient()
      case 'fault':
        return this.onFault()
      case 'restart':
        return this.restart(ev.id)
    }
  }

  private onTick(id: NodeId, epoch: number): void {
    const node = this.nodes.get(id)
    if (node === undefined || node.epoch !== epoch || !node.alive) return
    const wasLeader = node.raft!.role === 'leader'
    node.input((r) => r.tick())
    if (!wasLeader && node.raft!.role === 'leader') this.elections++
    this.queue.push(this.now + this.params.tickMs, { kind: 'tick', id, epoch })
    this.kick(node)
  }

  private onDeliver(msg: Message): void {
    const node = this.nodes.get(msg.to)
    if (node === undefined || !node.alive || this.blocked.has(`${msg.from}>${msg.to}`)) return
    // Every message crosses the wire codec, which also guarantees no state is shared between replicas.
    const copy = decodeMessage(encodeMessage(msg))
    this.trace.add(this.now, () => `recv ${describeMessage(copy)}`)
    const wasLeader = node.raft!.role === 'leader'
    node.input((r) => r.step(copy))
    if (!wasLeader && node.raft!.role === 'leader') this.elections++
    this.kick(node)
  }

  private onFlush(id: NodeId, epoch: number): void {
    const node = this.nodes.get(id)
    if (node === undefined || node.epoch !== epoch) return
    // Crashing between the write and the sync is the moment that loses unsynced data: aim for it.
    if (this.faultsOn && this.rng.chance(this.params.crashAtFlushRate)) return this.crash(node)
    node.finishReady()
    this.kick(node)
  }

  /** kick starts the node's next Ready round unless one is already being written. */
  private kick(node: SimNode): void {
    if (!node.beginReady()) return
    const delay = this.rng.nextInt(this.params.maxFlushMs + 1)
    if (delay === 0) {
      node.finishReady()
      this.kick(node)
    } else {
      this.queue.push(this.now + delay, { kind: 'flush', id: node.id, epoch: node.epoch })
    }
  }

  private send(m: Message): void {
    if (!this.faultsOn && m.type === MessageType.App) this.countResent(m)
    if (this.blocked.has(`${m.from}>${m.to}`)) return
    const lossy = this.faultsOn
    if (lossy && this.rng.chance(this.params.dropRate)) return
    const copies = lossy && this.rng.chance(this.params.dupRate) ? 2 : 1
    for (let i = 0; i < copies; i++) {
      const delay = this.params.minDelayMs + this.rng.nextInt(this.params.maxDelayMs)
      this.queue.push(this.now + delay, { kind: 'deliver', msg: m })
    }
  }

  private countResent(m: Message): void {
    if (m.entries.length === 0) return
    const key = `${m.from}>${m.to}:${m.term}`
    let sent = this.sentIndexes.get(key)
    if (sent === undefined) this.sentIndexes.set(key, (sent = new Set()))
    for (const e of m.entries) {
      if (sent.has(e.index)) this.resentEntries++
      else sent.add(e.index)
    }
  }

  // ---- workload -----------------------------------------------------------------------------

  private leaders(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.raft!.role === 'leader')
  }

  private onClient(): void {
    this.queue.push(this.now + 2 + this.rng.nextInt(25), { kind: 'client' })
    const leaders = this.leaders()
    const node = leaders[this.rng.nextInt(leaders.length)]
    if (node === undefined) return
    if (this.rng.chance(0.15)) return this.startRead(node)
    const data = new TextEncoder().encode(`w${this.seq++}`)
    node.input((r) => {
      const res = r.propose(data)
      if (res.ok) this.pendingProposals.set(`${node.id}:${node.epoch}:${res.index}`, { term: res.term })
      this.trace.add(this.now, `propose at ${node.id} -> ${res.ok ? res.index : res.reason}`)
      if (res.ok) this.checkBacklog(r)
    })
    this.kick(node)
  }

  /**
   * checkBacklog: no leader holds more than its budget of entries with data beyond the highest
   * commit index any replica reached (one more for a membership change, which the budget never
   * refuses; no-ops are empty), however many leaders the backlog passed through.
   */
  private checkBacklog(r: Raft): void {
    let backlog = 0
    for (let i = Math.max(this.checker.maxCommitted, r.log.committed) + 1; i <= r.log.lastIndex(); i++) {
      if ((r.log.entryAt(i)?.data.byteLength ?? 0) > 0) backlog++
    }
    if (backlog > this.params.maxUncommittedEntries + 1)
      throw new SafetyViolation('bounded backlog', `leader ${r.id} holds ${backlog} entries past commit ${this.checker.maxCommitted}`)
  }

  private startRead(node: SimNode): void {
    const requestId = ++this.seq
    // Linearizability: the read must observe every write acknowledged before it started.
    const mustSee = Math.max(0, ...this.checker.acked.keys())
    node.input((r) => {
      if (r.readIndex(requestId)) this.pendingReads.set(requestId, mustSee)
    })
    this.kick(node)
  }

  private onApplied(node: SimNode, e: Entry): void {
    const key = `${node.id}:${node.epoch}:${e.index}`
    const pending = this.pendingProposals.get(key)
    if (pending === undefined) return
    this.pendingProposals.delete(key)
    if (pending.term === e.term) {
      this.checker.onAck(e.index, e)
      this.trace.add(this.now, `ack ${e.index} at ${node.id}`)
    }
  }

  private onReadState(node: SimNode, requestId: number, index: number): void {
    const mustSee = this.pendingReads.get(requestId)
    if (mustSee === undefined) return
    this.pendingReads.delete(requestId)
    if (index < mustSee)
      throw new SafetyViolation('linearizable read', `read ${requestId} at node ${node.id} got index ${index} < acked ${mustSee}`)
  }

  // ---- faults -------------------------------------------------------------------------------

  private onFault(): void {
    if (!this.faultsOn) return
    this.queue.push(this.now + 20 + this.rng.nextInt(200), { kind: 'fault' })
    const roll = this.rng.nextInt(100)
    if (roll < 20) this.partitionRandom()
    else if (roll < 35) this.healPartitions()
    else if (roll < 42) this.blockOneWay()
    else if (roll < 60) this.crashRandom()
    else if (roll < 70) this.transferRandom()
    else if (roll < 85 && this.params.membershipChanges) this.changeMembership()
  }

  private ids(): NodeId[] {
    return [...this.nodes.keys()]
  }

  private partitionRandom(): void {
    const side = new Map(this.ids().map((id) => [id, this.rng.chance(0.5)]))
    this.blocked.clear()
    for (const a of this.ids()) for (const b of this.ids()) if (side.get(a) !== side.get(b)) this.blocked.add(`${a}>${b}`)
    this.trace.add(
      this.now,
      `partition ${[...side]
        .filter(([, s]) => s)
        .map(([id]) => id)
        .join(',')} | rest`,
    )
  }

  private healPartitions(): void {
    this.blocked.clear()
    this.trace.add(this.now, 'heal partitions')
  }

  private blockOneWay(): void {
    const ids = this.ids()
    const a = ids[this.rng.nextInt(ids.length)]!
    const b = ids[this.rng.nextInt(ids.length)]!
    if (a !== b) this.blocked.add(`${a}>${b}`)
    this.trace.add(this.now, `block ${a}>${b}`)
  }

  private crashRandom(): void {
    const alive = [...this.nodes.values()].filter((n) => n.alive)
    const node = alive[this.rng.nextInt(alive.length)]
    if (node !== undefined) this.crash(node)
  }

  private crash(node: SimNode): void {
    const lost = node.crash(this.rng)
    for (const key of [...this.pendingProposals.keys()]) if (key.startsWith(`${node.id}:`)) this.pendingProposals.delete(key)
    this.trace.add(this.now, `crash ${node.id} (lost ${lost} unsynced writes)`)
    this.queue.push(this.now + 10 + this.rng.nextInt(600), { kind: 'restart', id: node.id })
  }

  private restart(id: NodeId): void {
    const node = this.nodes.get(id)
    if (node === undefined || node.alive) return
    node.start()
    this.trace.add(this.now, `restart ${id} term ${node.raft!.term} last ${node.raft!.log.lastIndex()}`)
    this.queue.push(this.now + 1 + this.rng.nextInt(this.params.tickMs), { kind: 'tick', id, epoch: node.epoch })
  }

  private transferRandom(): void {
    const leader = this.leaders()[0]
    if (leader === undefined) return
    const voters = leader.raft!.membership().voters
    const to = voters[this.rng.nextInt(voters.length)]!
    leader.input((r) => r.transferLeadership(to))
    this.trace.add(this.now, `transfer ${leader.id} -> ${to}`)
    this.kick(leader)
  }

  private changeMembership(): void {
    const leader = this.leaders()[0]
    if (leader === undefined) return
    const change = this.pickChange(leader.raft!.membership())
    if (change === undefined) return
    leader.input((r) => {
      const res = r.proposeConfChange(change)
      this.trace.add(this.now, `conf ${change.type} ${change.nodeId} at ${leader.id} -> ${res.ok ? res.index : res.reason}`)
      if (res.ok && change.type === 'add-learner' && !this.nodes.has(change.nodeId)) this.addNode(change.nodeId, [])
    })
    this.kick(leader)
  }

  private pickChange(m: { voters: readonly NodeId[]; learners: readonly NodeId[] }): ConfChange | undefined {
    const roll = this.rng.nextInt(3)
    if (roll === 0 && this.nextIds.length > 0 && m.learners.length === 0) {
      // Ids are never reused: a removed node's id is retired for good.
      return { type: 'add-learner', nodeId: this.nextIds.shift()! }
    }
    if (roll === 1 && m.learners.length > 0 && m.voters.length < 5) return { type: 'promote', nodeId: m.learners[0]! }
    const members = [...m.voters, ...m.learners]
    if (roll === 2 && m.voters.length > 2) return { type: 'remove', nodeId: members[this.rng.nextInt(members.length)]! }
    return undefined
  }

  // ---- liveness -----------------------------------------------------------------------------

  private heal(): void {
    this.faultsOn = false
    this.blocked.clear()
    for (const node of this.nodes.values()) if (!node.alive) this.restart(node.id)
    this.healedAt = this.now
    this.trace.add(this.now, 'heal everything: liveness phase')
  }

  /** awaitLiveness requires a leader to commit a fresh entry on every member within the bound. */
  private awaitLiveness(): void {
    const deadline = this.now + this.params.livenessMs
    let marker: { node: SimNode; index: number; term: number } | undefined
    const done = (): boolean => {
      const r = marker?.node.raft
      if (marker === undefined || r === undefined || r.role !== 'leader' || r.term !== marker.term) {
        marker = this.proposeMarker()
        return false
      }
      return this.markerApplied(marker.index, r.membership())
    }
    if (!this.runUntil(deadline, done)) {
      const states = [...this.nodes.values()].map(
        (n) => `${n.id}:${n.raft?.role}/t${n.raft?.term}/c${n.raft?.log.committed}/a${n.sm.applied}/l${n.raft?.log.lastIndex()}`,
      )
      const r = marker?.node.raft
      const where = marker === undefined || r === undefined ? 'no marker' : `marker ${marker.index} at ${marker.node.id}`
      const members = r === undefined ? '' : `, members ${JSON.stringify(r.membership())}`
      const stall = r?.commitStall()
      const guard = stall === undefined ? '' : `, leader reports a commit stall of ${stall.ticks} ticks`
      throw new SafetyViolation(
        'liveness',
        `no commit on all members within ${this.params.livenessMs}ms after healing (${states.join(' ')}; ${where}${members}${guard})`,
      )
    }
    this.livenessMs = this.now - this.healedAt
  }

  private proposeMarker(): { node: SimNode; index: number; term: number } | undefined {
    const leader = this.leaders().sort((a, b) => b.raft!.term - a.raft!.term)[0]
    if (leader === undefined || leader.raft!.leadTransferee !== 0) return undefined
    const res = leader.raft!.propose(new TextEncoder().encode('marker'))
    if (!res.ok) return undefined
    this.kick(leader)
    return { node: leader, index: res.index, term: res.term }
  }

  private markerApplied(index: number, m: Membership): boolean {
    for (const id of [...m.voters, ...m.learners]) {
      const n = this.nodes.get(id)
      if (n === undefined || n.sm.applied < index) return false
    }
    return true
  }
}

/** runSeed runs one seed and returns its summary (throws SimFailure). */
export function runSeed(seed: number, options: { echo?: boolean; params?: Partial<SimParams> } = {}): SimResult {
  return new Simulation(seed, options).run()
}
