import { checkInt, checkMs, checkObject, invalidConfig, stripUndefined } from '@tributary/core/internal'
import type { RaftConfig } from '../core/config'
import type { Entry, NodeId } from '../core/types'
import type { RaftStorage } from './storage'

/** RestoreContext tells a state machine where a snapshot came from and when to give up restoring it. */
export interface RestoreContext {
  /** leader is the group's leader as this replica knows it (the snapshot's sender); 0 when unknown, e.g. at start. */
  readonly leader: NodeId
  /** signal aborts when the replica closes: a restore still waiting for data must then reject. */
  readonly signal: AbortSignal
}

/** RaftLogger receives a group's log lines (a leader that stopped committing, and when it resumed). */
export interface RaftLogger {
  info(message: string, details?: Record<string, unknown>): void
  warn(message: string, details?: Record<string, unknown>): void
}

/** CONSOLE_LOGGER sends warnings to the console and drops info lines. */
export const CONSOLE_LOGGER: RaftLogger = Object.freeze({
  info: () => {},
  warn: (message: string, details?: Record<string, unknown>) => console.warn(`[tributary/raft] ${message}`, details ?? {}),
})

/** StateMachine is the application a Raft group replicates. */
export interface StateMachine {
  /** apply is called once per committed entry, in index order (no-ops and membership entries included). */
  apply(entry: Entry): void
  /**
   * snapshot returns the state as of the last applied entry; without it the log is never compacted.
   * It may resolve later (e.g. after making data the snapshot refers to durable): the node applies
   * nothing meanwhile, so the state it describes is the one at the call.
   */
  snapshot?(): Uint8Array | Promise<Uint8Array>
  /**
   * restore replaces the state by a snapshot taken at `index` (from storage at start, or received
   * from a leader). It may resolve later (e.g. after fetching data from peers): the node applies no
   * later entry until it has resolved. A rejection stops the group (as a storage failure does).
   */
  restore?(data: Uint8Array, index: number, context: RestoreContext): void | Promise<void>
}

/** RaftGroupOptions configures one group replica hosted by a RaftHost. */
export interface RaftGroupOptions {
  /** groupId names the group on the wire; every replica of a group uses the same one. Required. */
  readonly groupId: string
  /** voters: the initial voters when the storage is empty; [] for a replica that joins later. Required. */
  readonly voters: readonly NodeId[]
  /** storage: where term, vote, log and snapshots live. Default: a MemoryRaftStorage. */
  readonly storage?: RaftStorage
  readonly stateMachine?: StateMachine
  /** raft: core options (electionTicks, heartbeatTicks, preVote, …), see RaftConfig. */
  readonly raft?: Partial<Omit<RaftConfig, 'id'>>
  /** proposalTimeoutMs: how long propose() waits for a commit before REQUEST_TIMED_OUT. Default 5,000 ms. */
  readonly proposalTimeoutMs?: number
  /** snapshotEveryEntries: take a snapshot after this many applied entries. Default 10,000. */
  readonly snapshotEveryEntries?: number
  /** snapshotEveryBytes: take a snapshot after applied entries carried this many data bytes. Default 64 MiB. */
  readonly snapshotEveryBytes?: number
  /** snapshotTrailingEntries: entries kept behind a snapshot for slow followers. Default 1,000. */
  readonly snapshotTrailingEntries?: number
  /** snapshotTrailingBytes: the entries kept behind a snapshot carry at most this many data bytes in all. Default 8 MiB. */
  readonly snapshotTrailingBytes?: number
  /** maxPendingProposals: proposals awaiting commit before propose() refuses. Default 10,000. */
  readonly maxPendingProposals?: number
  /** maxPersistWaiters: callers of whenPersisted() waiting at once before it refuses. Default 10,000. */
  readonly maxPersistWaiters?: number
  /** logger: where the group's log lines go. Default: warnings to the console. */
  readonly logger?: RaftLogger
  /**
   * firstElectionDelayTicks: a replica of a brand-new group (term 0, no leader heard of) lets this
   * many ticks pass before its election timer starts, so that the replica meant to lead (which
   * campaigns at once) wins the first election instead of racing the others. Default 0.
   */
  readonly firstElectionDelayTicks?: number
}

/** ResolvedGroupOptions are RaftGroupOptions with every default filled in. */
export type ResolvedGroupOptions = Required<Omit<RaftGroupOptions, 'stateMachine' | 'storage' | 'raft'>> &
  Pick<RaftGroupOptions, 'stateMachine' | 'storage' | 'raft'>

/** defaultGroupOptions holds the defaults of RaftGroupOptions. */
export const defaultGroupOptions = Object.freeze({
  proposalTimeoutMs: 5000,
  snapshotEveryEntries: 10_000,
  snapshotEveryBytes: 64 * 1024 * 1024,
  snapshotTrailingEntries: 1000,
  snapshotTrailingBytes: 8 * 1024 * 1024,
  maxPendingProposals: 10_000,
  maxPersistWaiters: 10_000,
  firstElectionDelayTicks: 0,
})

const KNOWN_KEYS = ['groupId', 'voters', 'storage', 'stateMachine', 'raft', 'logger', ...Object.keys(defaultGroupOptions)]

/**
 * resolveGroupOptions merges defaults and validates.
 * @throws TributaryError INVALID_CONFIG with the option path.
 */
export function resolveGroupOptions(options: RaftGroupOptions): ResolvedGroupOptions {
  checkObject(options, 'options', KNOWN_KEYS)
  if (typeof options.groupId !== 'string' || options.groupId.length === 0 || Buffer.byteLength(options.groupId) > 65535) {
    throw invalidConfig('options.groupId', 'must be a non-empty string of at most 65535 bytes')
  }
  if (!Array.isArray(options.voters) || !options.voters.every((v) => Number.isSafeInteger(v) && v > 0))
    throw invalidConfig('options.voters', 'must be an array of positive integer node ids')
  const resolved = { ...defaultGroupOptions, logger: CONSOLE_LOGGER, ...stripUndefined(options) } as ResolvedGroupOptions
  checkMs(resolved.proposalTimeoutMs, 'options.proposalTimeoutMs', 1)
  const logger = resolved.logger as Partial<RaftLogger> | null
  if (typeof logger !== 'object' || logger === null || typeof logger.info !== 'function' || typeof logger.warn !== 'function')
    throw invalidConfig('options.logger', 'must have info() and warn() methods')
  for (const key of [
    'snapshotEveryEntries',
    'snapshotEveryBytes',
    'snapshotTrailingEntries',
    'snapshotTrailingBytes',
    'maxPendingProposals',
    'maxPersistWaiters',
  ] as const)
    checkInt(resolved[key], `options.${key}`, 1)
  checkInt(resolved.firstElectionDelayTicks, 'options.firstElectionDelayTicks', 0)
  return resolved
}
