import {
  systemClock,
  type Broker,
  type ClusterMetadata,
  type Clock,
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
  type TributaryError,
} from '@tributary/core'
import { ClusterConnection } from './connection'
import { resolveConnectOptions, type ConnectOptions } from './options'

/**
 * RemoteBroker implements core's `Broker` contract over TCP against a cluster's nodes (each
 * ClusterNode serves it on its `listen` address), so `Tributary.connect` gives the usual producer,
 * consumer and admin API to an application that hosts no node. Each call is one request; the
 * node that receives it forwards what it does not lead. Errors arrive as the TributaryErrors the
 * node threw (same code, retriable flag and details).
 *
 * Batches cross a network, so `verifiesFetchedBatches` is false: the consumer checks CRCs.
 */
export class RemoteBroker implements Broker {
  /** nodeId is -1: a remote broker stands for the whole cluster, not one node. */
  readonly nodeId = -1
  readonly verifiesFetchedBatches = false
  private readonly connection: ClusterConnection

  /** @throws TributaryError INVALID_CONFIG for bad options (no connection is made until the first call). */
  constructor(options: ConnectOptions, clock: Clock = systemClock) {
    this.connection = new ClusterConnection(resolveConnectOptions(options), clock)
  }

  private call<T>(method: string, args: unknown[], extraWaitMs = 0, signal?: AbortSignal): Promise<T> {
    // JSON turns an undefined argument into null, which would defeat the server's defaults.
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop()
    return this.connection.call(method, args, extraWaitMs, signal) as Promise<T>
  }

  metadata(request?: MetadataRequest): Promise<ClusterMetadata> {
    return this.call('metadata', [request])
  }
  createTopics(topics: CreateTopicSpec[], options?: { validateOnly?: boolean }): Promise<CreateTopicResult[]> {
    return this.call('createTopics', [topics, options])
  }
  deleteTopics(topics: string[]): Promise<void> {
    return this.call('deleteTopics', [topics])
  }
  createPartitions(topic: string, totalCount: number, options?: { validateOnly?: boolean }): Promise<void> {
    return this.call('createPartitions', [topic, totalCount, options])
  }
  describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    return this.call('describeConfigs', [topic])
  }
  alterConfigs(topic: string, entries: Array<{ name: string; value: string | null }>, options?: { validateOnly?: boolean }): Promise<void> {
    return this.call('alterConfigs', [topic, entries, options])
  }
  initProducerId(): Promise<ProducerIdentity> {
    return this.call('initProducerId', [])
  }
  produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    return this.call('produce', [request], request.timeoutMs)
  }
  fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    // The signal is not sent (it cannot cross); aborting sends a $cancel for the request instead.
    const { signal, ...rest } = request
    return this.call('fetch', [rest], request.maxWaitMs, signal)
  }
  listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    return this.call('listOffsets', [partitions])
  }
  deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>): Promise<Array<{ topic: string; partition: number; lowWatermark: number; error?: TributaryError }>> {
    return this.call('deleteRecords', [partitions])
  }
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    // A join is held until the rebalance completes.
    return this.call('joinGroup', [request], request.rebalanceTimeoutMs)
  }
  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment> {
    return this.call('syncGroup', [request])
  }
  heartbeat(request: GroupMemberRef): Promise<void> {
    return this.call('heartbeat', [request])
  }
  leaveGroup(request: LeaveGroupRequest): Promise<void> {
    return this.call('leaveGroup', [request])
  }
  commitOffsets(request: OffsetCommitRequest): Promise<void> {
    return this.call('commitOffsets', [request])
  }
  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    return this.call('fetchOffsets', [groupId, partitions])
  }
  listGroups(): Promise<GroupListing[]> {
    return this.call('listGroups', [])
  }
  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return this.call('describeGroups', [groupIds])
  }
  deleteGroups(groupIds: string[]): Promise<void> {
    return this.call('deleteGroups', [groupIds])
  }

  /** close drops the connection; pending and later calls fail with CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.connection.close()
  }
}
