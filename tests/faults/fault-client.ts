import {
  TributaryError,
  iterateBatches,
  type Broker,
  type ClusterMetadata,
  type CreateTopicResult,
  type CreateTopicSpec,
  type FetchPartitionResult,
  type FetchRequest,
  type GroupAssignment,
  type GroupDescription,
  type GroupListing,
  type GroupMemberRef,
  type JoinGroupRequest,
  type JoinGroupResult,
  type LeaveGroupRequest,
  type ListOffsetsPartitionRequest,
  type ListOffsetsPartitionResult,
  type MetadataRequest,
  type OffsetCommitRequest,
  type OffsetFetchResult,
  type ProducePartitionResult,
  type ProduceRequest,
  type ProducerIdentity,
  type SyncGroupRequest,
  type TopicPartition,
} from '@tributary/core'
import type { ClusterNode } from '@tributary/cluster'
import type { MemoryCluster } from '@tributary/cluster/testing'

/**
 * FetchedRecord is one record a fetch response carried to a client, with the high watermark that
 * response reported for its partition.
 */
export interface FetchedRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key: string | null
  readonly value: string | null
  readonly highWatermark: number
}

/** ClientHooks observe what a ClusterClientBroker's client saw (all optional). */
export interface ClientHooks {
  /** onFetch receives every record each fetch returned (the consumer's view, for the visibility check). */
  readonly onFetch?: (records: FetchedRecord[]) => void
  /** onFetchError receives every partition a fetch answered with an error, the offset it asked for and the node that answered. */
  readonly onFetchError?: (result: FetchPartitionResult, offset: number, nodeId: number) => void
  /** onCommit receives every offset commit and its outcome (undefined: acknowledged). */
  readonly onCommit?: (request: OffsetCommitRequest, error: unknown) => void
}

/**
 * ClusterClientBroker is a Broker that reaches a MemoryCluster the way a client bootstrapped with
 * every node's address would: each call goes to the first live node of `preference`. A call whose
 * node crashes before it answers fails with a retriable LEADER_NOT_AVAILABLE, as a lost
 * connection does in the remote client, so the client's own retries carry it to another node.
 * There is no request timeout: a call the cluster never answers stays pending and shows in
 * `stalled()`. `hooks` observe fetched records and offset commits.
 */
export class ClusterClientBroker implements Broker {
  /** The calls not answered yet, with the node and the time they were made at. */
  private readonly inFlight = new Set<{ method: string; nodeId: number; atMs: number }>()

  constructor(
    private readonly cluster: MemoryCluster,
    private readonly preference: readonly number[],
    private readonly hooks: ClientHooks = {},
  ) {}

  /** nodeId is the node calls go to now (-1 while every node is down). */
  get nodeId(): number {
    return this.pick()?.nodeId ?? -1
  }

