import { checkInt, checkMs, checkNumber } from '@tributary/core/internal'
import type { Message, NodeId } from '../core/types'
import { Sfc32 } from '../core/random'
import { decodeMessage, encodeMessage } from './codec'
import type { InboundHandler, Transport } from './transport'

/**
 * FaultModel describes the seeded message faults of an in-memory network (tests). Every decision
 * (lose, delay, duplicate) is drawn from one PRNG seeded with `seed`, so a seed always draws the
 * same sequence of decisions. Rates are probabilities per message, in [0, 1].
 */
export interface FaultModel {
  /** seed: seed of the PRNG that draws every fault decision. Required. */
  readonly seed: number
  /** dropRate: probability that a message is lost. Default 0. */
  readonly dropRate?: number
  /** delayRate: probability that a message is held back by an extra delay (which reorders it). Default 0. */
  readonly delayRate?: number
  /** maxDelayMs: the extra delay is uniform in [1, maxDelayMs] ms. Default 20 ms. */
  readonly maxDelayMs?: number
  /** duplicateRate: probability that a message is delivered twice (Raft messages only). Default 0. */
  readonly duplicateRate?: number
}

/**
 * FaultDice draws the fault decisions of a FaultModel. With no model it never draws a fault, so
 * a network without one behaves exactly as before faults existed.
 */
export class FaultDice {
  private readonly rng: Sfc32 | undefined

  constructor(readonly model: FaultModel | undefined) {
    if (model !== undefined) checkModel(model)
    this.rng = model === undefined ? undefined : new Sfc32(model.seed)
  }

  /** enabled tells whether any fault can be drawn. */
  get enabled(): boolean {
    return this.rng !== undefined
  }

  /** drop decides whether the next message is lost. */
  drop(): boolean {
    return this.roll(this.model?.dropRate)
  }

  /** duplicate decides whether the next message is delivered twice. */
  duplicate(): boolean {
    return this.roll(this.model?.duplicateRate)
  }

  /** delayMs draws the extra delay of the next message: 0 (none) or 1..maxDelayMs. */
  delayMs(): number {
    if (this.rng === undefined || !this.roll(this.model?.delayRate)) return 0
    return 1 + this.rng.nextInt(Math.max(1, this.model?.maxDelayMs ?? 20))
  }

  /** coin draws a fair coin (false without a model). */
  coin(): boolean {
    return this.roll(0.5)
  }

  private roll(rate: number | undefined): boolean {
    if (this.rng === undefined || rate === undefined || rate <= 0) return false
    return this.rng.chance(rate)
  }
}

/**
 * checkModel rejects a bad fault model with INVALID_CONFIG naming the field: the seed a
 * non-negative integer, rates probabilities, the delay a whole number of ms within Node's timer limit.
 */
function checkModel(m: FaultModel): void {
  checkInt(m.seed, 'faults.seed', 0)
  for (const [name, rate] of [
    ['dropRate', m.dropRate],
    ['delayRate', m.delayRate],
    ['duplicateRate', m.duplicateRate],
  ] as const) {
    if (rate !== undefined) checkNumber(rate, `faults.${name}`, 0, 1)
  }
  if (m.maxDelayMs !== undefined) checkMs(m.maxDelayMs, 'faults.maxDelayMs', 1)
}

/**
 * LinkTable records which links between nodes are cut: whole nodes isolated (a crash, or a test's
 * isolate) and network partitions between sets of nodes. Links are symmetric. Partitions may
 * overlap: a link stays cut until every partition that cut it is undone.
 */
export class LinkTable {
  private readonly isolated = new Set<NodeId>()
  /** Per cut link, how many partitions cut it. */
  private readonly cuts = new Map<string, number>()

  /** isolate cuts every link of `id`. */
  isolate(id: NodeId): void {
    this.isolated.add(id)
  }

  /** reconnect undoes `isolate(id)`; partitions that involve `id` stay. */
  reconnect(id: NodeId): void {
    this.isolated.delete(id)
  }

  /** partition cuts every link between two nodes on different sides. */
  partition(sides: ReadonlyArray<readonly NodeId[]>): void {
    for (const pair of crossPairs(sides)) this.cuts.set(pair, (this.cuts.get(pair) ?? 0) + 1)
  }

