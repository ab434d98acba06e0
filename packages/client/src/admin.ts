import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  TributaryError,
  type ConfigEntry,
  type GroupDescription,
  type GroupListing,
  type TopicPartition,
} from '@tributary/core'
import { assertOpen, type ClientContext } from './context'

/** ConfigResourceTypes are KafkaJS's resource type numbers; only TOPIC is supported. */
export const ConfigResourceTypes = Object.freeze({ UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const)

/** ITopicConfig is one topic to create, as KafkaJS takes it. */
export interface ITopicConfig {
  topic: string
  /** Default: the broker's numPartitions. */
  numPartitions?: number
  replicationFactor?: number
  configEntries?: ConfigEntry[]
}

/** PartitionOffsets is one partition's offsets: `offset` and `high` are the log end, `low` its start. */
export interface PartitionOffsets {
  partition: number
  offset: number
  high: number
  low: number
}

/** GroupPartitionOffset is a group's committed offset on one partition (-1: none) with its lag. */
export interface GroupPartitionOffset {
  partition: number
  offset: number
  metadata: string | null
  /** The partition's log end. */
  high: number
  /** Messages not yet consumed: high − max(committed, log start); from the log start when nothing is committed. */
  lag: number
}

/** ConfigDescription is one resource in `describeConfigs`, in KafkaJS's shape. */
export interface ConfigDescription {
  resourceName: string
  resourceType: number
  errorCode: number
  errorMessage: string | null
  configEntries: Array<{
    configName: string
    configValue: string
    isDefault: boolean
    configSource: number
    isSensitive: boolean
    readOnly: boolean
    configSynonyms: []
  }>
}

/**
 * Admin manages topics, configs, groups and offsets (KafkaJS's admin shape, number offsets).
 * Every method throws CLIENT_CLOSED after `tb.close()` and passes broker errors through.
 */
export class Admin {
  /** Use `tb.admin()`. */
  constructor(private readonly ctx: ClientContext) {}

  private get broker() {
    assertOpen(this.ctx.isClosed(), 'admin')
    return this.ctx.broker
  }

  /** connect and disconnect are no-ops kept for KafkaJS compatibility. */
  async connect(): Promise<void> {
    assertOpen(this.ctx.isClosed(), 'admin.connect')
  }
  async disconnect(): Promise<void> {}

  /**
   * createTopics creates topics; resolves true when all were created and false when some existed
   * (as KafkaJS). Throws INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_CONFIG, … for the first failure.
   */
  async createTopics(request: {
    topics: ITopicConfig[]
    validateOnly?: boolean
    waitForLeaders?: boolean
    timeout?: number
  }): Promise<boolean> {
    if (!request || !Array.isArray(request.topics)) throw new TributaryError('INVALID_ARGUMENT', 'createTopics takes { topics: [...] }')
    const results = await this.broker.createTopics(request.topics, { validateOnly: request.validateOnly === true })
    const failed = results.find((r) => r.error)
    if (failed?.error) throw failed.error
    return results.every((r) => r.created)
  }

  /** deleteTopics removes topics and their data. Throws UNKNOWN_TOPIC_OR_PARTITION for an unknown name. */
  async deleteTopics(request: { topics: string[]; timeout?: number }): Promise<void> {
    if (!request || !Array.isArray(request.topics)) throw new TributaryError('INVALID_ARGUMENT', 'deleteTopics takes { topics: [...] }')
    await this.broker.deleteTopics(request.topics)
  }

  /** listTopics names every topic except internal ones. */
  async listTopics(): Promise<string[]> {
    const metadata = await this.broker.metadata()
    return metadata.topics.filter((t) => !t.isInternal).map((t) => t.name)
  }

  /** fetchTopicMetadata describes topics (all when none given). Throws UNKNOWN_TOPIC_OR_PARTITION for an unknown one. */
  async fetchTopicMetadata(request: { topics?: string[] } = {}) {
    const metadata = await this.broker.metadata(request.topics ? { topics: request.topics } : {})
    return {
      topics: metadata.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionErrorCode: 0,
          partitionId: p.partition,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          offlineReplicas: p.offlineReplicas,
        })),
      })),
    }
  }

  /** describeCluster names the cluster, its nodes and the controller (the metadata leader; the node itself when single). */
  async describeCluster(): Promise<{
    clusterId: string
    controller: number
    brokers: Array<{ nodeId: number; host: string; port: number }>
  }> {
    const m = await this.broker.metadata({ topics: [] })
    return {
      clusterId: m.clusterId,
      controller: m.controllerId,
      brokers: m.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    }
  }

  /**
   * alterPartitionReassignments moves partitions' replicas to other nodes of a replicated cluster
   * (Kafka's AdminClient call; `replicas: null` cancels a move). It resolves once the moves are
   * recorded; they run in the background: see `listPartitionReassignments`.
   * Throws INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION, NO_REASSIGNMENT_IN_PROGRESS for
   * the first refused partition (details.results has them all), UNSUPPORTED_VERSION on a single node.
   */
  async alterPartitionReassignments(request: {
    topics: Array<{ topic: string; partitionAssignment: Array<{ partition: number; replicas: number[] | null }> }>
  }): Promise<void> {
    if (!request || !Array.isArray(request.topics))
      throw new TributaryError('INVALID_ARGUMENT', 'alterPartitionReassignments takes { topics: [{ topic, partitionAssignment: [...] }] }')
    const broker = this.broker
    if (broker.alterPartitionReassignments === undefined) throw unsupported('alterPartitionReassignments')
    const moves = request.topics.flatMap((t) => {
      if (!t || !Array.isArray(t.partitionAssignment))
        throw new TributaryError('INVALID_ARGUMENT', 'each topic needs a partitionAssignment array')
      return t.partitionAssignment.map((a) => ({ topic: t.topic, partition: a.partition, replicas: a.replicas }))
    })
    const results = await broker.alterPartitionReassignments(moves)
    const failed = results.find((r) => r.error)
    if (failed?.error) throw new TributaryError(failed.error.code, failed.error.message, { details: { ...failed.error.details, results } })
  }

  /** listPartitionReassignments lists the partition moves still running, grouped by topic. */
  async listPartitionReassignments(): Promise<{
    topics: Array<{
      topic: string
      partitions: Array<{ partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }>
    }>
  }> {
    const broker = this.broker
    if (broker.listPartitionReassignments === undefined) return { topics: [] }
    const byTopic = new Map<
      string,
      Array<{ partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }>
    >()
    for (const { topic, ...rest } of await broker.listPartitionReassignments()) byTopic.set(topic, [...(byTopic.get(topic) ?? []), rest])
    return {
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a.partition - b.partition) })),
    }
  }

  /**
   * unregisterBroker removes a node that hosts no replica from a replicated cluster (move its
   * replicas away first); close that node afterwards. Throws BROKER_NOT_AVAILABLE, INVALID_REQUEST.
   */
  async unregisterBroker(nodeId: number): Promise<void> {
    const broker = this.broker
    if (broker.unregisterBroker === undefined) throw unsupported('unregisterBroker')
    await broker.unregisterBroker(nodeId)
  }

  /** createPartitions raises each topic's partition count to `count` (the new total). */
  async createPartitions(request: { topicPartitions: Array<{ topic: string; count: number }>; validateOnly?: boolean }): Promise<boolean> {
    for (const { topic, count } of request.topicPartitions) {
      await this.broker.createPartitions(topic, count, { validateOnly: request.validateOnly === true })
    }
    return true
  }

  /** fetchTopicOffsets returns each partition's log start (`low`) and end (`offset` = `high`). */
  async fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const partitions = await this.partitionsOf(topic)
    const [high, low] = await Promise.all([
      this.listOffsets(partitions, LATEST_TIMESTAMP),
      this.listOffsets(partitions, EARLIEST_TIMESTAMP),
    ])
    return partitions.map((tp, i) => ({
      partition: tp.partition,
      offset: high[i] as number,
      high: high[i] as number,
      low: low[i] as number,
    }))
  }

  /** fetchTopicOffsetsByTimestamp returns, per partition, the first offset with a timestamp ≥ `timestampMs` (the log end when none). */
  async fetchTopicOffsetsByTimestamp(topic: string, timestampMs?: number): Promise<Array<{ partition: number; offset: number }>> {
    const partitions = await this.partitionsOf(topic)
    if (timestampMs === undefined) return (await this.fetchTopicOffsets(topic)).map(({ partition, offset }) => ({ partition, offset }))
    const [byTime, high] = await Promise.all([this.listOffsets(partitions, timestampMs), this.listOffsets(partitions, LATEST_TIMESTAMP)])
    return partitions.map((tp, i) => ({ partition: tp.partition, offset: byTime[i] === -1 ? (high[i] as number) : (byTime[i] as number) }))
  }

  /** describeConfigs lists topic configs in KafkaJS's shape (`configNames` filters). BROKER resources are INVALID_REQUEST. */
  async describeConfigs(request: { resources: Array<{ type: number; name: string; configNames?: string[] }>; includeSynonyms?: boolean }) {
    const resources: ConfigDescription[] = []
    for (const r of request.resources) {
      if (r.type !== ConfigResourceTypes.TOPIC)
        throw new TributaryError('INVALID_REQUEST', `Only TOPIC config resources are supported, got type ${r.type}`)
      const entries = await this.broker.describeConfigs(r.name)
      const wanted = r.configNames && r.configNames.length > 0 ? new Set(r.configNames) : null
      resources.push({
        resourceName: r.name,
        resourceType: r.type,
        errorCode: 0,
        errorMessage: null,
        configEntries: entries
          .filter((e) => !wanted || wanted.has(e.name))
          .map((e) => ({
            configName: e.name,
            configValue: e.value,
            isDefault: e.isDefault,
            configSource: e.isDefault ? 5 : 1,
            isSensitive: false,
            readOnly: false,
            configSynonyms: [],
          })),
      })
    }
    return { resources, throttleTime: 0 }
  }

  /**
   * alterConfigs sets topic config overrides (Kafka names); a null value resets one to its default.
   * Unlike Kafka's legacy AlterConfigs, entries not named are left as they are (incremental).
   */
  async alterConfigs(request: {
    validateOnly?: boolean
    resources: Array<{ type: number; name: string; configEntries: Array<{ name: string; value: string | null }> }>
  }): Promise<void> {
    for (const r of request.resources) {
      if (r.type !== ConfigResourceTypes.TOPIC)
        throw new TributaryError('INVALID_REQUEST', `Only TOPIC config resources are supported, got type ${r.type}`)
      await this.broker.alterConfigs(r.name, r.configEntries, { validateOnly: request.validateOnly === true })
    }
  }

  /** listGroups lists every consumer group with its state. */
  async listGroups(): Promise<{ groups: GroupListing[] }> {
    return { groups: await this.broker.listGroups() }
  }

  /** describeGroups describes groups, members and assignments. */
  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    return { groups: await this.broker.describeGroups(groupIds) }
  }

  /** deleteGroups removes empty groups and their offsets. Throws NON_EMPTY_GROUP for a group with members. */
  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    await this.broker.deleteGroups(groupIds)
    return groupIds.map((groupId) => ({ groupId, errorCode: 0 }))
  }

  /**
   * fetchOffsets returns a group's committed offsets (-1: none) with each partition's log end and
   * lag, for `topics` (default: every topic the group has committed to).
   */
  async fetchOffsets(request: {
    groupId: string
    topics?: string[]
  }): Promise<Array<{ topic: string; partitions: GroupPartitionOffset[] }>> {
    const topics = request.topics ?? [...new Set((await this.broker.fetchOffsets(request.groupId)).map((o) => o.topic))]
    const out: Array<{ topic: string; partitions: GroupPartitionOffset[] }> = []
    for (const topic of topics) {
      const offsets = await this.fetchTopicOffsets(topic)
      const committed = await this.broker.fetchOffsets(
        request.groupId,
        offsets.map((o) => ({ topic, partition: o.partition })),
      )
      out.push({
        topic,
        partitions: offsets.map(({ partition, high, low }) => {
          const c = committed.find((x) => x.partition === partition)
          const offset = c?.offset ?? -1
          return { partition, offset, metadata: c?.metadata ?? null, high, lag: Math.max(0, high - Math.max(offset, low)) }
        }),
      })
    }
    return out
  }

  /** setOffsets commits offsets for a group with no members. Throws NON_EMPTY_GROUP otherwise. */
  async setOffsets(request: { groupId: string; topic: string; partitions: Array<{ partition: number; offset: number }> }): Promise<void> {
    await this.requireEmptyGroup(request.groupId)
    for (const p of request.partitions) {
      if (!Number.isSafeInteger(p.offset) || p.offset < 0)
        throw new TributaryError('INVALID_ARGUMENT', `offset must be a non-negative integer, got ${String(p.offset)}`)
    }
    await this.broker.commitOffsets({
      groupId: request.groupId,
      generationId: -1,
      memberId: '',
      offsets: request.partitions.map((p) => ({ topic: request.topic, partition: p.partition, offset: p.offset })),
    })
  }

  /** resetOffsets moves an empty group to the log end (default) or start (`earliest`) of every partition of `topic`. */
  async resetOffsets(request: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    const offsets = await this.fetchTopicOffsets(request.topic)
    const partitions = offsets.map((o) => ({ partition: o.partition, offset: request.earliest ? o.low : o.high }))
    await this.setOffsets({ groupId: request.groupId, topic: request.topic, partitions })
  }

  /** deleteTopicRecords deletes records before each given offset (-1: the log end). */
  async deleteTopicRecords(request: { topic: string; partitions: Array<{ partition: number; offset: number }> }): Promise<void> {
    const results = await this.broker.deleteRecords(
      request.partitions.map((p) => ({ topic: request.topic, partition: p.partition, offset: p.offset })),
    )
    const failed = results.find((r) => r.error)
    if (failed?.error) throw failed.error
  }

  private async requireEmptyGroup(groupId: string): Promise<void> {
    const [group] = await this.broker.describeGroups([groupId])
    if (group && group.state !== 'Empty' && group.state !== 'Dead') {
      throw new TributaryError('NON_EMPTY_GROUP', `Group '${groupId}' has active members (${group.state}); stop its consumers first`)
    }
  }

  private async partitionsOf(topic: string): Promise<TopicPartition[]> {
    const metadata = await this.broker.metadata({ topics: [topic] })
    const t = metadata.topics[0]
    return (t?.partitions ?? []).map((p) => ({ topic, partition: p.partition }))
  }

  private async listOffsets(partitions: TopicPartition[], timestamp: number): Promise<number[]> {
    const results = await this.broker.listOffsets(partitions.map((tp) => ({ ...tp, timestamp })))
    return results.map((r) => {
      if (r.error) throw r.error
      return r.offset
    })
  }
}

function unsupported(call: string): TributaryError {
  return new TributaryError('UNSUPPORTED_VERSION', `${call} needs a replicated cluster (ClusterNode); this broker is a single node`)
}
