import type { TributaryError } from './errors'
import type { HistogramSnapshot } from './histogram'
import type { Acks, TopicPartition } from './model'
import type { StorageStats } from './storage'
import type { ConfigEntry } from './topic-config'

/**
 * The broker contract: everything a client asks of a node. `LocalBroker` implements it for one
 * node over a `Storage`; the Raft cluster node implements it for a replicated cluster; a remote
 * client reaches a node over TCP through the same shape. All calls are asynchronous and their
 * arguments and results are plain data (Buffers for batches), so they can cross a process boundary.
 *
 * Per-partition failures come back as `error` fields in results (as Kafka's per-partition error
 * codes do); failures of the whole request are thrown as `TributaryError`.
 */

/** CreateTopicSpec is one topic to create. */
export interface CreateTopicSpec {
  topic: string
  /** Defaults to the broker's `numPartitions` (Kafka's `num.partitions`, 1). */
  numPartitions?: number
  /** Defaults to the broker's default replication factor (1 on a single node). */
  replicationFactor?: number
  configEntries?: ConfigEntry[]
}

/** CreateTopicResult says whether a topic was created (false: it already existed). */
export interface CreateTopicResult {
  topic: string
  created: boolean
  error?: TributaryError
}

/** PartitionMetadata describes one partition's placement. */
export interface PartitionMetadata {
  partition: number
  /** Node id of the leader; -1 while none is elected. */
  leader: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
}

/** TopicMetadata describes one topic. */
export interface TopicMetadata {
  name: string
  topicId: string
  isInternal: boolean
  partitions: PartitionMetadata[]
}

/** NodeInfo is one node of the cluster as metadata lists it. */
export interface NodeInfo {
  nodeId: number
  host: string
  port: number
}

/** ClusterMetadata answers a metadata request. */
export interface ClusterMetadata {
  clusterId: string
  controllerId: number
  brokers: NodeInfo[]
  topics: TopicMetadata[]
}

/** MetadataRequest asks for some topics (all when `topics` is omitted). */
export interface MetadataRequest {
  topics?: string[]
  /** Create unknown topics (with the broker defaults) instead of failing; default false. */
  allowAutoTopicCreation?: boolean
}

/** ProducePartitionData is one encoded record batch for one partition. */
export interface ProducePartitionData {
  topic: string
  partition: number
  /** One Kafka v2 record batch; the broker assigns its base offset. */
  batch: Buffer
}

/** ProduceRequest writes batches to partitions with one durability level. */
export interface ProduceRequest {
  acks: Acks
  /** How long to wait for `acks` before REQUEST_TIMED_OUT. */
  timeoutMs: number
  partitions: ProducePartitionData[]
  /**
   * forward: a cluster node that does not lead a partition forwards its batch to the leader
   * (default true, for in-process clients that can reach no other node); false answers
   * NOT_LEADER_OR_FOLLOWER with `details.leaderId` instead, for clients that route by leader.
   */
  forward?: boolean
}

/** ProducePartitionResult is one partition's outcome. */
export interface ProducePartitionResult {
  topic: string
  partition: number
  /** Offset of the batch's first record; -1 with acks=0 or on error. */
  baseOffset: number
  /** Append time under LogAppendTime, else -1. */
  logAppendTime: number
  logStartOffset: number
  error?: TributaryError
}

/** FetchPartitionRequest reads one partition from an offset. */
export interface FetchPartitionRequest {
  topic: string
  partition: number
  offset: number
  /** Byte budget for this partition; at least one batch is always returned. */
  maxBytes: number
}

/** FetchRequest reads several partitions, waiting up to `maxWaitMs` for at least `minBytes`. */
export interface FetchRequest {
  partitions: FetchPartitionRequest[]
  maxWaitMs: number
  /** Default 1: return as soon as any data is available. */
  minBytes?: number
  /** Byte budget for the whole response. */
  maxBytes?: number
  /**
   * Aborting ends the wait early with whatever is available. A consumer passes the same signal to
   * many fetches until it aborts it, so a fetch removes any listener it adds before it returns.
   */
  signal?: AbortSignal
  /**
   * forward: a cluster node asks a partition's leader for what it cannot serve itself (default
   * true, for in-process clients); false answers NOT_LEADER_OR_FOLLOWER with `details.leaderId` for
   * every partition it does not lead, for clients that route by leader (Kafka clients).
   */
  forward?: boolean
}

