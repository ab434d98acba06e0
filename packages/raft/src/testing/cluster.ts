import { resolveRaftConfig, type RaftConfig } from '../core/config'
import type { Raft, ProposeResult } from '../core/raft'
import { Sfc32, type RandomSource } from '../core/random'
import type { Entry, Message, NodeId } from '../core/types'
import { EntryType } from '../core/types'
import { decodeMessage, encodeMessage } from '../transport/codec'
import { SafetyChecker } from './checker'
import { SimNode } from './node'
import { Trace, describeMessage } from './trace'

/** ClusterOptions shape a scripted cluster; every replica gets the same core options. */
export interface ClusterOptions {
  readonly config?: Partial<Omit<RaftConfig, 'id'>>
  /** Initial voters; defaults to every id given. */
  readonly voters?: readonly NodeId[]
  readonly snapshotEvery?: number
  readonly snapshotTrailing?: number
  readonly seed?: number
  /** Override the election-timeout random source (e.g. a constant one to force split votes). */
  readonly random?: (id: NodeId) => RandomSource
}

/**
 * Cluster is the scripted harness for scenario tests (the equivalent of etcd's interaction
 * environment): the test decides who ticks, which links are cut and when messages flow, while
 * the SafetyChecker watches every step exactly as in the randomized simulation.
 */
export class Cluster {
  readonly checker = new SafetyChecker()
  readonly nodes = new Map<NodeId, SimNode>()
  readonly trace = new Trace(500)
  /** Messages sent and not yet delivered, in order. */
  queue: Message[] = []
  /** Drop a message when this returns true (in addition to cut links). */
  dropIf: (m: Message) => boolean = () => false
  private readonly cut = new Set<string>()
  private readonly proposals = new Map<string, { term: number }>()
  private readonly appliedData = new Map<NodeId, Map<number, string>>()
  private readonly rng: Sfc32
  /** Data of every acknowledged proposal. */
  readonly acked = new Set<string>()

  constructor(
    ids: readonly NodeId[],
    private readonly options: ClusterOptions = {},
  ) {
    this.rng = new Sfc32(options.seed ?? 1)
    for (const id of ids) this.add(id, options.voters ?? ids)
  }

  /** add starts a replica; a node joining later passes `voters = []`. */
  add(id: NodeId, voters: readonly NodeId[]): SimNode {
    const config = resolveRaftConfig({ id, ...this.options.config })
    const hooks = {
      send: (m: Message) => this.queue.push(m),
      applied: (n: SimNode, e: Entry) => this.onApplied(n, e),
      readState: (n: SimNode, requestId: number, index: number) => this.readStates.push({ node: n.id, requestId, index }),
    }
    const opts = {
      config,
      voters,
      random: this.options.random?.(id),
      snapshotEvery: this.options.snapshotEvery ?? Infinity,
      snapshotTrailing: this.options.snapshotTrailing ?? 0,
    }
    const node = new SimNode(id, opts, this.options.seed ?? 1, this.checker, hooks)
    this.nodes.set(id, node)
    this.appliedData.set(id, new Map())
    return node
  }

  readonly readStates: { node: NodeId; requestId: number; index: number }[] = []

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  /** raft returns a live replica's core (throws if it is down). */
  raft(id: NodeId): Raft {
    const r = this.node(id).raft
    if (r === undefined) throw new Error(`node ${id} is down`)
    return r
  }

  // ---- network ------------------------------------------------------------------------------

