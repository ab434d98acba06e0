import { TributaryError } from './errors'
import type { TimestampType } from './model'
import type { PartitionLogConfig } from './storage'
import { INT32_MAX, MIN_SEGMENT_BYTES } from './storage-checks'

/** CleanupPolicy says what happens to old data: deleted by retention, compacted by key, or both. */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete'

/** TopicConfig is a topic's configuration as typed fields, with units in the names. */
export interface TopicConfig {
  /** `retention.ms`: age after which a closed segment is deleted; -1 keeps data forever. */
  retentionMs: number
  /** `retention.bytes`: per-partition size above which the oldest segments go; -1 is unlimited. */
  retentionBytes: number
  /** `segment.bytes`: the active segment rolls once it would grow past this. */
  segmentBytes: number
  /** `segment.ms`: the active segment rolls once it is older than this. */
  segmentMs: number
  /** `index.interval.bytes`: bytes between two entries of the sparse offset index. */
  indexIntervalBytes: number
  /** `cleanup.policy`. */
  cleanupPolicy: CleanupPolicy
  /** `min.insync.replicas`: replicas that must have an acks=all write. */
  minInsyncReplicas: number
  /** `max.message.bytes`: the largest record batch accepted. */
  maxMessageBytes: number
  /** `delete.retention.ms`: how long tombstones survive in a compacted topic. */
  deleteRetentionMs: number
  /** `min.compaction.lag.ms`: a record stays uncompacted at least this long. */
  minCompactionLagMs: number
  /** `message.timestamp.type`. */
  messageTimestampType: TimestampType
}

interface ConfigSpec {
  field: keyof TopicConfig
  parse: (value: string) => TopicConfig[keyof TopicConfig] | undefined
}

/** integer parses a Kafka LONG config in [min, max]; INT configs pass INT32_MAX as `max`. */
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number | undefined => {
    if (!/^-?\d+$/.test(value.trim())) return undefined
    const n = Number(value)
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined
  }
const oneOf =
  <T extends string>(...allowed: T[]) =>
  (value: string): T | undefined =>
    (allowed as string[]).includes(value.trim()) ? (value.trim() as T) : undefined
const cleanupPolicy = (value: string): CleanupPolicy | undefined => {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .sort()
  const joined = [...new Set(parts)].join(',')
  return joined === 'delete' || joined === 'compact' || joined === 'compact,delete' ? joined : undefined
}

/** TOPIC_CONFIG_SPECS maps each supported Kafka config name to its typed field and parser. */
const TOPIC_CONFIG_SPECS: Readonly<Record<string, ConfigSpec>> = {
  'retention.ms': { field: 'retentionMs', parse: integer(-1) },
  'retention.bytes': { field: 'retentionBytes', parse: integer(-1) },
  'segment.bytes': { field: 'segmentBytes', parse: integer(MIN_SEGMENT_BYTES, INT32_MAX) },
  'segment.ms': { field: 'segmentMs', parse: integer(1) },
  'index.interval.bytes': { field: 'indexIntervalBytes', parse: integer(0, INT32_MAX) },
  'cleanup.policy': { field: 'cleanupPolicy', parse: cleanupPolicy },
  'min.insync.replicas': { field: 'minInsyncReplicas', parse: integer(1, INT32_MAX) },
  'max.message.bytes': { field: 'maxMessageBytes', parse: integer(0, INT32_MAX) },
  'delete.retention.ms': { field: 'deleteRetentionMs', parse: integer(0) },
  'min.compaction.lag.ms': { field: 'minCompactionLagMs', parse: integer(0) },
  'message.timestamp.type': { field: 'messageTimestampType', parse: oneOf('CreateTime', 'LogAppendTime') },
}

/** TOPIC_CONFIG_DEFAULTS holds Kafka's defaults for every supported topic config. */
export const TOPIC_CONFIG_DEFAULTS: Readonly<TopicConfig> = Object.freeze({
  retentionMs: 604_800_000,
  retentionBytes: -1,
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  indexIntervalBytes: 4096,
  cleanupPolicy: 'delete',
  minInsyncReplicas: 1,
  maxMessageBytes: 1_048_588,
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  messageTimestampType: 'CreateTime',
})

/** TOPIC_CONFIG_NAMES lists the Kafka config names a topic accepts. */
export const TOPIC_CONFIG_NAMES: readonly string[] = Object.freeze(Object.keys(TOPIC_CONFIG_SPECS))

/** ConfigEntry is one `{ name, value }` pair in Kafka's dotted naming. */
export interface ConfigEntry {
  name: string
  value: string
}

/**
 * validateConfigEntries checks Kafka-named overrides and returns them normalised (a map from
 * name to value). An unknown name or a malformed value is `INVALID_CONFIG`.
 */
export function validateConfigEntries(entries: readonly ConfigEntry[] | Record<string, string>): Record<string, string> {
  const list = Array.isArray(entries)
    ? (entries as readonly ConfigEntry[])
    : Object.entries(entries as Record<string, string>).map(([name, value]) => ({ name, value }))
  const out: Record<string, string> = {}
  for (const entry of list) {
    if (entry === null || typeof entry !== 'object' || typeof entry.name !== 'string') {
      throw new TributaryError('INVALID_CONFIG', 'A config entry must be { name: string, value: string }')
    }
    const spec = TOPIC_CONFIG_SPECS[entry.name]
    if (!spec) throw new TributaryError('INVALID_CONFIG', `Unknown topic config '${entry.name}'`, { details: { name: entry.name } })
    const raw = typeof entry.value === 'number' ? String(entry.value) : entry.value
    if (typeof raw !== 'string' || spec.parse(raw) === undefined) {
      throw new TributaryError('INVALID_CONFIG', `Invalid value '${String(entry.value)}' for topic config '${entry.name}'`, {
        details: { name: entry.name, value: entry.value },
      })
    }
    out[entry.name] = raw.trim()
  }
  return out
}

/** resolveTopicConfig turns validated Kafka-named overrides into a full typed config. */
export function resolveTopicConfig(overrides: Readonly<Record<string, string>> = {}): TopicConfig {
  const config: Record<string, unknown> = { ...TOPIC_CONFIG_DEFAULTS }
  for (const [name, value] of Object.entries(validateConfigEntries(overrides))) {
    const spec = TOPIC_CONFIG_SPECS[name]!
    config[spec.field] = spec.parse(value)
  }
  return config as unknown as TopicConfig
}

/** describeTopicConfig lists every supported config with its effective value and whether it is a default. */
export function describeTopicConfig(
  overrides: Readonly<Record<string, string>>,
): Array<{ name: string; value: string; isDefault: boolean }> {
  const resolved = resolveTopicConfig(overrides)
  return TOPIC_CONFIG_NAMES.map((name) => ({
    name,
    value: String(resolved[TOPIC_CONFIG_SPECS[name]!.field]),
    isDefault: !(name in overrides),
  }))
}

/** partitionLogConfig is the part of a topic's config a partition log needs. */
export function partitionLogConfig(config: TopicConfig): PartitionLogConfig {
  return { segmentBytes: config.segmentBytes, segmentMs: config.segmentMs, indexIntervalBytes: config.indexIntervalBytes }
}