/** FetchPartitionResult carries whole batches for one partition. */
export interface FetchPartitionResult {
  topic: string
  partition: number
  /** One past the last offset consumers may read (the high watermark). */
  highWatermark: number
  logStartOffset: number
  /** Whole batches; the first may start before the requested offset. */
  batches: Buffer[]
  error?: TributaryError
}

/** ListOffsetsPartitionRequest asks for an offset by timestamp (or LATEST/EARLIEST_TIMESTAMP). */
export interface ListOffsetsPartitionRequest {
  topic: string
  partition: number
  timestamp: number
}

/** ListOffsetsPartitionResult: the first offset with a timestamp ≥ the one asked (-1: none). */
export interface ListOffsetsPartitionResult {
  topic: string
  partition: number
  offset: number
  timestamp: number
  error?: TributaryError
}

/** ProducerIdentity is an idempotent producer's id and epoch. */
export interface ProducerIdentity {
  producerId: number
  producerEpoch: number
}

/** GroupSubscription is what a member tells the group about itself when joining. */
export interface GroupSubscription {
  topics: string[]
  /** Partitions the member owned in the previous generation (for sticky assignment). */
  ownedPartitions?: TopicPartition[]
  userData?: Buffer | null
}

/**
 * GroupProtocol is one assignment strategy a member supports, with its subscription.
 *
 * Kafka clients describe themselves in opaque bytes (`metadata`: for protocol type "consumer",
 * Kafka's ConsumerProtocol subscription; for others, such as Kafka Connect's "connect", anything);
 * the coordinator hands them to the group leader untouched. `subscription` is what Tributary reads
 * of them (the topics, so a partition change can rebalance the group); for non-consumer groups it
 * lists no topics.
 */
export interface GroupProtocol {
  name: string
  subscription: GroupSubscription
  /** The member's protocol metadata exactly as its Kafka client sent it; absent from Tributary's own clients. */
  metadata?: Buffer
}

/**
 * GroupAssignment is what a member receives: partitions per topic, and, when the leader is a Kafka
 * client, the assignment bytes exactly as it wrote them (`raw`), passed to the member untouched.
 */
export interface GroupAssignment {
  assignment: Record<string, number[]>
  userData?: Buffer | null
  /** The leader's assignment bytes for this member (opaque; ConsumerProtocol for "consumer" groups). */
  raw?: Buffer
}

/** JoinGroupRequest joins (or re-joins) a consumer group. */
export interface JoinGroupRequest {
  groupId: string
  /** '' on the first join; the coordinator assigns one. */
  memberId: string
  /** Static membership (KIP-345): a stable id that keeps the assignment across restarts. */
  groupInstanceId?: string | null
  clientId: string
  /** The client's host as DescribeGroups reports it; default ''. */
  clientHost?: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: GroupProtocol[]
  /**
   * Kafka's JoinGroup v4+ handshake (KIP-394): a first join with memberId '' and no instance id
   * fails with MEMBER_ID_REQUIRED whose `details.memberId` is the id to join with, so a join lost
   * on the network leaves no ghost member. Default false (in-process callers join in one call).
   */
  requireKnownMemberId?: boolean
}

/** JoinGroupMember is a member as the leader sees it in the join response. */
export interface JoinGroupMember {
  memberId: string
  groupInstanceId: string | null
  subscription: GroupSubscription
  /** The member's protocol metadata as its Kafka client sent it (see GroupProtocol). */
  metadata?: Buffer
}

/** JoinGroupResult completes a join once the rebalance has gathered its members. */
export interface JoinGroupResult {
  generationId: number
  protocolName: string
  leaderId: string
  memberId: string
  /** Every member with its subscription; filled only for the leader. */
  members: JoinGroupMember[]
}

