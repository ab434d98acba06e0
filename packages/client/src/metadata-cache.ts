import { TributaryError, type Broker, type Clock } from '@tributary/core'

interface Entry {
  numPartitions: number
  fetchedAtMs: number
}

/**
 * MetadataCache remembers each topic's partition count so that a send does not ask the broker
 * every time. Entries older than `maxAgeMs` are refetched (so partition growth is seen), and
 * callers `invalidate` a topic when the broker answers UNKNOWN_TOPIC_OR_PARTITION or
 * NOT_LEADER_OR_FOLLOWER, as Kafka clients refresh on those errors.
 */
export class MetadataCache {
  private readonly entries = new Map<string, Entry>()
  private readonly pending = new Map<string, Promise<number>>()

  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
    private readonly allowAutoTopicCreation: boolean,
  ) {}

  /**
   * partitionCount returns the topic's partition count, creating the topic first when it is unknown
   * and auto-creation is on. Throws UNKNOWN_TOPIC_OR_PARTITION when it is unknown and creation is off.
   */
  async partitionCount(topic: string): Promise<number> {
    const entry = this.entries.get(topic)
    if (entry && this.clock.now() - entry.fetchedAtMs < this.maxAgeMs) return entry.numPartitions
    // Concurrent sends to a new topic share one metadata request (and one auto-creation).
    let pending = this.pending.get(topic)
    if (!pending) {
      pending = this.load(topic).finally(() => this.pending.delete(topic))
      this.pending.set(topic, pending)
    }
    return pending
  }

  /** invalidate forgets a topic so that its next use asks the broker again. */
  invalidate(topic: string): void {
    this.entries.delete(topic)
  }

  private async load(topic: string): Promise<number> {
    const metadata = await this.broker.metadata({ topics: [topic], allowAutoTopicCreation: this.allowAutoTopicCreation })
    const found = metadata.topics.find((t) => t.name === topic)
    if (!found || found.partitions.length === 0) {
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${topic}'`, { details: { topic } })
    }
    this.entries.set(topic, { numPartitions: found.partitions.length, fetchedAtMs: this.clock.now() })
    return found.partitions.length
  }
}
