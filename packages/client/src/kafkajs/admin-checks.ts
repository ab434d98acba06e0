import { ConfigResourceTypes } from './constants'
import { nonRetriable, notImplemented } from './errors'

/*
 * The admin facade's argument checks, with KafkaJS's messages. Each throws KafkaJSNonRetriableError
 * (KafkaJSNotImplemented for what Tributary does not do) before anything is sent.
 */

/** checkCreateTopics checks createTopics' `topics`. */
export function checkCreateTopics(
  topics: Array<{ topic: string; replicaAssignment?: unknown[]; configEntries?: Array<{ name: string; value: string }> }>,
): void {
  if (!Array.isArray(topics)) throw nonRetriable(`Invalid topics array ${String(topics)}`)
  if (topics.some((t) => typeof t?.topic !== 'string'))
    throw nonRetriable('Invalid topics array, the topic names have to be a valid string')
  if (new Set(topics.map((t) => t.topic)).size < topics.length)
    throw nonRetriable('Invalid topics array, it cannot have multiple entries for the same topic')
  for (const { topic, configEntries, replicaAssignment } of topics) {
    if (replicaAssignment !== undefined && replicaAssignment.length > 0)
      throw notImplemented(`replicaAssignment for topic "${topic}": Tributary places replicas itself`)
    if (configEntries === undefined || configEntries === null) continue
    if (!Array.isArray(configEntries)) throw nonRetriable(`Invalid configEntries for topic "${topic}", must be an array`)
    configEntries.forEach((e, i) => {
      if (typeof e?.name !== 'string' || typeof e.value !== 'string')
        throw nonRetriable(`Invalid configEntries for topic "${topic}". Entry ${i} must have a valid "name" and "value" property`)
    })
  }
}

/** checkCreatePartitions checks createPartitions' `topicPartitions`. */
export function checkCreatePartitions(topicPartitions: Array<{ topic: string; count: number; assignments?: number[][] }>): void {
  if (!Array.isArray(topicPartitions)) throw nonRetriable(`Invalid topic partitions array ${String(topicPartitions)}`)
  if (topicPartitions.length === 0) throw nonRetriable('Empty topic partitions array')
  if (topicPartitions.some((t) => typeof t?.topic !== 'string'))
    throw nonRetriable('Invalid topic partitions array, the topic names have to be a valid string')
  if (topicPartitions.some((t) => t.assignments !== undefined && t.assignments.length > 0))
    throw notImplemented('createPartitions assignments: Tributary places replicas itself')
}

/** checkResources checks describeConfigs' and alterConfigs' `resources`; `valid` checks the call's own field. */
export function checkResources<R extends { type: number; name: string }>(resources: R[], valid: (r: R) => boolean, field: string): void {
  if (!Array.isArray(resources)) throw nonRetriable(`Invalid resources array ${String(resources)}`)
  if (resources.length === 0) throw nonRetriable('Resources array cannot be empty')
  const types = Object.values(ConfigResourceTypes) as number[]
  const badType = resources.find((r) => !types.includes(r?.type))
  if (badType) throw nonRetriable(`Invalid resource type ${String(badType.type)}: ${JSON.stringify(badType)}`)
  const badName = resources.find((r) => !r.name || typeof r.name !== 'string')
  if (badName) throw nonRetriable(`Invalid resource name ${String(badName.name)}: ${JSON.stringify(badName)}`)
  const bad = resources.find((r) => !valid(r))
  if (bad) throw nonRetriable(`Invalid resource ${field}: ${JSON.stringify(bad)}`)
}
