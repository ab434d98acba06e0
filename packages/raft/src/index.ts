/**
 * @tributary/raft — a Raft consensus engine: a pure, deterministic core (etcd-style
 * Ready/advance), a runner hosting many groups per node, memory and file storage, in-memory and
 * TCP transports, and the deterministic simulation harness that checks it.
 */

// The pure core.
export { Raft, bootstrapSnapshot } from './core/raft'
export { resolveRaftConfig, defaultRaftConfig } from './core/config'
export { Sfc32 } from './core/random'
export { isEmptyReady } from './core/ready'
export { applyConfChange, encodeConfEntry, decodeConfEntry, isVoter, isMember } from './core/membership'
export { EntryType, MessageType, NONE } from './core/types'

// The runner and storage.
export { RaftHost } from './node/raft-host'
export { RaftNode } from './node/raft-node'
export { resolveGroupOptions, defaultGroupOptions } from './node/options'
export { MemoryRaftStorage } from './node/storage'
export { FileRaftStorage } from './node/file-storage'

// Transports.
export { MemoryNetwork, MemoryTransport } from './transport/memory'
export { TcpTransport } from './transport/tcp'
export { encodeMessage, decodeMessage } from './transport/codec'

// The replicated cluster: a Broker over Raft groups.
export { ClusterNode } from './cluster/cluster-node'
export { resolveClusterNodeOptions } from './cluster/options'
export { defaultPartitionSnapshotOptions } from './cluster/partition-snapshot'
export { MemoryPeerNetwork } from './cluster/peer-channel'
export { MetadataState, placeReplicas } from './cluster/metadata-state'

// The simulation harness (for tests of code built on Raft).
export { Simulation, runSeed, SimFailure } from './sim/simulation'
export { Cluster as SimCluster } from './sim/cluster'
export { SafetyChecker, SafetyViolation } from './sim/checker'

export type { RaftConfig } from './core/config'
export type { RaftInit, ProposeResult, ProposeFailure, CommitStall } from './core/raft'
export type { RandomSource } from './core/random'
export type { Ready } from './core/ready'
export type { ConfChange, ConfChangeType } from './core/membership'
export type { Entry, HardState, Membership, Message, NodeId, RaftRole, ReadState, Snapshot, SnapshotMeta, SoftState } from './core/types'
export type { RaftHostOptions } from './node/raft-host'
export type { RaftNodeStatus, RaftNodeEvents } from './node/raft-node'
export type { RaftGroupOptions, RaftLogger, RestoreContext, StateMachine } from './node/options'
export type { RaftStorage, PersistUpdate } from './node/storage'
export type { Transport, InboundHandler } from './transport/transport'
export type { TcpTransportOptions, PeerAddress } from './transport/tcp'
export type { ClusterNodeOptions, ResolvedClusterNodeOptions } from './cluster/options'
export type { PartitionSnapshotOptions } from './cluster/partition-snapshot'
export type { PeerChannel, PeerHandler } from './cluster/peer-channel'
export type { ClusterTopic, MetadataCommand } from './cluster/metadata-state'
export type { SimParams, SimResult } from './sim/simulation'
export type { ClusterOptions as SimClusterOptions } from './sim/cluster'
