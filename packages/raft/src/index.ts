/**
 * @tributary/raft — a Raft consensus engine: a pure, deterministic core (etcd-style
 * Ready/advance), a runner hosting many groups per node, memory and file storage, in-memory and
 * TCP transports. The replicated broker built on it is @tributary/cluster.
 */

// The pure core.
export { Raft, bootstrapSnapshot } from './core/raft'
export { resolveRaftConfig, defaultRaftConfig } from './core/config'
export { Sfc32 } from './core/random'
export { isEmptyReady } from './core/ready'
export { applyConfChange, encodeConfEntry, decodeConfEntry, isVoter, isMember } from './core/membership'
export { EntryType, MessageType, NONE, emptyMessage } from './core/types'

// The runner and storage.
export { RaftHost } from './node/raft-host'
export { RaftNode } from './node/raft-node'
export { resolveGroupOptions, defaultGroupOptions } from './node/options'
export { MemoryRaftStorage } from './node/storage'
export { FileRaftStorage } from './node/file-storage'

// Transports.
export { MemoryNetwork, MemoryTransport, FaultDice, LinkTable } from './transport/memory'
export { TcpTransport } from './transport/tcp'
export { encodeMessage, decodeMessage } from './transport/codec'

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
export type { FaultModel } from './transport/memory'
