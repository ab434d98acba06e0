import type { Clock } from './clock'
import { systemClock } from './clock'
import { checkInt, checkMs, invalidConfig, stripUndefined } from './option-checks'
import { DEFAULT_MAX_FETCH_WAITERS } from './fetch-waiters'
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS } from './producer-state'
import type { Storage } from './storage'
import { validateConfigEntries } from './topic-config'

/** LocalBrokerOptions configures a single-node broker. Every duration is in milliseconds. */
export interface LocalBrokerOptions {
  /** Where partitions, metadata and offsets live. Required. */
  storage: Storage
  /** Time source for retention, session timeouts and waits; default the system clock. */
  clock?: Clock
  /** This node's id; default 0. */
  nodeId?: number
  /** Host and port reported in metadata; default 'localhost' and 0 (no listener). */
  host?: string
  port?: number
  /** Partitions for auto-created topics and for createTopics without a count (`num.partitions`); default 1. */
  numPartitions?: number
  /** Whether unknown topics may be created on first use (`auto.create.topics.enable`); default true. */
  autoCreateTopics?: boolean
  /** Upper bound on a topic's partition count; default 10,000. */
  maxPartitionsPerTopic?: number
  /** How often retention and compaction run (`log.retention.check.interval.ms`); default 300,000. */
  retentionCheckIntervalMs?: number
  /** Broker-wide topic config defaults in Kafka names (e.g. `{ 'retention.ms': '3600000' }`). */
  topicDefaults?: Record<string, string>
  /** Group coordinator settings. */
  minSessionTimeoutMs?: number
  maxSessionTimeoutMs?: number
  initialRebalanceDelayMs?: number
  /** Producer ids are reserved durably in blocks of this size, so restarts never reuse one; default 1,000. */
  producerIdBlockSize?: number
  /**
   * A producer id idle this long, in ms, is forgotten by a partition (Kafka's
   * `producer.id.expiration.ms`), measured by batch timestamps; default 86,400,000 (a day).
   */
  producerIdExpirationMs?: number
  /** Long-polling fetches held at once; beyond it a fetch answers at once with what it has. Default 10,000. */
  maxFetchWaiters?: number
  /** Makes topic ids; default `crypto.randomUUID`. Injected so tests can be deterministic. */
  newId?: () => string
}

/** ResolvedBrokerOptions is LocalBrokerOptions with every default applied. */
export type ResolvedBrokerOptions = Required<Omit<LocalBrokerOptions, 'storage'>> & { storage: Storage }

/** BROKER_DEFAULTS holds the default of every optional broker option. */
export const BROKER_DEFAULTS = Object.freeze({
  nodeId: 0,
  host: 'localhost',
  port: 0,
  numPartitions: 1,
  autoCreateTopics: true,
  maxPartitionsPerTopic: 10_000,
  retentionCheckIntervalMs: 300_000,
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  producerIdBlockSize: 1_000,
  producerIdExpirationMs: DEFAULT_PRODUCER_ID_EXPIRATION_MS,
  maxFetchWaiters: DEFAULT_MAX_FETCH_WAITERS,
})

const KNOWN_KEYS = new Set<string>([...Object.keys(BROKER_DEFAULTS), 'storage', 'clock', 'topicDefaults', 'newId'])

/** resolveBrokerOptions merges defaults, rejects unknown keys and bad ranges with INVALID_CONFIG naming the option. */
export function resolveBrokerOptions(options: LocalBrokerOptions): ResolvedBrokerOptions {
  if (options === null || typeof options !== 'object') throw invalidConfig('broker', 'must be an object')
  for (const key of Object.keys(options)) if (!KNOWN_KEYS.has(key)) throw invalidConfig(`broker.${key}`, 'is not a known option')
  if (!options.storage || typeof options.storage.partitionLog !== 'function') throw invalidConfig('broker.storage', 'must be a Storage')
  const resolved = { ...BROKER_DEFAULTS, clock: systemClock, topicDefaults: {}, newId: defaultNewId, ...stripUndefined(options) }
  checkInt(resolved.nodeId, 'broker.nodeId', 0)
  checkInt(resolved.port, 'broker.port', 0)
  checkInt(resolved.numPartitions, 'broker.numPartitions', 1)
  checkInt(resolved.maxPartitionsPerTopic, 'broker.maxPartitionsPerTopic', 1)
  checkMs(resolved.retentionCheckIntervalMs, 'broker.retentionCheckIntervalMs', 1)
  checkMs(resolved.minSessionTimeoutMs, 'broker.minSessionTimeoutMs', 1)
  checkMs(resolved.maxSessionTimeoutMs, 'broker.maxSessionTimeoutMs', resolved.minSessionTimeoutMs)
  checkMs(resolved.initialRebalanceDelayMs, 'broker.initialRebalanceDelayMs', 0)
  checkInt(resolved.producerIdBlockSize, 'broker.producerIdBlockSize', 1)
  checkInt(resolved.producerIdExpirationMs, 'broker.producerIdExpirationMs', 1)
  checkInt(resolved.maxFetchWaiters, 'broker.maxFetchWaiters', 1)
  if (typeof resolved.autoCreateTopics !== 'boolean') throw invalidConfig('broker.autoCreateTopics', 'must be a boolean')
  if (resolved.numPartitions > resolved.maxPartitionsPerTopic) throw invalidConfig('broker.numPartitions', 'exceeds maxPartitionsPerTopic')
  resolved.topicDefaults = validateConfigEntries(resolved.topicDefaults)
  return resolved as ResolvedBrokerOptions
}

function defaultNewId(): string {
  return globalThis.crypto.randomUUID()
}
