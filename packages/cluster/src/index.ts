/**
 * @tributary/cluster — a replicated Tributary cluster: `ClusterNode` implements core's `Broker`
 * contract over Raft (one metadata group, one group per partition), serves remote clients and
 * peers over TCP, and moves partitions between nodes.
 */
export { ClusterNode } from './node/cluster-node'
export { resolveClusterNodeOptions } from './options'
export { defaultPartitionSnapshotOptions } from './replica/partition-snapshot'
export { MemoryPeerNetwork } from './server/peer-channel'
export { MetadataState, placeReplicas } from './metadata/metadata-state'

export type { ClusterNodeOptions, ResolvedClusterNodeOptions } from './options'
export type { PartitionSnapshotOptions } from './replica/partition-snapshot'
export type { PeerChannel, PeerHandler } from './server/peer-channel'
export type { ClusterTopic, MetadataCommand } from './metadata/metadata-state'
export type { ReplicaError } from './replica/local-replicas'
export type { ReassignmentResult } from './metadata/membership-admin'
export type { DeleteRecordsResult } from './paths/fetch-path'
