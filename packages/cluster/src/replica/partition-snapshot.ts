import { TributaryError, errorFromJSON, readBatchHeader, type Clock, type FetchPartitionResult, type PartitionLog } from '@tributary/core'
import { checkInt, checkObject, readBaseOffset } from '@tributary/core/internal'
import type { PeerChannel } from '../server/peer-channel'

/*
 * A partition group's snapshot is small metadata, not the data: the partition's log up to
 * `endOffset` IS the state, and it lives in the PartitionLog, made durable before the snapshot is
 * saved. A replica restoring a snapshot whose `endOffset` is past its local log's end (a follower
 * far behind, or a node whose log lost unsynced batches or lives in memory) copies the missing
 * batches [local end, endOffset) from another replica over the peer channel.
 *
 * The copy keeps the offsets each batch carries (`PartitionLog.appendCopy`), so the gaps that
 * compaction left at the source stay gaps here. When retention deleted the missing range on every
 * other replica, the log restarts empty at their log start (`PartitionLog.resetTo`, Kafka's
 * `truncateFullyAndStartAt`) and copies on from there.
 */

/** PartitionSnapshotOptions decide when a partition's Raft group snapshots and how much Raft log it keeps. */
export interface PartitionSnapshotOptions {
  /** snapshotEveryEntries: snapshot after this many applied Raft entries. Default 10,000. */
  readonly snapshotEveryEntries: number
  /**
   * snapshotEveryBytes: snapshot after applied entries carried this many bytes. The Raft log is
   * held in memory until a snapshot drops it, so this bounds each partition's Raft memory. Default 16 MiB.
   */
  readonly snapshotEveryBytes: number
  /** snapshotTrailingEntries: entries kept behind a snapshot, so slightly-behind followers still get appends. Default 1,000. */
  readonly snapshotTrailingEntries: number
  /** snapshotTrailingBytes: the kept entries carry at most this many bytes in all. Default 4 MiB. */
  readonly snapshotTrailingBytes: number
}

/** defaultPartitionSnapshotOptions holds the defaults of PartitionSnapshotOptions. */
export const defaultPartitionSnapshotOptions: PartitionSnapshotOptions = Object.freeze({
  snapshotEveryEntries: 10_000,
  snapshotEveryBytes: 16 * 1024 * 1024,
  snapshotTrailingEntries: 1000,
  snapshotTrailingBytes: 4 * 1024 * 1024,
})

/**
 * resolvePartitionSnapshotOptions merges defaults and validates.
 * @throws TributaryError INVALID_CONFIG with the option's path (under `path`).
 */
export function resolvePartitionSnapshotOptions(
  options: Partial<PartitionSnapshotOptions> = {},
  path = 'options.partitionSnapshots',
): PartitionSnapshotOptions {
  const given = checkObject(options, path, Object.keys(defaultPartitionSnapshotOptions))
  const resolved = { ...defaultPartitionSnapshotOptions, ...given } as PartitionSnapshotOptions
  for (const [key, v] of Object.entries(resolved)) checkInt(v, `${path}.${key}`, 1)
  return Object.freeze(resolved)
}

/** JournalRecord is one applied idempotent batch, as a new leader's duplicate table needs it. */
export interface JournalRecord {
  batch: { producerId: number; producerEpoch: number; baseSequence: number; lastOffsetDelta: number }
  baseOffset: number
  logAppendTime: number
  /** The batch's max timestamp: when its producer was last seen, for producer-id expiry. */
  timestampMs?: number
}

/** PartitionSnapshot is a partition replica's state at a Raft index: its log's bounds and the idempotent-producer journal. */
export interface PartitionSnapshot {
  /** The log's end offset at the snapshot: the data is the log's batches below it. */
  endOffset: number
  /** The log start offset (after DeleteRecords) at the snapshot. */
  startOffset: number
  /** Per producer, its last applied idempotent batches, oldest first. */
  journal: JournalRecord[]
}

/** encodePartitionSnapshot serialises a snapshot (versioned JSON: it is small). */
export function encodePartitionSnapshot(s: PartitionSnapshot): Uint8Array {
  return Buffer.from(JSON.stringify({ v: 1, endOffset: s.endOffset, startOffset: s.startOffset, journal: s.journal }))
}

/**
 * decodePartitionSnapshot reads what encodePartitionSnapshot wrote.
 * @throws TributaryError KAFKA_STORAGE_ERROR (not retriable) for data that is not a partition snapshot.
 */
