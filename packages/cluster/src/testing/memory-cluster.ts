import { eventually, waitUntil } from '@tributary/core/testing'
import { MemoryRaftStorage, MemoryNetwork, type FaultModel } from '@tributary/raft'
import { ClusterNode } from '../node/cluster-node'
import type { ClusterNodeOptions } from '../options'
import { MemoryPeerNetwork } from '../server/peer-channel'

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

  /**
   * preferredLeaderOf waits until a partition is led by its preferred replica (its first) and
   * returns its id. After a racy first election the leader hands leadership back to that replica
   * (Kafka's auto leader rebalance), so a leader read with `leaderOf` just after the topic was
   * created may move under the test; tests that act on "the leader" read it with this.
   */
  async preferredLeaderOf(topic: string, partition: number, timeoutMs = 15_000): Promise<number> {
    return eventually(async () => {
      const node = this.nodes.values().next().value
      if (node === undefined) return undefined
      const [found] = (await node.metadata({ topics: [topic] })).topics
      const preferred = found?.partitions.find((p) => p.partition === partition)?.replicas[0]
      const leading = [...this.nodes.values()].find((n) => n.status().leaderOf.includes(`${topic}/${partition}`))?.nodeId
      return preferred !== undefined && leading === preferred ? preferred : undefined
    }, timeoutMs)
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
