import type { ClusterMetadata, PartitionMetadata, TributaryError } from '@tributary/core'
import { ZERO_UUID } from '../../codec/uuid'
import { errorFromKafkaCode } from '../../error-codes'
import type { RequestInput } from '../../messages'
import type { MetadataResponse } from '../../messages/03-metadata'

/** TopicSnapshot is one topic of a Metadata answer, with its error (a topic the broker refused). */
export interface TopicSnapshot {
  name: string
  /** Kafka's topic id (canonical UUID text), or '' when the broker has none (before Kafka 2.8). */
  topicId: string
  isInternal: boolean
  error: TributaryError | null
  partitions: Array<PartitionMetadata & { error: TributaryError | null }>
}

/** MetadataSnapshot is a decoded Metadata answer. */
export interface MetadataSnapshot {
  clusterId: string
  controllerId: number
  brokers: Array<{ nodeId: number; host: string; port: number }>
  topics: TopicSnapshot[]
}

/**
 * metadataRequest asks for `topics` (every topic when undefined). Before v1 an empty list meant
 * "every topic", so v0 cannot ask for none; callers filter its answer.
 */
export function metadataRequest(topics: readonly string[] | undefined, allowAutoTopicCreation: boolean, version: number): RequestInput<3> {
  const list = topics === undefined ? (version === 0 ? [] : null) : topics.map((name) => ({ name, topicId: ZERO_UUID }))
  return { topics: list, allowAutoTopicCreation, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }
}

/** parseMetadata turns a Metadata answer into a snapshot (partitions sorted by index). */
export function parseMetadata(body: MetadataResponse): MetadataSnapshot {
  return {
    clusterId: body.clusterId ?? '',
    controllerId: body.controllerId,
    brokers: body.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    topics: body.topics.map((t) => ({
      name: t.name ?? '',
      topicId: t.topicId === ZERO_UUID ? '' : t.topicId,
      isInternal: t.isInternal,
      error: errorFromKafkaCode(t.errorCode, null, { topic: t.name }),
      partitions: t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          error: errorFromKafkaCode(p.errorCode, null, { topic: t.name, partition: p.partitionIndex }),
        }))
        .sort((a, b) => a.partition - b.partition),
    })),
  }
}

/** toClusterMetadata is the Broker contract's view of a snapshot (topics given, in that order). */
export function toClusterMetadata(snapshot: MetadataSnapshot, topics: readonly TopicSnapshot[]): ClusterMetadata {
  return {
    clusterId: snapshot.clusterId,
    controllerId: snapshot.controllerId,
    brokers: snapshot.brokers,
    topics: topics.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      isInternal: t.isInternal,
      partitions: t.partitions.map(({ error: _error, ...p }) => p),
    })),
  }
}
