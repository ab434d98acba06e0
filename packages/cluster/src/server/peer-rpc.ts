import type {
  BrokerRpc,
  FetchPartitionResult,
  FetchRequest,
  ListOffsetsPartitionRequest,
  ListOffsetsPartitionResult,
  ProducePartitionResult,
  ProduceRequest,
  RpcArgs,
  RpcMethod,
  RpcResult,
} from '@tributary/core'
import type { BrokerAddress } from '../metadata/metadata-state'
import type { ClusterNode } from '../node/cluster-node'
import type { DeleteRecordsResult } from '../paths/fetch-path'

/*
 * The calls cluster nodes make of each other (over TcpPeerChannel's wire connections, as
 * `peer:<method>` on the wire, or MemoryPeerNetwork in tests), as one interface from which the
 * peer channel's call signature is derived: a method that is not here does not compile, and every
 * answer has its type. A node serves them in peer-requests.ts.
 */

/** MetaMethod names the ClusterNode methods that run on the metadata leader (forwarded as `meta:<method>`). */
export type MetaMethod =
  | 'createTopics'
  | 'deleteTopics'
  | 'createPartitions'
  | 'alterConfigs'
  | 'initProducerId'
  | 'alterPartitionReassignments'
  | 'unregisterBroker'
  | 'completeReassignment'
  | 'registerBroker'
  /** A read barrier: answers the leader's applied index (see `MetadataGroup.catchUp`). */
  | 'syncMetadata'

/** MetaApi is what each MetaMethod takes and answers on the metadata leader. */
export type MetaApi = Pick<ClusterNode, Exclude<MetaMethod, 'syncMetadata'>> & { syncMetadata(): Promise<void> }

/** GroupMethod names the group coordinator calls a node forwards to the metadata leader (as `group:<method>`). */
export type GroupMethod =
  | 'joinGroup'
  | 'syncGroup'
  | 'heartbeat'
  | 'leaveGroup'
  | 'commitOffsets'
  | 'fetchOffsets'
  | 'listGroups'
  | 'describeGroups'
  | 'deleteGroups'

/** PeerDataCalls are the partition calls a node forwards to a partition's leader, and a new node's admission. */
export interface PeerDataCalls {
  produce(request: ProduceRequest): Promise<ProducePartitionResult[]>
  fetch(request: FetchRequest): Promise<FetchPartitionResult[]>
  listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]>
  deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>): Promise<DeleteRecordsResult[]>
  /** join asks a member of the cluster to admit a new node (it registers the node's address). */
  join(nodeId: number, address: BrokerAddress): Promise<void>
}

/** MetaCalls: `meta:<method>` runs a metadata change on the leader and answers with the index to wait for. */
export type MetaCalls = {
  [K in MetaMethod as `meta:${K}`]: (...args: RpcArgs<MetaApi, K>) => Promise<{ value: RpcResult<MetaApi, K>; index: number }>
}

/** GroupCalls: `group:<method>` is a call to the group coordinator on the metadata leader. */
export type GroupCalls = { [K in GroupMethod as `group:${K}`]: BrokerRpc[K] }

/** PeerRpc is every call one node makes of another. */
export type PeerRpc = PeerDataCalls & MetaCalls & GroupCalls

/** PeerMethod names a PeerRpc call. */
export type PeerMethod = RpcMethod<PeerRpc>