  metadata(request?: MetadataRequest): Promise<ClusterMetadata> {
    return this.call('metadata', (n) => n.metadata(request))
  }
  createTopics(topics: CreateTopicSpec[], options?: { validateOnly?: boolean }): Promise<CreateTopicResult[]> {
    return this.call('createTopics', (n) => n.createTopics(topics, options))
  }
  deleteTopics(topics: string[]): Promise<void> {
    return this.call('deleteTopics', (n) => n.deleteTopics(topics))
  }
  createPartitions(topic: string, totalCount: number, options?: { validateOnly?: boolean }): Promise<void> {
    return this.call('createPartitions', (n) => n.createPartitions(topic, totalCount, options))
  }
  describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    return this.call('describeConfigs', (n) => n.describeConfigs(topic))
  }
  alterConfigs(topic: string, entries: Array<{ name: string; value: string | null }>, options?: { validateOnly?: boolean }): Promise<void> {
    return this.call('alterConfigs', (n) => n.alterConfigs(topic, entries, options))
  }
  initProducerId(): Promise<ProducerIdentity> {
    return this.call('initProducerId', (n) => n.initProducerId())
  }
  produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    return this.call('produce', (n) => n.produce(request))
  }
  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    let servedBy = -1
    const results = await this.call('fetch', (n) => {
      servedBy = n.nodeId
      return n.fetch(request)
    })
    this.hooks.onFetch?.(results.flatMap(fetchedRecords))
    for (const r of results)
      if (r.error !== undefined)
        this.hooks.onFetchError?.(
          r,
          request.partitions.find((p) => p.topic === r.topic && p.partition === r.partition)?.offset ?? -1,
          servedBy,
        )
    return results
  }
  listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    return this.call('listOffsets', (n) => n.listOffsets(partitions))
  }
  deleteRecords(
    partitions: Array<{ topic: string; partition: number; offset: number }>,
  ): Promise<Array<{ topic: string; partition: number; lowWatermark: number; error?: TributaryError }>> {
    return this.call('deleteRecords', (n) => n.deleteRecords(partitions))
  }
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    return this.call('joinGroup', (n) => n.joinGroup(request))
  }
  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment> {
    return this.call('syncGroup', (n) => n.syncGroup(request))
  }
  heartbeat(request: GroupMemberRef): Promise<void> {
    return this.call('heartbeat', (n) => n.heartbeat(request))
  }
  leaveGroup(request: LeaveGroupRequest): Promise<void> {
    return this.call('leaveGroup', (n) => n.leaveGroup(request))
  }
  async commitOffsets(request: OffsetCommitRequest): Promise<void> {
    try {
      await this.call('commitOffsets', (n) => n.commitOffsets(request))
    } catch (error) {
      this.hooks.onCommit?.(request, error)
      throw error
    }
    this.hooks.onCommit?.(request, undefined)
  }
  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    return this.call('fetchOffsets', (n) => n.fetchOffsets(groupId, partitions))
  }
  listGroups(): Promise<GroupListing[]> {
    return this.call('listGroups', (n) => n.listGroups())
  }
  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return this.call('describeGroups', (n) => n.describeGroups(groupIds))
  }
  deleteGroups(groupIds: string[]): Promise<void> {
    return this.call('deleteGroups', (n) => n.deleteGroups(groupIds))
  }

  /** close does nothing: the cluster owns its nodes. */
  async close(): Promise<void> {}

  /** stalled describes the calls waiting for an answer for longer than `ms` (for failure reports). */
  stalled(ms: number): string[] {
    const now = Date.now()
    return [...this.inFlight].filter((c) => now - c.atMs > ms).map((c) => `${c.method} on node ${c.nodeId} for ${now - c.atMs} ms`)
  }

  private pick(): ClusterNode | undefined {
    for (const id of this.preference) {
      const node = this.cluster.nodes.get(id)
      if (node !== undefined) return node
    }
    return undefined
  }

  /** call runs `f` on a live node; the answer of a node that crashed meanwhile is lost. */
  private async call<T>(method: string, f: (node: ClusterNode) => Promise<T>): Promise<T> {
    const node = this.pick()
    if (node === undefined) throw connectionLost(-1)
    let value: T
    const entry = { method, nodeId: node.nodeId, atMs: Date.now() }
    this.inFlight.add(entry)
    try {
      value = await f(node)
    } catch (error) {
      if (this.cluster.nodes.get(node.nodeId) !== node) throw connectionLost(node.nodeId)
      throw error
    } finally {
      this.inFlight.delete(entry)
    }
    if (this.cluster.nodes.get(node.nodeId) !== node) throw connectionLost(node.nodeId)
    return value
  }
}

function connectionLost(nodeId: number): TributaryError {
  return new TributaryError('LEADER_NOT_AVAILABLE', nodeId === -1 ? 'no node is up' : `the connection to node ${nodeId} was lost`, {
    details: { nodeId },
  })
}

/** fetchedRecords lists the records one partition's fetch result carried. */
function fetchedRecords(r: FetchPartitionResult): FetchedRecord[] {
  if (r.error !== undefined) return []
  const out: FetchedRecord[] = []
  for (const batch of iterateBatches(r.batches)) {
    for (const rec of batch.records()) {
      out.push({
        topic: r.topic,
        partition: r.partition,
        offset: rec.offset,
        key: rec.key?.toString() ?? null,
        value: rec.value?.toString() ?? null,
        highWatermark: r.highWatermark,
      })
    }
  }
  return out
}

export { readLog, type LogRecord } from '@tributary/core/testing'