/** SyncGroupRequest sends (from the leader) or fetches (from the others) the assignment. */
export interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
  /** The leader's assignment for every member; empty from followers. */
  assignments: Array<{ memberId: string; assignment: GroupAssignment }>
}

/** GroupMemberRef names a member in a given generation. */
export interface GroupMemberRef {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
}

/** LeaveGroupRequest removes members (by member id, or by instance id for static members). */
export interface LeaveGroupRequest {
  groupId: string
  members: Array<{ memberId: string; groupInstanceId?: string | null }>
}

/** OffsetCommitEntry is one offset to commit: the next offset to read. */
export interface OffsetCommitEntry {
  topic: string
  partition: number
  offset: number
  metadata?: string | null
}

/** OffsetCommitRequest commits offsets; `generationId` -1 with memberId '' is a commit from outside the group (admin). */
export interface OffsetCommitRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
  offsets: OffsetCommitEntry[]
}

/** OffsetFetchResult is one committed offset (-1 when none). */
export interface OffsetFetchResult {
  topic: string
  partition: number
  offset: number
  metadata: string | null
}

/** GroupState is a consumer group's state, with Kafka's names. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

/** GroupDescription describes a group and its members. */
export interface GroupDescription {
  groupId: string
  state: GroupState
  protocolType: string
  protocol: string
  generationId: number
  members: Array<{
    memberId: string
    groupInstanceId: string | null
    clientId: string
    /** The client's host, when known (Kafka clients). */
    clientHost?: string
    subscription: GroupSubscription | null
    /** The raw protocol metadata of the group's protocol, when the member is a Kafka client. */
    metadata?: Buffer
    assignment: GroupAssignment | null
  }>
}

/** GroupListing is a group in `listGroups`. */
export interface GroupListing {
  groupId: string
  protocolType: string
  state: GroupState
}

/**
 * PartitionReassignment asks to move one partition's replicas to `replicas` (Kafka's
 * AlterPartitionReassignments); `replicas: null` cancels a move in progress.
 */
export interface PartitionReassignment {
  topic: string
  partition: number
  replicas: number[] | null
}

/** OngoingReassignment is a partition whose replicas are moving (Kafka's ListPartitionReassignments). */
export interface OngoingReassignment {
  topic: string
  partition: number
  /** Every node that holds a replica while the move runs: the current ones and the target ones. */
  replicas: number[]
  addingReplicas: number[]
  removingReplicas: number[]
}

/**
 * Broker is what a client talks to. Implementations: `LocalBroker` (one node), the Raft cluster
 * node, and a remote stub over TCP.
 */
export interface Broker {
  /** Node id of this broker. */
  readonly nodeId: number
  /**
   * True when every batch `fetch` returns has passed its CRC-32C check in this process (a broker
   * reading its own storage), so a client in the same process need not check it again. A broker
   * whose batches crossed a network leaves it false or undefined.
   */
  readonly verifiesFetchedBatches?: boolean
  /**
   * True when `fetch` is a call into this process (no network round trip), so that a consumer
   * gains nothing by asking for much per partition per fetch: it may ask for less (and often)
   * to keep the bytes waiting in its buffers few. A remote broker leaves it false or undefined.
   */
  readonly fetchesInProcess?: boolean
  /**
   * True when `produce` has copied every batch out of the request's buffers (to its storage) by the
   * time it returns its promise, and keeps no reference to them: the caller may then reuse those
   * buffers (the Kafka protocol server reassembles its next request in the same memory). A broker
   * that holds on to them (memory storage, a Raft log) leaves it false or undefined.
   */
  readonly copiesProducedBatches?: boolean

  metadata(request?: MetadataRequest): Promise<ClusterMetadata>
  createTopics(topics: CreateTopicSpec[], options?: { validateOnly?: boolean }): Promise<CreateTopicResult[]>
  /** deleteTopics removes topics and their data; unknown names are UNKNOWN_TOPIC_OR_PARTITION. */
  deleteTopics(topics: string[]): Promise<void>
  /** createPartitions raises a topic's partition count to `totalCount` (never lowers it). */
  createPartitions(topic: string, totalCount: number, options?: { validateOnly?: boolean }): Promise<void>
  /** describeConfigs lists a topic's effective configs with Kafka names. */
  describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>>
  /** alterConfigs sets (value string) or resets (value null) config overrides. */
  alterConfigs(topic: string, entries: Array<{ name: string; value: string | null }>, options?: { validateOnly?: boolean }): Promise<void>

