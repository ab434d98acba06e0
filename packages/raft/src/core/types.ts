/**
 * Types shared by the pure Raft core, the runner and the transports. Everything here is plain
 * data so that a message or an entry can be encoded, copied and compared without surprises.
 */

/** NodeId names a replica; ids are positive integers and are never reused. `0` means "none". */
export type NodeId = number

/** NONE is the NodeId that stands for "no node" (no vote cast, leader unknown). */
export const NONE: NodeId = 0

/** EntryType tells a normal (application) entry from a membership change. */
export const EntryType = { Normal: 0, ConfChange: 1 } as const
/** EntryType is the numeric kind of a log entry. */
export type EntryType = (typeof EntryType)[keyof typeof EntryType]

/** Entry is one slot of the replicated log. `data` is empty for a leader's no-op. */
export interface Entry {
  readonly index: number
  readonly term: number
  readonly type: EntryType
  readonly data: Uint8Array
}

/** HardState is what must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: number
  /** The candidate this node voted for in `term`, or NONE. */
  readonly vote: NodeId
  /** The highest index known committed; persisting it only saves re-applying work. */
  readonly commit: number
}

/** Membership is a full cluster configuration: voters count towards quorums, learners do not. */
export interface Membership {
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
}

/** SnapshotMeta names the log position a snapshot covers and the membership in force there. */
export interface SnapshotMeta {
  readonly index: number
  readonly term: number
  readonly membership: Membership
}

/** Snapshot is the application state as of `meta.index`, plus that metadata. */
export interface Snapshot {
  readonly meta: SnapshotMeta
  readonly data: Uint8Array
}

/** RaftRole is the role a replica plays in its current term. */
export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader'

/** SoftState is volatile state that the runner may want to observe (not persisted). */
export interface SoftState {
  readonly leader: NodeId
  readonly role: RaftRole
}

/** ReadState reports that a ReadIndex request may be served once `index` has been applied. */
export interface ReadState {
  readonly index: number
  /** The caller's request id, as given to `readIndex`. */
  readonly requestId: number
}

/** MessageType enumerates the Raft RPCs; values are stable because they go on the wire. */
export const MessageType = {
  App: 1,
  AppResp: 2,
  Vote: 3,
  VoteResp: 4,
  PreVote: 5,
  PreVoteResp: 6,
  Heartbeat: 7,
  HeartbeatResp: 8,
  Snap: 9,
  TimeoutNow: 10,
} as const
/** MessageType is the numeric kind of a Raft message. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/**
 * Message is one Raft RPC. Like etcd's, it is a single flat shape whose fields mean different
 * things per type (documented on each field) so that one codec covers every RPC.
 */
export interface Message {
  readonly type: MessageType
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
  /** App: term of the entry at `index`. Vote/PreVote: candidate's last log term. AppResp reject: hint term. */
  readonly logTerm: number
  /** App: index before `entries`. Vote/PreVote: candidate's last index. AppResp: matched or rejected index. */
  readonly index: number
  /** App: the leader's commit index. Heartbeat: min(commit, follower's match). */
  readonly commit: number
  /** AppResp/VoteResp/PreVoteResp: whether the request was refused. */
  readonly reject: boolean
  /** AppResp reject: the follower's suggested index to probe from. */
  readonly rejectHint: number
  /**
   * Heartbeat/HeartbeatResp: the ReadIndex request id being confirmed, 0 for none. App:
   * PIPELINED for an append of a leader's replicate-state pipeline (one of several in flight,
   * which a follower may hold until the appends before it arrive), 0 for a probe.
   */
  readonly context: number
  readonly entries: readonly Entry[]
  /** Snap: the snapshot to install. */
  readonly snapshot?: Snapshot
}

/** PIPELINED marks (in `context`) an App sent from a leader's replicate-state pipeline. */
export const PIPELINED = 1

/** emptyMessage is the zero value every message is built from. */
export const emptyMessage: Omit<Message, 'type' | 'from' | 'to' | 'term'> = Object.freeze({
  logTerm: 0,
  index: 0,
  commit: 0,
  reject: false,
  rejectHint: 0,
  context: 0,
  entries: [],
})