export function decodePartitionSnapshot(data: Uint8Array, groupId: string): PartitionSnapshot {
  let s: Partial<PartitionSnapshot> & { v?: number }
  try {
    s = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as typeof s
  } catch (cause) {
    throw new TributaryError('KAFKA_STORAGE_ERROR', `${groupId}: the snapshot is not valid JSON`, {
      cause,
      retriable: false,
      details: { groupId },
    })
  }
  const offset = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
  if (s.v !== 1 || !offset(s.endOffset) || !offset(s.startOffset) || s.startOffset > s.endOffset || !Array.isArray(s.journal)) {
    throw new TributaryError('KAFKA_STORAGE_ERROR', `${groupId}: not a version-1 partition snapshot`, {
      retriable: false,
      details: { groupId },
    })
  }
  return { endOffset: s.endOffset, startOffset: s.startOffset, journal: s.journal }
}

/**
 * FetchRange reads committed batches of a partition from another node: whole batches in order,
 * starting with the one that holds `fromOffset`, possibly past `toOffset` (which only hints how
 * much is wanted), [] when that node holds nothing at `fromOffset` yet.
 * @throws TributaryError from the peer (e.g. OFFSET_OUT_OF_RANGE with details.logStartOffset when
 *   the data was deleted there, LEADER_NOT_AVAILABLE when it cannot be reached or is shutting
 *   down), and CLIENT_CLOSED only once THIS node shuts down (which ends a restore).
 */
export type FetchRange = (nodeId: number, topic: string, partition: number, fromOffset: number, toOffset: number) => Promise<Buffer[]>

/** RESTORE_FETCH_MAX_BYTES bounds one range fetch (the first batch always comes whole). */
export const RESTORE_FETCH_MAX_BYTES = 4 * 1024 * 1024

/**
 * peerFetchRange implements FetchRange with the peer channel's 'fetch' method (which a node
 * serves from its local log: committed batches only).
 */
export function peerFetchRange(peers: PeerChannel, isClosed: () => boolean): FetchRange {
  return async (nodeId, topic, partition, fromOffset, toOffset) => {
    if (isClosed()) throw new TributaryError('CLIENT_CLOSED', 'the cluster node is closed')
    const maxBytes = RESTORE_FETCH_MAX_BYTES
    const request = { partitions: [{ topic, partition, offset: fromOffset, maxBytes }], maxWaitMs: 0, maxBytes }
    let results: FetchPartitionResult[]
    try {
      results = await peers.call(nodeId, 'fetch', [request])
    } catch (error) {
      throw isClosed() ? error : fromPeer(nodeId, error)
    }
    const r = results[0]
    if (r === undefined)
      throw new TributaryError('UNKNOWN_SERVER_ERROR', `node ${nodeId} answered a fetch of ${topic}-${partition} with nothing`)
    if (r.error !== undefined && r.error !== null) throw fromPeer(nodeId, r.error)
    // A peer behind us (or not yet restored itself) may not reach the wanted range at all.
    return r.highWatermark > fromOffset && fromOffset < toOffset ? r.batches.map((b) => Buffer.from(b)) : []
  }
}

/** fromPeer types a peer's error; a peer that is shutting down (CLIENT_CLOSED there) is merely unavailable here. */
function fromPeer(nodeId: number, e: unknown): TributaryError {
  const error = asTributaryError(e)
  if (error.code !== 'CLIENT_CLOSED') return error
  return new TributaryError('LEADER_NOT_AVAILABLE', `node ${nodeId} is shutting down`, { cause: error, details: { nodeId } })
}

/** LogFillRequest is what `fillLog` needs. */
export interface LogFillRequest {
  readonly log: PartitionLog
  /** The offset the log must reach (a snapshot's end offset). */
  readonly target: number
  /** Nodes to copy from, in order of preference (the snapshot's sender first). */
  readonly sources: readonly number[]
  readonly fetchRange: FetchRange
  readonly clock: Clock
  readonly signal: AbortSignal
  readonly groupId: string
}

const RETRY_MIN_MS = 10
const RETRY_MAX_MS = 500

/**
 * fillLog copies the batches [log.endOffset(), target) from the sources, retrying (with a capped
 * back-off) while no source can serve them, until the log reaches `target` (or passes it: see
 * `appendUpTo`). When every source answers that it deleted the log's end offset (its log starts
 * past it), the range is gone for good: the log restarts empty at the smallest of their log
 * starts and copying goes on from there.
 * @throws TributaryError CLIENT_CLOSED when `signal` aborts or the node shuts down;
 *   KAFKA_STORAGE_ERROR (not retriable) when no other replica exists, or when a source's batches
 *   do not continue the local log.
 */
