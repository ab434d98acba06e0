import type { Clock, TopicPartition } from '@tributary/core'
import type { MetadataSnapshot } from './requests/metadata'

/**
 * How often partitions without a leader (an election in progress) are asked about again, in ms:
 * until the cache learns the new leader, requests for them fail with LEADER_NOT_AVAILABLE.
 */
export const LEADERLESS_RECHECK_MS = 200

interface TopicLeaders {
  topicId: string
  /** Leader node id per partition (-1: none elected). */
  leaders: number[]
}

/**
 * MetadataCache remembers, from Metadata answers, each partition's leader, each topic's id and
 * the controller, so that partition requests go straight to the leader (Kafka brokers do not
 * forward) and admin requests to the controller.
 *
 * - `ensure(partitions)` refreshes when the cache is stale (`markStale`: an error showed a moved
 *   leader, or a connection was lost), older than `maxAgeMs`, lacks a partition asked for, or (at
 *   most every LEADERLESS_RECHECK_MS) has no leader for one. One refresh runs at a time; callers
 *   arriving meanwhile share it.
 * - A refresh asks for every topic seen so far plus the new ones; a topic the cluster does not know
 *   is remembered as unknown until the next refresh. Bounded by the topics the application uses.
 * - It never throws: when metadata cannot be had, the partitions have no known leader and the
 *   caller reports that per partition.
 */
export class MetadataCache {
  /** Per topic its leaders; null: the cluster said it does not exist. */
  private readonly topics = new Map<string, TopicLeaders | null>()
  private readonly names = new Map<string, string>()
  private refreshedAtMs = Number.NEGATIVE_INFINITY
  private staleMarks = 0
  private freshAsOf = 0
  private refreshing: Promise<void> | null = null
  /** controllerId is the controller of the latest metadata (-1: unknown). */
  controllerId = -1

  constructor(
    private readonly load: (topics: string[]) => Promise<MetadataSnapshot>,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
  ) {}

  /** markStale makes the next `ensure` ask for metadata again. */
  markStale(): void {
    this.staleMarks++
  }

  /** isKnownTopic tells whether the last metadata listed `topic`. */
  isKnownTopic(topic: string): boolean {
    return this.topics.get(topic) != null
  }

  /** leaderOf is the leader's node id (-1: none elected), or undefined for a partition metadata does not list. */
  leaderOf(topic: string, partition: number): number | undefined {
    return this.topics.get(topic)?.leaders[partition]
  }

  /** topicId is a topic's id ('' when the cluster has none), undefined when unknown. */
  topicId(topic: string): string | undefined {
    return this.topics.get(topic)?.topicId
  }

  /** topicName is the topic with id `topicId`, undefined when unknown. */
  topicName(topicId: string): string | undefined {
    return this.names.get(topicId)
  }

  /** ensure refreshes the cache first when it cannot be trusted for `partitions` (see the class comment). */
  async ensure(partitions: readonly TopicPartition[]): Promise<void> {
    for (let round = 0; round < 2 && this.needsRefresh(partitions); round++) {
      const ours = this.refreshing === null
      if (ours) {
        const topics = new Set([...this.topics.keys(), ...partitions.map((p) => p.topic)])
        this.refreshing = this.refresh([...topics]).finally(() => {
          this.refreshing = null
        })
      }
      await this.refreshing
      if (ours) return
    }
  }

  /** refreshController makes sure the controller is known, asking for metadata when it is not. */
  async ensureController(): Promise<void> {
    if (this.controllerId < 0 || this.freshAsOf < this.staleMarks) await this.ensure([])
    if (this.controllerId < 0) await this.refresh([...this.topics.keys()])
  }

  /** update takes in a Metadata answer (one the application asked for too): `asked` topics it lacks are unknown. */
  update(snapshot: MetadataSnapshot, asked?: readonly string[]): void {
    if (snapshot.controllerId >= 0) this.controllerId = snapshot.controllerId
    const listed = new Set<string>()
    for (const t of snapshot.topics) {
      if (t.error !== null && t.partitions.length === 0) {
        if (t.error.code === 'UNKNOWN_TOPIC_OR_PARTITION') this.topics.set(t.name, null)
        continue
      }
      listed.add(t.name)
      const leaders: number[] = []
      for (const p of t.partitions) leaders[p.partition] = p.leader
      const old = this.topics.get(t.name)
      if (old?.topicId) this.names.delete(old.topicId)
      this.topics.set(t.name, { topicId: t.topicId, leaders: Array.from(leaders, (l) => l ?? -1) })
      if (t.topicId) this.names.set(t.topicId, t.name)
    }
    for (const name of asked ?? []) if (!listed.has(name) && !this.topics.has(name)) this.topics.set(name, null)
  }

  /** forget drops a topic (deleted), so that its next use asks again. */
  forget(topic: string): void {
    const old = this.topics.get(topic)
    if (old?.topicId) this.names.delete(old.topicId)
    this.topics.delete(topic)
  }

  private needsRefresh(partitions: readonly TopicPartition[]): boolean {
    const ageMs = this.clock.now() - this.refreshedAtMs
    if (this.freshAsOf < this.staleMarks || ageMs >= this.maxAgeMs) return true
    const recheck = ageMs >= LEADERLESS_RECHECK_MS
    return partitions.some(({ topic, partition }) => {
      const t = this.topics.get(topic)
      if (t === undefined || (t !== null && partition >= t.leaders.length)) return true
      return recheck && t !== null && (t.leaders[partition] ?? -1) < 0
    })
  }

  private async refresh(topics: string[]): Promise<void> {
    const marks = this.staleMarks
    try {
      this.update(await this.load(topics), topics)
    } catch {
      // The caller finds no leader and reports it per partition; the next call asks again.
      return
    }
    this.refreshedAtMs = this.clock.now()
    this.freshAsOf = marks
  }
}
