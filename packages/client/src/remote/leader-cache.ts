import { TributaryError, type Clock, type ClusterMetadata, type NodeInfo, type TopicPartition } from '@tributary/core'
import { addressOf } from './connection-pool'

/**
 * How often partitions without a usable leader (none elected, or its node refuses connections)
 * are asked about again, in ms: an election takes a few hundred ms, and until the cache learns
 * the new leader every request for them takes a forwarding hop.
 */
export const LEADERLESS_RECHECK_MS = 250

/**
 * LeaderCache remembers, from metadata, which node leads each partition and where each node
 * listens, so that RemoteBroker can send partition requests straight to the leader.
 *
 * - `ensure(partitions)` refreshes when the cache is stale (`markStale`: an error showed a moved
 *   leader, or a connection was lost), older than `maxAgeMs`, or lacks a partition asked for, or
 *   (at most every LEADERLESS_RECHECK_MS) when a partition asked for has no usable leader.
 *   One refresh runs at a time; callers that arrive meanwhile share it.
 * - A refresh asks for every topic seen so far plus the new ones. A topic the cluster does not
 *   know is remembered as unknown (its partitions go to any node) until the next refresh.
 * - It never throws: when metadata cannot be had, partitions have no known leader, and the
 *   caller sends them to any node, whose answer (or failure) is the right one to report.
 */
export class LeaderCache {
  /** Per topic, the leader's node id per partition (-1: none elected); null: the topic was unknown. */
  private readonly leaders = new Map<string, number[] | null>()
  /** Node id → 'host:port'. */
  private readonly nodes = new Map<number, string>()
  private refreshedAtMs = -Infinity
  /** Bumped by markStale; a refresh that started at a lower value leaves the cache stale. */
  private staleMarks = 0
  private freshAsOf = 0
  private refreshing: Promise<void> | null = null

  constructor(
    private readonly load: (topics: string[]) => Promise<ClusterMetadata>,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
    /** onBrokers hears every node list metadata brings. */
    private readonly onBrokers: (brokers: readonly NodeInfo[]) => void,
    /** isDown tells whether a node's address refuses connections for now. */
    private readonly isDown: (address: string) => boolean,
  ) {}

  /** markStale makes the next `ensure` ask for metadata again. */
  markStale(): void {
    this.staleMarks++
  }

  /** isKnownTopic tells whether the last metadata listed `topic`. */
  isKnownTopic(topic: string): boolean {
    return Array.isArray(this.leaders.get(topic))
  }

  /** leaderAddress is where the leader of a partition listens, when metadata said so. */
  leaderAddress(topic: string, partition: number): string | undefined {
    const leader = this.leaders.get(topic)?.[partition]
    return leader === undefined || leader < 0 ? undefined : this.nodes.get(leader)
  }

  /** ensure refreshes the cache first when it cannot be trusted for `partitions` (see the class comment). */
  async ensure(partitions: readonly TopicPartition[]): Promise<void> {
    // A refresh already under way may not cover these partitions: then one of our own, after it.
    for (let round = 0; round < 2 && this.needsRefresh(partitions); round++) {
      const ours = this.refreshing === null
      if (ours) {
        const topics = new Set([...this.leaders.keys(), ...partitions.map((p) => p.topic)])
        this.refreshing = this.refresh([...topics]).finally(() => {
          this.refreshing = null
        })
      }
      await this.refreshing
      // Our own refresh failing is not retried here: the caller falls back to any node.
      if (ours) return
    }
  }

  /** update takes in a metadata answer (one the application asked for, too): `asked` topics it lacks are unknown. */
  update(metadata: ClusterMetadata, asked?: readonly string[]): void {
    if (metadata.brokers.length > 0) {
      this.nodes.clear()
      for (const b of metadata.brokers) this.nodes.set(b.nodeId, addressOf(b))
      this.onBrokers(metadata.brokers)
    }
    const listed = new Set<string>()
    for (const t of metadata.topics) {
      listed.add(t.name)
      const leaders: number[] = []
      for (const p of t.partitions) leaders[p.partition] = p.leader
      this.leaders.set(
        t.name,
        Array.from(leaders, (l) => l ?? -1),
      )
    }
    for (const name of asked ?? []) if (!listed.has(name)) this.leaders.set(name, null)
  }

  private needsRefresh(partitions: readonly TopicPartition[]): boolean {
    const ageMs = this.clock.now() - this.refreshedAtMs
    if (this.freshAsOf < this.staleMarks || ageMs >= this.maxAgeMs) return true
    const recheck = ageMs >= LEADERLESS_RECHECK_MS
    return partitions.some(({ topic, partition }) => {
      const leaders = this.leaders.get(topic)
      if (leaders === undefined || (leaders !== null && partition >= leaders.length)) return true
      if (!recheck || leaders === null) return false
      const address = this.leaderAddress(topic, partition)
      return address === undefined || this.isDown(address)
    })
  }

  private async refresh(topics: string[]): Promise<void> {
    const marks = this.staleMarks
    // The cluster fails a metadata request that names an unknown topic: drop that topic and ask again.
    for (let names = topics, round = 0; round <= topics.length; round++) {
      try {
        this.update(await this.load(names), names)
      } catch (error) {
        const topic = error instanceof TributaryError && error.code === 'UNKNOWN_TOPIC_OR_PARTITION' ? error.details.topic : undefined
        if (typeof topic !== 'string' || !names.includes(topic)) return
        this.leaders.set(topic, null)
        names = names.filter((n) => n !== topic)
        continue
      }
      this.refreshedAtMs = this.clock.now()
      this.freshAsOf = marks
      return
    }
  }
}
