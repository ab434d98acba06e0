import type { CreateTopicSpec } from './broker'
import { TributaryError } from './errors'
import { TOPIC_CONFIG_NAMES, validateConfigEntries } from './topic-config'
import { isInternalTopic, topicNamesCollide, validatePartitionCount, validateTopicName } from './validation'

/**
 * The topic admin rules every Broker implementation applies (LocalBroker, and ClusterNode on the
 * metadata leader): what a createTopics request and a topic spec must be, and how alterConfigs
 * changes a topic's overrides. Kafka's rules throughout; pure.
 */

/** TopicLimits are the broker's defaults and bounds for new topics. */
export interface TopicLimits {
  /** numPartitions: the count of a spec that gives none (or -1), Kafka's `num.partitions`. */
  readonly numPartitions: number
  /** maxPartitionsPerTopic: the largest partition count a topic may have. */
  readonly maxPartitionsPerTopic: number
  /** defaultReplicationFactor: the replication factor of a spec that gives none (or -1). */
  readonly defaultReplicationFactor: number
  /** nodes: how many nodes can hold a replica (the largest replication factor). */
  readonly nodes: number
}

/** CheckedTopicSpec is a topic spec with its defaults applied and its config overrides normalised. */
export interface CheckedTopicSpec {
  readonly topic: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly configs: Record<string, string>
}

/**
 * checkCreateTopicsRequest checks that createTopics got a list of specs (objects).
 * @throws TributaryError INVALID_REQUEST.
 */
export function checkCreateTopicsRequest(specs: readonly CreateTopicSpec[]): readonly CreateTopicSpec[] {
  if (!Array.isArray(specs)) throw new TributaryError('INVALID_REQUEST', 'createTopics takes an array of topics')
  for (const spec of specs)
    if (spec === null || typeof spec !== 'object') throw new TributaryError('INVALID_REQUEST', 'A topic spec must be an object')
  return specs
}

/**
 * checkTopicSpec checks one topic to create, in Kafka's order: a legal name that is not an
 * internal topic's, a partition count in [1, maxPartitionsPerTopic], a replication factor in
 * [1, nodes], known configs with legal values, and (against `existing`) no collision with
 * another topic's name once '.' reads as '_'. A name that exists already is not an error (the
 * caller answers `created: false`).
 * @throws TributaryError INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG.
 */
export function checkTopicSpec(spec: CreateTopicSpec, limits: TopicLimits, existing: Iterable<string>): CheckedTopicSpec {
  validateTopicName(spec.topic)
  if (isInternalTopic(spec.topic)) throw new TributaryError('INVALID_TOPIC_EXCEPTION', `'${spec.topic}' is an internal topic name`)
  const numPartitions = spec.numPartitions === undefined || spec.numPartitions === -1 ? limits.numPartitions : spec.numPartitions
  validatePartitionCount(numPartitions, limits.maxPartitionsPerTopic)
  const replicationFactor =
    spec.replicationFactor === undefined || spec.replicationFactor === -1 ? limits.defaultReplicationFactor : spec.replicationFactor
  if (!Number.isSafeInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > limits.nodes) {
    throw new TributaryError(
      'INVALID_REPLICATION_FACTOR',
      `Replication factor ${String(replicationFactor)} must be between 1 and the ${limits.nodes} available node(s)`,
    )
  }
  const configs = validateConfigEntries(spec.configEntries ?? [])
  for (const name of existing) {
    if (name !== spec.topic && topicNamesCollide(name, spec.topic))
      throw new TributaryError('INVALID_TOPIC_EXCEPTION', `Topic '${spec.topic}' collides with existing topic '${name}'`)
  }
  return { topic: spec.topic, numPartitions, replicationFactor, configs }
}

/**
 * checkPartitionIncrease checks a createPartitions target: a legal count larger than the current one.
 * @throws TributaryError INVALID_PARTITIONS.
 */
export function checkPartitionIncrease(topic: string, current: number, totalCount: number, maxPartitionsPerTopic: number): void {
  validatePartitionCount(totalCount, maxPartitionsPerTopic)
  if (totalCount <= current)
    throw new TributaryError('INVALID_PARTITIONS', `Topic '${topic}' already has ${current} partitions; the new count must be larger`)
}

/**
 * applyConfigChanges applies alterConfigs entries to a topic's overrides and returns the new
 * overrides: a string value sets one (checked), null resets it to the default.
 * @throws TributaryError INVALID_CONFIG for an unknown name or a bad value (nothing is applied).
 */
export function applyConfigChanges(
  overrides: Readonly<Record<string, string>>,
  entries: ReadonlyArray<{ name: string; value: string | null }>,
): Record<string, string> {
  if (!Array.isArray(entries)) throw new TributaryError('INVALID_CONFIG', 'alterConfigs takes an array of { name, value } entries')
  const configs = { ...overrides }
  for (const entry of entries) {
    if (entry?.value === null) {
      if (!TOPIC_CONFIG_NAMES.includes(entry.name)) throw new TributaryError('INVALID_CONFIG', `Unknown topic config '${entry.name}'`)
      delete configs[entry.name]
    } else {
      Object.assign(configs, validateConfigEntries([entry as { name: string; value: string }]))
    }
  }
  return configs
}
