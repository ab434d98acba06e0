import type { CreateTopicResult, CreateTopicSpec } from '@tributary/core'
import { ZERO_UUID } from '../../codec/uuid'
import { errorFromKafkaCode } from '../../error-codes'
import type { RequestInput } from '../../messages'
import type { CreateTopicsResponse } from '../../messages/19-create-topics'
import type { DescribeConfigsResponse } from '../../messages/32-describe-configs'

/*
 * Topic admin as Kafka's controller takes it. Kafka's config resource type of a topic is 2, and a
 * config whose source is DYNAMIC_TOPIC_CONFIG (1) is an override set on the topic; any other
 * source (broker settings, Kafka's defaults) is a default from the topic's point of view.
 */

/** TOPIC_RESOURCE is Kafka's ConfigResource.Type.TOPIC. */
export const TOPIC_RESOURCE = 2
/** DYNAMIC_TOPIC_CONFIG is the config source of a topic's own override. */
const DYNAMIC_TOPIC_CONFIG = 1
const TOPIC_ALREADY_EXISTS = 36

/**
 * createTopicsRequest asks for topics; an unset partition count or replication factor is -1 (the
 * broker's num.partitions and default.replication.factor), which Kafka takes from v4 on; older
 * brokers get 1 partition and 1 replica.
 */
export function createTopicsRequest(
  specs: readonly CreateTopicSpec[],
  validateOnly: boolean,
  timeoutMs: number,
  version: number,
): RequestInput<19> {
  const unset = version >= 4 ? -1 : 1
  return {
    topics: specs.map((s) => ({
      name: s.topic,
      numPartitions: s.numPartitions ?? unset,
      replicationFactor: s.replicationFactor ?? unset,
      assignments: [],
      configs: (s.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })),
    })),
    timeoutMs,
    validateOnly,
  }
}

/** parseCreateTopics reads each topic's outcome: TOPIC_ALREADY_EXISTS is `created: false`, as LocalBroker reports it. */
export function parseCreateTopics(body: CreateTopicsResponse, specs: readonly CreateTopicSpec[]): CreateTopicResult[] {
  return specs.map(({ topic }) => {
    const answer = body.topics.find((t) => t.name === topic)
    if (answer === undefined || answer.errorCode === TOPIC_ALREADY_EXISTS) return { topic, created: false }
    const error = errorFromKafkaCode(answer.errorCode, answer.errorMessage, { topic })
    return error ? { topic, created: false, error } : { topic, created: true }
  })
}

/** deleteTopicsRequest names topics (v6 as Topics[], older as TopicNames). */
export function deleteTopicsRequest(topics: readonly string[], timeoutMs: number): RequestInput<20> {
  return { topics: topics.map((name) => ({ name, topicId: ZERO_UUID })), topicNames: [...topics], timeoutMs }
}

/** describeConfigsRequest asks for every config of one topic. */
export function describeConfigsRequest(topic: string): RequestInput<32> {
  return {
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  }
}

/**
 * parseDescribeConfigs lists a topic's configs with Kafka names ('' for a value the broker hides,
 * such as a sensitive one). v0 says isDefault; later versions give the source.
 * @throws TributaryError the resource's error (UNKNOWN_TOPIC_OR_PARTITION for an unknown topic).
 */
export function parseDescribeConfigs(
  body: DescribeConfigsResponse,
  version: number,
  topic: string,
): Array<{ name: string; value: string; isDefault: boolean }> {
  const result = body.results.find((r) => r.resourceName === topic) ?? body.results[0]
  if (result === undefined) return []
  const error = errorFromKafkaCode(result.errorCode, result.errorMessage, { topic })
  if (error) throw error
  return result.configs.map((c) => ({
    name: c.name,
    value: c.value ?? '',
    isDefault: version === 0 ? c.isDefault : c.configSource !== DYNAMIC_TOPIC_CONFIG,
  }))
}

/** Kafka's IncrementalAlterConfigs operations. */
const SET = 0
const DELETE = 1

/** incrementalAlterConfigsRequest sets (a value) or resets (null) a topic's config overrides. */
export function incrementalAlterConfigsRequest(
  topic: string,
  entries: ReadonlyArray<{ name: string; value: string | null }>,
  validateOnly: boolean,
): RequestInput<44> {
  return {
    resources: [
      {
        resourceType: TOPIC_RESOURCE,
        resourceName: topic,
        configs: entries.map((e) => ({ name: e.name, configOperation: e.value === null ? DELETE : SET, value: e.value })),
      },
    ],
    validateOnly,
  }
}

/**
 * alterConfigsRequest is the legacy AlterConfigs, which replaces every override of the topic:
 * `overrides` are the topic's current ones, merged with `entries` (null removes one).
 */
export function alterConfigsRequest(
  topic: string,
  overrides: ReadonlyArray<{ name: string; value: string }>,
  entries: ReadonlyArray<{ name: string; value: string | null }>,
  validateOnly: boolean,
): RequestInput<33> {
  const merged = new Map(overrides.map((o) => [o.name, o.value as string | null]))
  for (const e of entries) merged.set(e.name, e.value)
  const configs = [...merged].filter(([, v]) => v !== null).map(([name, value]) => ({ name, value }))
  return { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs }], validateOnly }
}
