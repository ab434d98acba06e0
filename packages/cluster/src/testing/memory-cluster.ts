import { createServer } from 'node:net'
import { iterateBatches, type Broker } from '@tributary/core'
import { MemoryRaftStorage } from '../node/storage'
import { MemoryNetwork, type FaultModel } from '../transport/memory'
import { ClusterNode } from './cluster-node'
import type { ClusterNodeOptions } from './options'
import { MemoryPeerNetwork } from './peer-channel'

/** MemoryClusterOptions are a MemoryCluster's test knobs beyond the nodes' own options. */
export interface MemoryClusterOptions {
  /**
   * faults: seeded message faults for both in-memory networks (Raft messages and peer calls, each
   * from its own PRNG derived from `faults.seed`). The nodes' election seeds derive from it too,
   * unless `seed` is among the node options. Default: none (reliable, in-order delivery).
   */
  readonly faults?: FaultModel
}

/**
 * MemoryCluster runs N ClusterNodes in one process on the in-memory Raft transport and peer
 * channel (tests). A node can be crashed and restarted: its Raft state (term, vote, log) survives
 * in memory, as it would on disk; its partition logs are rebuilt from the Raft log. Nodes can be
 * partitioned from each other, and messages lost, delayed and duplicated (`MemoryClusterOptions`).
 */
export class MemoryCluster {
  readonly network: MemoryNetwork
  readonly peerNetwork: MemoryPeerNetwork
  readonly nodes = new Map<number, ClusterNode>()
  private readonly raftStores = new Map<number, Map<string, MemoryRaftStorage>>()

  private constructor(
    readonly ids: number[],
    private readonly extra: Partial<ClusterNodeOptions>,
    private readonly dirOf: ((id: number) => string) | undefined,
    private readonly options: MemoryClusterOptions,
  ) {
    this.network = new MemoryNetwork(options.faults)
    this.peerNetwork = new MemoryPeerNetwork(peerFaults(options.faults))
  }

  /**
   * start runs `size` nodes. With `dirOf`, node `id` keeps its data in `dirOf(id)` (the `dir`
   * option: file storage, surviving restarts); otherwise Raft state stays in memory.
   */
  static async start(
    size: number,
    extra: Partial<ClusterNodeOptions> = {},
    dirOf?: (id: number) => string,
    options: MemoryClusterOptions = {},
  ): Promise<MemoryCluster> {
    const c = new MemoryCluster(
      Array.from({ length: size }, (_, i) => i + 1),
      extra,
      dirOf,
      options,
    )
    await Promise.all(c.ids.map((id) => c.startNode(id)))
    return c
  }

  node(id: number): ClusterNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`node ${id} is down`)
    return n
  }

  async startNode(id: number): Promise<ClusterNode> {
    let stores = this.raftStores.get(id)
    if (stores === undefined) this.raftStores.set(id, (stores = new Map()))
    const s = stores
    const node = await ClusterNode.start({
      nodeId: id,
      listen: `127.0.0.1:${9000 + id}`,
      peers: Object.fromEntries(this.ids.filter((p) => p !== id).map((p) => [p, `127.0.0.1:${9000 + p}`])),
      transport: this.network.transport(id),
      peerChannel: this.peerNetwork.channel(id),
      ...(this.dirOf !== undefined
        ? { dir: this.dirOf(id) }
        : { raftStorage: (g: string) => s.get(g) ?? (s.set(g, new MemoryRaftStorage()), s.get(g) as MemoryRaftStorage) }),
      tickMs: 10,
      ...(this.options.faults !== undefined ? { seed: this.options.faults.seed * 16 + id } : {}),
      groupCoordinator: { minSessionTimeoutMs: 50, initialRebalanceDelayMs: 0 },
      ...this.extra,
    })
    this.nodes.set(id, node)
    return node
  }

  /** crash stops a node at once: no more messages in or out. */
  async crash(id: number): Promise<void> {
    const node = this.node(id)
    this.nodes.delete(id)
    this.network.links.isolate(id)
    this.peerNetwork.links.isolate(id)
    await node.close()
  }

  /** restart starts a crashed node again; partitions it was part of still hold. */
  async restart(id: number): Promise<ClusterNode> {
    this.network.links.reconnect(id)
    this.peerNetwork.links.reconnect(id)
    return this.startNode(id)
  }

  /** down lists the crashed nodes. */
  down(): number[] {
    return this.ids.filter((id) => !this.nodes.has(id))
  }

  /** partition cuts every link (Raft and peer calls) between nodes on different sides. */
  partition(...sides: number[][]): void {
    this.network.links.partition(sides)
    this.peerNetwork.links.partition(sides)
  }

  /** unpartition undoes one `partition(...sides)` with the same sides; links other partitions cut stay cut. */
  unpartition(...sides: number[][]): void {
    this.network.links.unpartition(sides)
    this.peerNetwork.links.unpartition(sides)
  }

  /** healPartitions removes every partition; crashed nodes stay down. */
  healPartitions(): void {
    this.network.links.healPartitions()
    this.peerNetwork.links.healPartitions()
  }

  /** setFaults replaces the message fault model of both networks (undefined: reliable delivery). */
  setFaults(faults: FaultModel | undefined): void {
    this.network.setFaults(faults)
    this.peerNetwork.setFaults(peerFaults(faults))
  }

  /** healAll ends every fault: reliable delivery, no partition, every crashed node restarted. */
  async healAll(): Promise<void> {
    this.setFaults(undefined)
    this.healPartitions()
    for (const id of this.down()) await this.restart(id)
  }

  /**
   * metaLeader is the live metadata leader that most live nodes name (0: none known). A majority
   * view, because a partitioned old leader may still believe it leads.
   */
  metaLeader(): number {
    const votes = new Map<number, number>()
    for (const n of this.nodes.values()) {
      const leader = n.status().metaLeader
      if (leader !== 0 && this.nodes.has(leader)) votes.set(leader, (votes.get(leader) ?? 0) + 1)
    }
    return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0
  }

  /** leaderOf waits until some live node leads a partition and returns its id. */
  async leaderOf(topic: string, partition: number, timeoutMs = 5000): Promise<number> {
    return waitUntil(() => [...this.nodes.values()].find((n) => n.status().leaderOf.includes(`${topic}/${partition}`))?.nodeId, timeoutMs)
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.close()))
    this.nodes.clear()
  }
}

