import { TributaryError } from './errors'
import type { StoredMetadata, StoredTopic, Storage } from './storage'
import { resolveTopicConfig, type TopicConfig } from './topic-config'

/** TopicEntry is a topic as the broker holds it: the stored record plus its resolved config. */
export interface TopicEntry {
  stored: StoredTopic
  config: TopicConfig
}

/**
 * TopicRegistry owns the broker metadata: topics, their configs and the producer-id counter.
 * Changes are applied in memory at once and written through `Storage.saveMetadata` one at a time,
 * in order, so a later write never overtakes an earlier one.
 */
export class TopicRegistry {
  private readonly topics = new Map<string, TopicEntry>()
  private metadata: StoredMetadata
  private saving: Promise<void> = Promise.resolve()
  private producerIdsLeft = 0
  private nextProducerId = 0
  private reservation: Promise<void> = Promise.resolve()

  private constructor(
    private readonly storage: Storage,
    metadata: StoredMetadata,
    private readonly topicDefaults: Readonly<Record<string, string>>,
  ) {
    this.metadata = metadata
    for (const stored of metadata.topics) this.topics.set(stored.name, this.entry(stored))
  }

  /** load reads the stored metadata, or starts a new cluster with `newClusterId`. */
  static load(storage: Storage, topicDefaults: Readonly<Record<string, string>>, newClusterId: () => string): TopicRegistry {
    const stored = storage.loadMetadata()
    const metadata: StoredMetadata = stored ?? { version: 1, clusterId: newClusterId(), topics: [], nextProducerId: 0 }
    return new TopicRegistry(storage, structuredClone(metadata), topicDefaults)
  }

  get clusterId(): string {
    return this.metadata.clusterId
  }

  get(name: string): TopicEntry | undefined {
    return this.topics.get(name)
  }

  /** require returns a topic or throws UNKNOWN_TOPIC_OR_PARTITION. */
  require(name: string): TopicEntry {
    const topic = this.topics.get(name)
    if (!topic) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${name}'`, { details: { topic: name } })
    return topic
  }

  names(): string[] {
    return [...this.topics.keys()].sort()
  }

  entries(): TopicEntry[] {
    return [...this.topics.values()]
  }

  /** put adds or replaces a topic and persists the metadata. */
  async put(stored: StoredTopic): Promise<TopicEntry> {
    const entry = this.entry(stored)
    this.topics.set(stored.name, entry)
    await this.persist()
    return entry
  }

  /** remove deletes a topic and persists the metadata. */
  async remove(name: string): Promise<void> {
    this.topics.delete(name)
    await this.persist()
  }

  /**
   * allocateProducerId hands out a producer id that was never used before, even across
   * restarts: ids are reserved durably in blocks so that not every producer costs a disk write.
   */
  async allocateProducerId(blockSize: number): Promise<number> {
    // Take the id synchronously: concurrent callers must never share or overrun a block.
    if (this.producerIdsLeft === 0) {
      this.nextProducerId = this.metadata.nextProducerId
      this.metadata.nextProducerId += blockSize
      this.producerIdsLeft = blockSize
      this.reservation = this.persist()
    }
    this.producerIdsLeft--
    const id = this.nextProducerId++
    // The id is handed out only once its block is durably reserved.
    await this.reservation
    return id
  }

  /** resolveConfig applies broker defaults, then the topic's own overrides. */
  resolveConfig(overrides: Readonly<Record<string, string>>): TopicConfig {
    return resolveTopicConfig({ ...this.topicDefaults, ...overrides })
  }

  private entry(stored: StoredTopic): TopicEntry {
    return { stored, config: this.resolveConfig(stored.configs) }
  }

  private persist(): Promise<void> {
    const snapshot: StoredMetadata = { ...this.metadata, topics: [...this.topics.values()].map((t) => t.stored) }
    this.metadata = snapshot
    const write = this.saving.then(() => this.storage.saveMetadata(structuredClone(snapshot)))
    // A failed write must not wedge every later one; the caller of this write sees its error.
    this.saving = write.catch(() => undefined)
    return write
  }
}
