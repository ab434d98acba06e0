import { TOPIC_CONFIG_DEFAULTS, TributaryError, type Broker, type Clock } from '@tributary/core'
import type { ResolvedRetry } from './options'
import { backoffMs, sleep } from './retry'

/** TopicInfo is what a producer needs to know about a topic. */
export interface TopicInfo {
  numPartitions: number
  /** The topic's `max.message.bytes`: the largest record batch it accepts. */
  maxMessageBytes: number
}

interface Entry extends TopicInfo {
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
  private readonly pending = new Map<string, Promise<TopicInfo>>()

  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
    private readonly allowAutoTopicCreation: boolean,
    /** retry: how retriable failures (a node going away, an election) are retried; never an unknown topic. */
    private readonly retry?: ResolvedRetry,
  ) {}

  /**
   * topicInfo returns the topic's partition count and batch size limit, creating the topic first
   * when it is unknown and auto-creation is on. Throws UNKNOWN_TOPIC_OR_PARTITION when it is
   * unknown and creation is off.
   */
  async topicInfo(topic: string): Promise<TopicInfo> {
    const entry = this.entries.get(topic)
    if (entry && this.clock.now() - entry.fetchedAtMs < this.maxAgeMs) return entry
    // Concurrent sends to a new topic share one metadata request (and one auto-creation).
    let pending = this.pending.get(topic)
    if (!pending) {
      pending = this.load(topic).finally(() => this.pending.delete(topic))
      this.pending.set(topic, pending)
    }
    return pending
  }

  /** cachedTopicInfo returns the topic's cached info while it is fresh, else null (then call topicInfo). */
  cachedTopicInfo(topic: string): TopicInfo | null {
    const entry = this.entries.get(topic)
    return entry !== undefined && this.clock.now() - entry.fetchedAtMs < this.maxAgeMs ? entry : null
  }

  /** invalidate forgets a topic so that its next use asks the broker again. */
  invalidate(topic: string): void {
    this.entries.delete(topic)
  }

  private async load(topic: string): Promise<TopicInfo> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.loadOnce(topic)
      } catch (error) {
        const retriable = error instanceof TributaryError && error.retriable && error.code !== 'UNKNOWN_TOPIC_OR_PARTITION'
        if (!retriable || this.retry === undefined || attempt >= this.retry.retries) throw error
        await sleep(this.clock, backoffMs(this.retry, attempt))
      }
    }
  }

  private async loadOnce(topic: string): Promise<TopicInfo> {
    const metadata = await this.broker.metadata({ topics: [topic], allowAutoTopicCreation: this.allowAutoTopicCreation })
    const found = metadata.topics.find((t) => t.name === topic)
    if (!found || found.partitions.length === 0) {
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${topic}'`, { details: { topic } })
    }
    const max = Number((await this.maxMessageBytesConfig(topic))?.value)
    const entry = {
      numPartitions: found.partitions.length,
      maxMessageBytes: Number.isSafeInteger(max) && max > 0 ? max : TOPIC_CONFIG_DEFAULTS.maxMessageBytes,
      fetchedAtMs: this.clock.now(),
    }
    this.entries.set(topic, entry)
    return entry
  }

  /**
   * maxMessageBytesConfig reads the topic's max.message.bytes. On a Kafka cluster a producer's
   * principal may not be allowed to describe configs (TOPIC_AUTHORIZATION_FAILED, …), or the
   * broker may not serve DescribeConfigs: the broker's own check then stands (MESSAGE_TOO_LARGE
   * for a batch over it), and Kafka's default is assumed here. Retriable errors are thrown.
   */
  private async maxMessageBytesConfig(topic: string): Promise<{ value: string } | undefined> {
    try {
      return (await this.broker.describeConfigs(topic)).find((c) => c.name === 'max.message.bytes')
    } catch (error) {
      if (!(error instanceof TributaryError) || error.retriable || error.code === 'CLIENT_CLOSED') throw error
      return undefined
    }
  }
}