  /** isolate cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other)
  }

  /** partition cuts every link between different groups. */
  partition(...groups: NodeId[][]): void {
    for (const [i, g] of groups.entries()) for (const h of groups.slice(i + 1)) for (const a of g) for (const b of h) this.cutLink(a, b)
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`)
    this.cut.add(`${b}>${a}`)
  }

  heal(): void {
    this.cut.clear()
  }

  // ---- driving ------------------------------------------------------------------------------

  /** stabilize processes Readies and delivers messages until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      for (const n of this.nodes.values()) n.processAll()
      if (this.queue.length === 0) return
      const batch = this.queue
      this.queue = []
      for (const m of batch) this.deliver(m)
    }
    throw new Error('cluster did not stabilize')
  }

  private deliver(m: Message): void {
    const node = this.nodes.get(m.to)
    if (node?.raft === undefined || this.cut.has(`${m.from}>${m.to}`) || this.dropIf(m)) {
      this.trace.add(0, () => `drop ${describeMessage(m)}`)
      return
    }
    this.trace.add(0, () => `recv ${describeMessage(m)}`)
    const copy = decodeMessage(encodeMessage(m))
    node.input((r) => r.step(copy))
  }

  /** campaign makes `id` start an election and lets the cluster settle. */
  campaign(id: NodeId): void {
    this.node(id).input((r) => r.campaignNow())
    this.stabilize()
  }

  /** tick advances `id` by `n` ticks, settling after each. */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.node(id).input((r) => r.tick())
      this.stabilize()
    }
  }

  /** tickAll advances every live replica by `n` ticks, settling after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.input((r) => r.tick())
      this.stabilize()
    }
  }

  /** propose submits `text` at `id` without settling; the result says where it landed. */
  propose(id: NodeId, text: string): ProposeResult {
    const node = this.node(id)
    let res: ProposeResult | undefined
    node.input((r) => {
      res = r.propose(new TextEncoder().encode(text))
    })
    if (res === undefined) throw new Error(`node ${id} is down`)
    if (res.ok) this.proposals.set(`${id}:${node.epoch}:${res.index}`, { term: res.term })
    return res
  }

  /** crash stops `id` and loses every unsynced write, unless `keepUnsynced` (then they were synced first). */
  crash(id: NodeId, options: { keepUnsynced?: boolean } = {}): void {
    const node = this.node(id)
    if (options.keepUnsynced === true) node.disk.sync()
    node.crash({ nextInt: () => 0 } as unknown as Sfc32)
  }

  /** seedLog replaces `id`'s durable state by a log with the given entry terms, then restarts it. */
  seedLog(id: NodeId, terms: readonly number[], term: number): void {
    const node = this.node(id)
    node.crash(this.rng)
    const entries = terms.map((t, i) => ({
      index: i + 1,
      term: t,
      type: EntryType.Normal,
      data: new TextEncoder().encode(`e${i + 1}t${t}`),
    }))
    node.disk.write({ kind: 'append', entries })
    node.disk.write({ kind: 'hard', hardState: { term, vote: 0, commit: 0 } })
    node.disk.sync()
    node.start()
  }

  restart(id: NodeId): void {
    this.node(id).start()
  }

  /** writeWithoutSync lets `id` write its next Ready to the disk cache and send early messages, but not sync. */
  writeWithoutSync(id: NodeId): boolean {
    return this.node(id).beginReady()
  }

  /** leader returns the live leader with the highest term, if any. */
  leader(): NodeId | undefined {
    let best: Raft | undefined
    for (const n of this.nodes.values()) if (n.raft?.role === 'leader' && (best === undefined || n.raft.term > best.term)) best = n.raft
    return best?.id
  }

  /** applied returns what `id` applied, as text, by index (no-ops and membership entries skipped). */
  applied(id: NodeId): string[] {
    return [...(this.appliedData.get(id) ?? new Map<number, string>()).entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)
  }

  private onApplied(node: SimNode, e: Entry): void {
    if (e.type === EntryType.Normal && e.data.byteLength > 0) this.appliedData.get(node.id)!.set(e.index, new TextDecoder().decode(e.data))
    const key = `${node.id}:${node.epoch}:${e.index}`
    const p = this.proposals.get(key)
    if (p === undefined) return
    this.proposals.delete(key)
    if (p.term === e.term) {
      this.checker.onAck(e.index, e)
      this.acked.add(new TextDecoder().decode(e.data))
    }
  }
}
