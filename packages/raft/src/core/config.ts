import { TributaryError } from '@tributary/core'
import type { NodeId } from './types'

/**
 * RaftConfig configures one replica's pure core. Times are in ticks: the runner decides how long
 * a tick is (see `tickMs` on the node options).
 */
export interface RaftConfig {
  /** id is this replica's NodeId (a positive integer). Required. */
  id: NodeId
  /** electionTicks: ticks without hearing from a leader before campaigning; randomized in [n, 2n). Default 10. */
  electionTicks: number
  /** heartbeatTicks: ticks between a leader's heartbeats; must be below electionTicks. Default 2. */
  heartbeatTicks: number
  /** preVote: run a pre-vote round before raising the term, so a rejoining node does not disrupt. Default true. */
  preVote: boolean
  /** checkQuorum: a leader steps down if a quorum was silent for an election timeout. Default true. */
  checkQuorum: boolean
  /** maxMsgBytes: upper bound on the entry bytes of one append message (at least one entry is sent). Default 1 MiB. */
  maxMsgBytes: number
  /** maxInflightMsgs: appends in flight per follower before replication pauses. Default 64. */
  maxInflightMsgs: number
  /**
   * maxInflightBytes: entry bytes in flight per follower before replication pauses (at least one
   * append goes). Keep it within what the transport queues per peer (TCP: 16 MiB). Default 8 MiB.
   */
  maxInflightBytes: number
  /** maxUncommittedBytes: entry bytes the leader holds beyond its commit index before refusing proposals. Default 64 MiB. */
  maxUncommittedBytes: number
  /** maxUncommittedEntries: entries the leader holds beyond its commit index before refusing proposals. Default 10,000. */
  maxUncommittedEntries: number
  /** maxCommittedBytesPerReady: entry bytes one Ready hands out to apply (at least one entry). Default 4 MiB. */
  maxCommittedBytesPerReady: number
  /**
   * commitStallTicks: a leader whose commit index has not advanced for this many ticks while it
   * holds uncommitted entries and a quorum answers it reports a stall (`commitStall()`). Default 100.
   */
  commitStallTicks: number
  /** maxPendingReads: ReadIndex requests a leader tracks at once. Default 1024. */
  maxPendingReads: number
}

/** defaultRaftConfig holds every default of `RaftConfig` except the id. */
export const defaultRaftConfig: Readonly<Omit<RaftConfig, 'id'>> = Object.freeze({
  electionTicks: 10,
  heartbeatTicks: 2,
  preVote: true,
  checkQuorum: true,
  maxMsgBytes: 1024 * 1024,
  maxInflightMsgs: 64,
  maxInflightBytes: 8 * 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
  maxUncommittedEntries: 10_000,
  maxCommittedBytesPerReady: 4 * 1024 * 1024,
  commitStallTicks: 100,
  maxPendingReads: 1024,
})

const KNOWN_KEYS = new Set(['id', ...Object.keys(defaultRaftConfig)])

function invalid(path: string, message: string): TributaryError {
  return new TributaryError('INVALID_CONFIG', `${path}: ${message}`, { details: { path } })
}

function positiveInt(options: Record<string, unknown>, key: string, prefix: string): void {
  const v = options[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    throw invalid(`${prefix}${key}`, `must be a positive integer, got ${String(v)}`)
}

/**
 * resolveRaftConfig merges `options` over the defaults and validates the result.
 * @throws TributaryError INVALID_CONFIG naming the offending option path.
 */
export function resolveRaftConfig(options: Partial<RaftConfig> & { id: NodeId }, prefix = 'options.'): RaftConfig {
  for (const key of Object.keys(options)) if (!KNOWN_KEYS.has(key)) throw invalid(`${prefix}${key}`, 'unknown option')
  const merged = { ...defaultRaftConfig, ...stripUndefined(options) } as RaftConfig
  const record = merged as unknown as Record<string, unknown>
  for (const key of Object.keys(record)) if (key !== 'preVote' && key !== 'checkQuorum') positiveInt(record, key, prefix)
  for (const key of ['preVote', 'checkQuorum']) {
    if (typeof record[key] !== 'boolean') throw invalid(`${prefix}${key}`, 'must be a boolean')
  }
  if (merged.electionTicks <= merged.heartbeatTicks) {
    throw invalid(`${prefix}electionTicks`, `must exceed heartbeatTicks (${merged.heartbeatTicks}), got ${merged.electionTicks}`)
  }
  return Object.freeze(merged)
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}