export async function fillLog(req: LogFillRequest): Promise<void> {
  const { log, target, groupId } = req
  if (log.endOffset() < target && req.sources.length === 0) {
    throw lost(groupId, `offsets [${log.endOffset()}, ${target}) are missing here and no other replica can supply them`)
  }
  let delayMs = RETRY_MIN_MS
  while (log.endOffset() < target) {
    if (req.signal.aborted) throw closed(groupId)
    if (await fetchRound(req)) {
      delayMs = RETRY_MIN_MS
      continue
    }
    await sleep(req.clock, delayMs, req.signal)
    delayMs = Math.min(RETRY_MAX_MS, delayMs * 2)
  }
}

/**
 * fetchRound asks each source in turn; it returns true as soon as one made the log grow, or once
 * every source said it deleted the log's end offset and the log restarted at their log start.
 */
async function fetchRound(req: LogFillRequest): Promise<boolean> {
  const { log, target } = req
  const deletedUpTo: number[] = []
  for (const source of req.sources) {
    const from = log.endOffset()
    let batches: Buffer[]
    try {
      batches = await req.fetchRange(source, log.topic, log.partition, from, target)
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'CLIENT_CLOSED') throw error
      const start = logStartPast(error, from)
      if (start !== undefined) deletedUpTo.push(start)
      continue
    }
    if (appendUpTo(log, batches, target, req.groupId) > 0) return true
  }
  if (deletedUpTo.length < req.sources.length) return false
  // Retention is replicated as a log-start move, so no replica will ever serve [end, start) again:
  // restart where the data begins. The smallest start keeps the most; the source with it serves next.
  log.resetTo(Math.min(...deletedUpTo))
  return true
}

/**
 * appendUpTo copies the batches that continue the log towards `target`, keeping the offsets they
 * carry (`appendCopy`), and returns how many it copied. Batches the log already holds are skipped.
 * A batch may start past the log's end: the offsets between were compacted away at the source and
 * stay a gap here. While the log is short of `target`, a batch at or past it is copied too (the
 * source holds nothing in [end, target)), so the log may end past `target`, as after a restart:
 * the Raft entries replayed after the snapshot skip what the log already holds. A log that holds
 * nothing (restarted at a source's log start, which DeleteRecords may have put inside a batch)
 * takes the batch that straddles its end whole: it restarts at the batch's base, copies it and
 * moves its log start back up to where it was, as the source keeps it.
 * @throws TributaryError KAFKA_STORAGE_ERROR when a batch straddles the log's end or `target` (the logs disagree).
 */
export function appendUpTo(log: PartitionLog, batches: readonly Buffer[], target: number, groupId: string): number {
  let copied = 0
  for (const batch of batches) {
    const end = log.endOffset()
    if (end >= target) break
    const base = readBaseOffset(batch)
    const last = base + readBatchHeader(batch).lastOffsetDelta
    if (last < end) continue
    if (base < end && last < target && log.startOffset() === end) {
      copyAcrossStart(log, batch)
      copied++
      continue
    }
    if (base < end || (base < target && last >= target)) {
      throw lost(groupId, `a copied batch [${base}, ${last}] straddles the log's end ${end} or the target ${target}`)
    }
    log.appendCopy(batch)
    copied++
  }
  return copied
}

/**
 * copyAcrossStart stores a batch that straddles the end of a log holding nothing (start = end, as
 * after `resetTo` at a peer's log start, or a recovery that lost the batches up to a log start
 * DeleteRecords had put inside this batch): the log restarts at the batch's base, takes the batch
 * whole with its offsets, and its start moves back up to where it was, so records below it stay hidden.
 */
export function copyAcrossStart(log: PartitionLog, batch: Buffer): void {
  const start = log.startOffset()
  log.resetTo(readBaseOffset(batch))
  log.appendCopy(batch)
  log.deleteBefore(start)
}

/** logStartPast returns a source's log start from its OFFSET_OUT_OF_RANGE error when that start lies past `offset` (the range was deleted there). */
function logStartPast(error: unknown, offset: number): number | undefined {
  const e = error instanceof TributaryError ? error : undefined
  const start = e?.details?.logStartOffset
  return e?.code === 'OFFSET_OUT_OF_RANGE' && typeof start === 'number' && Number.isSafeInteger(start) && start > offset ? start : undefined
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      timer.cancel()
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = clock.setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

function asTributaryError(e: unknown): TributaryError {
  if (e instanceof TributaryError) return e
  if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string')
    return errorFromJSON(e as { code: string; message: string })
  return new TributaryError('UNKNOWN_SERVER_ERROR', String(e), { cause: e })
}

function lost(groupId: string, message: string): TributaryError {
  return new TributaryError('KAFKA_STORAGE_ERROR', `${groupId}: ${message}`, { retriable: false, details: { groupId } })
}

function closed(groupId: string): TributaryError {
  return new TributaryError('CLIENT_CLOSED', `${groupId}: closed while restoring a snapshot`, { details: { groupId } })
}