  /** initProducerId hands out a new idempotent producer identity. */
  initProducerId(): Promise<ProducerIdentity>
  produce(request: ProduceRequest): Promise<ProducePartitionResult[]>
  fetch(request: FetchRequest): Promise<FetchPartitionResult[]>
  listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]>
  /** deleteRecords moves a partition's log start offset forward (Kafka's DeleteRecords). */
  deleteRecords(
    partitions: Array<{ topic: string; partition: number; offset: number }>,
  ): Promise<Array<{ topic: string; partition: number; lowWatermark: number; error?: TributaryError }>>

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult>
  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment>
  heartbeat(request: GroupMemberRef): Promise<void>
  leaveGroup(request: LeaveGroupRequest): Promise<void>
  commitOffsets(request: OffsetCommitRequest): Promise<void>
  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]>
  listGroups(): Promise<GroupListing[]>
  describeGroups(groupIds: string[]): Promise<GroupDescription[]>
  /** deleteGroups removes empty groups and their offsets (NON_EMPTY_GROUP otherwise). */
  deleteGroups(groupIds: string[]): Promise<void>

  /**
   * alterPartitionReassignments (replicated clusters only) starts moving partitions' replicas;
   * it returns once each move is recorded, one result per request, and the moves run in the
   * background (see `listPartitionReassignments`).
   */
  alterPartitionReassignments?(
    reassignments: PartitionReassignment[],
  ): Promise<Array<{ topic: string; partition: number; error?: TributaryError }>>
  /** listPartitionReassignments lists the moves still running (replicated clusters only). */
  listPartitionReassignments?(): Promise<OngoingReassignment[]>
  /** unregisterBroker removes a node that hosts no replica from the cluster (replicated clusters only). */
  unregisterBroker?(nodeId: number): Promise<void>

  /**
   * stats reports the node's own view for metrics and consoles: its storage and, for a cluster
   * node, Raft and replication (optional: a remote stub has none). Cheap and synchronous.
   */
  stats?(): BrokerStats

  /** close stops background work and closes the storage; later calls throw CLIENT_CLOSED. */
  close(): Promise<void>
}

/** BrokerStats is what `Broker.stats()` reports. */
export interface BrokerStats {
  nodeId: number
  storage?: StorageStats
  cluster?: ClusterStats
}

/** RaftGroupStats is one Raft group as this node sees it. */
export interface RaftGroupStats {
  /** The group: 'metadata', or the partition's group id. */
  groupId: string
  role: string
  term: number
  /** The leader's node id (0: none known). */
  leader: number
  commitIndex: number
  appliedIndex: number
  lastIndex: number
  voters: number[]
  learners: number[]
}

/** PartitionReplicaStats is one partition replica this node hosts. */
export interface PartitionReplicaStats {
  topic: string
  partition: number
  raft: RaftGroupStats
  /** On the leader: each follower's lag in Raft entries behind the leader's log, and whether it is in sync. */
  followers: Array<{ nodeId: number; lagEntries: number; inSync: boolean }>
}

/** ClusterStats is a cluster node's Raft and replication view. */
export interface ClusterStats {
  metadata: RaftGroupStats
  partitions: PartitionReplicaStats[]
  /** Times a group this node hosts saw its leader change (elections and hand-overs). */
  leaderChanges: number
  /** Time from proposing a produced batch to its commit, on the leader, in seconds. */
  raftCommitLatencySeconds: HistogramSnapshot
  /** Every registered node: its client and Kafka addresses, and when its last Raft message arrived (ms ago; -1: never, or this node). */
  nodes: Array<{ nodeId: number; host: string; port: number; kafka: { host: string; port: number } | null; lastHeardMsAgo: number }>
}