  /** unpartition undoes one `partition(sides)` with the same sides. */
  unpartition(sides: ReadonlyArray<readonly NodeId[]>): void {
    for (const pair of crossPairs(sides)) {
      const n = (this.cuts.get(pair) ?? 0) - 1
      if (n > 0) this.cuts.set(pair, n)
      else this.cuts.delete(pair)
    }
  }

  /** healPartitions removes every partition cut; isolated nodes stay isolated. */
  healPartitions(): void {
    this.cuts.clear()
  }

  /** heal restores every link: no partition, no isolated node. */
  heal(): void {
    this.cuts.clear()
    this.isolated.clear()
  }

  /** blocked tells whether a message from `from` to `to` is lost to a cut. */
  blocked(from: NodeId, to: NodeId): boolean {
    return this.isolated.has(from) || this.isolated.has(to) || this.cuts.has(pairKey(from, to))
  }
}

/** crossPairs lists the links between nodes on different sides. */
function crossPairs(sides: ReadonlyArray<readonly NodeId[]>): string[] {
  const out: string[] = []
  sides.forEach((side, i) => {
    for (const other of sides.slice(i + 1)) for (const a of side) for (const b of other) out.push(pairKey(a, b))
  })
  return out
}

function pairKey(a: NodeId, b: NodeId): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`
}

interface Queued {
  groupId: string
  message: Message
}

/**
 * MemoryNetwork connects MemoryTransports inside one process. Messages are delivered on a later
 * macrotask (never synchronously, as on a real network) and links can be cut for tests. With a
 * FaultModel, messages are also lost, delayed (so reordered) and duplicated, as the model draws.
 */
export class MemoryNetwork {
  /** links: the cut links; messages crossing one are lost at delivery time. */
  readonly links = new LinkTable()
  private readonly handlers = new Map<NodeId, InboundHandler>()
  private dice: FaultDice
  private queue: Queued[] = []
  private scheduled = false

  /** Without `faults`, delivery is reliable and in order (except across cut links). */
  constructor(faults?: FaultModel) {
    this.dice = new FaultDice(faults)
  }

  /** transport returns the endpoint of node `id`. */
  transport(id: NodeId): MemoryTransport {
    return new MemoryTransport(id, this)
  }

  /** isolate cuts every link of `id`; heal restores all links. */
  isolate(id: NodeId): void {
    this.links.isolate(id)
  }

  heal(): void {
    this.links.heal()
  }

  /** setFaults replaces the fault model (undefined: reliable delivery from now on). */
  setFaults(faults: FaultModel | undefined): void {
    this.dice = new FaultDice(faults)
  }

  /** @internal */
  register(id: NodeId, handler: InboundHandler | undefined): void {
    if (handler === undefined) this.handlers.delete(id)
    else this.handlers.set(id, handler)
  }

  /** @internal */
  enqueue(groupId: string, message: Message): void {
    if (!this.dice.enabled) return this.push({ groupId, message })
    if (this.dice.drop()) return
    this.later({ groupId, message }, this.dice.delayMs())
    // A duplicate is a decoded copy, as a resent frame would be, with its own delay.
    if (this.dice.duplicate()) this.later({ groupId, message: decodeMessage(encodeMessage(message)) }, this.dice.delayMs())
  }

  private later(item: Queued, delayMs: number): void {
    if (delayMs === 0) this.push(item)
    else setTimeout(() => this.deliverOne(item), delayMs)
  }

  private push(item: Queued): void {
    this.queue.push(item)
    if (this.scheduled) return
    this.scheduled = true
    // One macrotask delivers everything queued meanwhile, like one network read per batch.
    setImmediate(() => this.deliver())
  }

  private deliver(): void {
    const batch = this.queue
    this.queue = []
    this.scheduled = false
    for (const item of batch) this.deliverOne(item)
  }

  private deliverOne({ groupId, message }: Queued): void {
    if (this.links.blocked(message.from, message.to)) return
    this.handlers.get(message.to)?.(groupId, message)
  }
}

/** MemoryTransport is one node's endpoint on a MemoryNetwork. */
export class MemoryTransport implements Transport {
  constructor(
    readonly id: NodeId,
    private readonly network: MemoryNetwork,
  ) {}

  send(groupId: string, message: Message): void {
    this.network.enqueue(groupId, message)
  }

  onMessage(handler: InboundHandler): void {
    this.network.register(this.id, handler)
  }

  async close(): Promise<void> {
    this.network.register(this.id, undefined)
  }
}
