import { TributaryError } from '@tributary/core'
import type { RaftHost, TcpTransport } from '@tributary/raft'
import type { BrokerServer } from '../server/broker-server'
import { MetadataState, type BrokerAddress, type ClusterTopic } from '../metadata/metadata-state'
import type { ResolvedClusterNodeOptions } from '../options'
import type { NodeStorage } from './node-storage'
import type { PartitionReplica } from '../replica/partition-replica'
import type { PeerChannel } from '../server/peer-channel'

/**
 * ClusterContext is the state that the parts of a ClusterNode share (its options, the local
 * copy of the metadata, the replicas it hosts, the peers and the waiters woken on progress),
 * with the small lookups every part needs. It starts no I/O of its own.
 */
export class ClusterContext {
  readonly nodeId: number
  /** state is this node's replica of the metadata, kept by the metadata group. */
  readonly state = new MetadataState()
  /** replicas are the partition replicas this node hosts, by `key(topic, partition)`. */
  readonly replicas = new Map<string, PartitionReplica>()
  /** peerHeardAt is when each peer's last Raft message arrived (clock ms). */
  readonly peerHeardAt = new Map<number, number>()
  /** appliedWaiters are woken when the metadata applied an entry or changed leader. */
  readonly appliedWaiters = new Set<() => void>()
  /** dataWaiters are woken when a local replica committed new data. */
  readonly dataWaiters = new Set<() => void>()
  /** server serves clients and peers over TCP (null with an injected transport, or before it listens). */
  server: BrokerServer | null = null
  closed = false

  constructor(
    readonly options: ResolvedClusterNodeOptions,
    /** Where this node keeps partition logs and Raft state (built from `options` at start). */
    readonly disk: NodeStorage,
    readonly host: RaftHost,
    readonly peers: PeerChannel,
    /** Where other nodes listen: the configured peers, then every node the metadata registers. */
    readonly addresses: Map<number, BrokerAddress>,
    /** The TCP Raft transport, told about nodes that join (undefined with an injected transport). */
    readonly tcp: TcpTransport | undefined,
  ) {
    this.nodeId = options.nodeId
  }

  /** kafkaAddress is where this node serves the Kafka protocol, once a KafkaServer listens for it. */
  kafkaAddress: { host: string; port: number } | null = null

  /** myAddress is this node's client and peer address as other nodes should dial it (and its Kafka listener's). */
  myAddress(): BrokerAddress {
    const port = this.server?.port ?? this.options.port
    const raftPort = this.tcp?.port
    const address: BrokerAddress =
      raftPort === undefined || raftPort === port + 1 ? { host: this.options.host, port } : { host: this.options.host, port, raftPort }
    if (this.kafkaAddress !== null) address.kafka = { ...this.kafkaAddress }
    return address
  }

  /** configuredBrokers are this node and its configured peers: the brokers a new cluster bootstraps with. */
  configuredBrokers(): Record<number, BrokerAddress> {
    return Object.fromEntries([[this.nodeId, this.myAddress()], ...this.options.peers])
  }

  /** learnAddresses points the Raft transport and peer channel at every registered node. */
  learnAddresses(): void {
    for (const [id, a] of this.state.brokers) {
      if (id === this.nodeId || sameAddress(this.addresses.get(id), a)) continue
      this.addresses.set(id, a)
      this.tcp?.setPeer(id, { host: a.host, port: a.raftPort ?? a.port + 1 })
    }
  }

  /** nodeIds are the registered nodes (before the metadata has any: this node and its configured peers). */
  nodeIds(): number[] {
    return this.state.brokers.size > 0 ? [...this.state.brokers.keys()] : [this.nodeId, ...this.options.peers.keys()]
  }

  /** guessLeader is a partition's preferred replica, which leads it unless it failed over (0: unknown). */
  guessLeader(topic: string, partition: number): number {
    return this.state.topics.get(topic)?.replicas[partition]?.[0] ?? 0
  }

  /**
   * requireTopic returns a topic of the metadata.
   * @throws TributaryError UNKNOWN_TOPIC_OR_PARTITION when there is none of that name.
   */
  requireTopic(name: string): ClusterTopic {
    const t = this.state.topics.get(name)
    if (!t) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${name}'`, { details: { topic: name } })
    return t
  }

  /** assertOpen throws CLIENT_CLOSED once the node is closed. */
  assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'The cluster node is closed')
  }

  /** wake calls every waiter of a set (each removes itself). */
  wake(set: Set<() => void>): void {
    for (const w of [...set]) w()
  }

  /** waitFor resolves once `cond` holds (checked on every wake), the node closes, or `timeoutMs` passed. */
  waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
    if (cond()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (!cond() && !this.closed) return
        this.appliedWaiters.delete(check)
        this.dataWaiters.delete(check)
        timer.cancel()
        resolve()
      }
      const timer = this.options.clock.setTimeout(() => {
        this.appliedWaiters.delete(check)
        this.dataWaiters.delete(check)
        resolve()
      }, timeoutMs)
      this.appliedWaiters.add(check)
      this.dataWaiters.add(check)
    })
  }
}

/** key names a partition in `ClusterContext.replicas` and in `status().leaderOf` ('topic/partition'). */
export function key(topic: string, partition: number): string {
  return `${topic}/${partition}`
}

/**
 * coversAddress tells whether the recorded address `stored` already says all of `mine`: the same
 * address, and the same Kafka listener unless `mine` names none (a registration without one keeps
 * the recorded listener, see MetadataState).
 */
export function coversAddress(stored: BrokerAddress | undefined, mine: BrokerAddress): boolean {
  if (stored === undefined) return false
  return mine.kafka === undefined ? sameAddress({ ...stored, kafka: undefined }, mine) : sameAddress(stored, mine)
}

/** sameAddress tells whether two broker addresses are known and equal. */
export function sameAddress(a: BrokerAddress | undefined, b: BrokerAddress | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.host === b.host &&
    a.port === b.port &&
    a.raftPort === b.raftPort &&
    a.kafka?.host === b.kafka?.host &&
    a.kafka?.port === b.kafka?.port
  )
}