/** peerFaults derives the peer network's model: its own PRNG stream, never a duplicate call. */
function peerFaults(faults: FaultModel | undefined): FaultModel | undefined {
  return faults === undefined ? undefined : { ...faults, seed: faults.seed * 2 + 1, duplicateRate: 0 }
}

/** waitUntil polls `f` until it returns a value other than undefined/false. */
export async function waitUntil<T>(f: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = f()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error('waitUntil: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** eventually retries async `f` until it returns a value other than undefined. */
export async function eventually<T>(f: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('eventually: timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** ReadRecord is one record as read back. */
export interface ReadRecord {
  partition: number
  offset: number
  key: string | null
  value: string | null
}

/** readAll reads every committed record of a topic through `broker`. */
export async function readAll(broker: Broker, topic: string): Promise<ReadRecord[]> {
  return (await readLog(broker, topic)).map(({ producerId: _, ...record }) => record)
}

/** LogRecord is one record of a partition log with the producer id of its batch (-1: none). */
export interface LogRecord extends ReadRecord {
  readonly producerId: number
}

/** readLog reads every committed record of `topic` through `broker`, with the producer id of each record's batch. */
export async function readLog(broker: Broker, topic: string): Promise<LogRecord[]> {
  const [meta] = (await broker.metadata({ topics: [topic] })).topics
  const out: LogRecord[] = []
  for (const { partition } of meta?.partitions ?? []) {
    for (let offset = 0; ; ) {
      const [r] = await broker.fetch({ partitions: [{ topic, partition, offset, maxBytes: 1 << 20 }], maxWaitMs: 0 })
      if (r?.error) throw r.error
      if (!r || r.batches.length === 0) break
      for (const batch of iterateBatches(r.batches)) {
        for (const rec of batch.records()) {
          if (rec.offset >= offset)
            out.push({
              partition,
              offset: rec.offset,
              key: rec.key?.toString() ?? null,
              value: rec.value?.toString() ?? null,
              producerId: batch.producerId,
            })
        }
        offset = batch.lastOffset + 1
      }
    }
  }
  return out
}

/** freePort finds a localhost port p with p and p + 1 free (a node listens on p, its Raft transport on p + 1). */
export async function freePort(): Promise<number> {
  for (;;) {
    const s = createServer()
    const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)))
    await new Promise((r) => s.close(r))
    const probe = createServer()
    const ok = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false))
      probe.listen(port + 1, '127.0.0.1', () => resolve(true))
    })
    if (ok) await new Promise((r) => probe.close(r))
    if (ok) return port
  }
}

/**
 * startTcpCluster starts `size` ClusterNodes in this process on localhost TCP (Raft transport,
 * peer channel and client protocol all over sockets) and waits for a metadata leader.
 */
export async function startTcpCluster(
  size: number,
  extra: Partial<ClusterNodeOptions> = {},
): Promise<{ nodes: ClusterNode[]; addresses: string[] }> {
  const ids = Array.from({ length: size }, (_, i) => i + 1)
  const ports: number[] = []
  for (const _ of ids) ports.push(await freePort())
  const address = (id: number): string => `127.0.0.1:${ports[id - 1]}`
  const nodes = await Promise.all(
    ids.map((id) =>
      ClusterNode.start({
        nodeId: id,
        listen: address(id),
        peers: Object.fromEntries(ids.filter((p) => p !== id).map((p) => [p, address(p)])),
        tickMs: 20,
        ...extra,
      }),
    ),
  )
  await waitUntil(() => nodes[0]?.status().metaLeader !== 0)
  return { nodes, addresses: ids.map(address) }
}
