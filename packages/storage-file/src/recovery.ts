import * as fs from 'node:fs'
import { join } from 'node:path'
import { BatchLayout, readLastOffset, wrapStorageError } from '@tributary/core/internal'
import { scanBatches, type ScannedBatch } from './batch-scanner'
import type { FdCache } from './fd-cache'
import { finishInterruptedReset } from './log-reset'
import { LOG_START_FILE_NAME } from './log-start'
import { attempt, isMissing } from './io'
import { OffsetIndex } from './offset-index'
import type { FileStorageLogger, RecoveryReport } from './options'
import { parseSegmentFileName, Segment, segmentFileName } from './segment'
import { TimeIndex } from './time-index'

/**
 * Loading and recovering one partition directory.
 *
 * Which segments can have a torn tail: the active one, and the one rolled just before it (its
 * fdatasync starts at the roll and the next roll waits for it). Those two are scanned from their
 * last index entry with CRC checks, and a torn or corrupt tail is cut (with every segment after
 * it). Older segments are durable, so damage in them is bit rot, not a crash: they are never cut,
 * and their bad batches fail with CORRUPT_MESSAGE when read.
 *
 * Offsets only grow: each batch's base offset must be above the previous batch's last offset
 * (a batch overlapping or going back is damage), but may lie further on: a gap is records that
 * compaction removed, here or at the replica a batch was copied from (`appendCopy`). The end
 * offset is the last segment's last batch's end, or that segment's base when it is empty, so
 * `truncate` and `resetTo` leave an empty segment at the end they set when no batch ends there.
 * An interrupted `resetTo` (a `.reset` marker, see log-reset.ts) is finished before anything else.
 */

/** RECOVERABLE_SEGMENTS is how many trailing segments recovery may truncate (see above). */
const RECOVERABLE_SEGMENTS = 2

/** LoadContext carries what loading needs from the partition. */
export interface LoadContext {
  dir: string
  topic: string
  partition: number
  cache: FdCache
  indexIntervalBytes: number
  nowMs: number
  logger: FileStorageLogger
}

/** LoadedPartition is a recovered partition: its segments, oldest first, and its end offset. */
export interface LoadedPartition {
  segments: Segment[]
  endOffset: number
  reports: RecoveryReport[]
  /** Whether the directory holds a log start checkpoint (`applyLogStart` reads it only then). */
  hasLogStart: boolean
}

/** loadPartition lists, checks and recovers the segments of a partition directory (creating segment 0 if none). */
export function loadPartition(ctx: LoadContext): LoadedPartition {
  let names = listOrCreate(ctx.dir)
  if (names.length === 0)
    return { segments: [Segment.create(ctx.dir, 0, ctx.cache, ctx.nowMs)], endOffset: 0, reports: [], hasLogStart: false }
  if (finishInterruptedReset(ctx.dir, names, ctx.logger)) names = attempt(`list ${ctx.dir}`, () => fs.readdirSync(ctx.dir))
  if (cleanupLeftovers(ctx.dir, names, ctx.logger)) names = attempt(`list ${ctx.dir}`, () => fs.readdirSync(ctx.dir))
  // One listing serves the whole load: index files it lacks load as empty without being opened
  // (which would create them), and a missing log start checkpoint is not looked for.
  const present = new Set(names)
  const hasLogStart = present.has(LOG_START_FILE_NAME)
  const bases = segmentBasesOf(names)
  if (bases.length === 0) return { segments: [Segment.create(ctx.dir, 0, ctx.cache, ctx.nowMs)], endOffset: 0, reports: [], hasLogStart }
  const segments = bases.map((base) => new Segment(ctx.dir, base, ctx.cache, 0, ctx.nowMs))
  const firstRecoverable = Math.max(0, segments.length - RECOVERABLE_SEGMENTS)
  for (let i = 0; i < firstRecoverable; i++) sealClosed(segments[i]!, loadSegment(ctx, segments[i]!, false, present))
  const reports: RecoveryReport[] = []
  let endOffset = segments[segments.length - 1]!.baseOffset
  for (let i = firstRecoverable; i < segments.length; i++) {
    const segment = segments[i]!
    const result = loadSegment(ctx, segment, true, present)
    endOffset = Math.max(segment.baseOffset, result.lastOffset + 1)
    if (result.report !== null) {
      const removed = segments.splice(i + 1)
      for (const later of removed) later.deleteFiles()
      reports.push({ ...result.report, segmentsRemoved: removed.length })
    }
    if (i < segments.length - 1) sealClosed(segment, result)
  }
  return { segments, endOffset, reports, hasLogStart }
}

/** listOrCreate lists a partition directory, creating it (empty) if it went missing. */
function listOrCreate(dir: string): string[] {
  try {
    return fs.readdirSync(dir)
  } catch (err) {
    if (!isMissing(err)) throw wrapStorageError(err, `list ${dir}`)
  }
  attempt(`create ${dir}`, () => fs.mkdirSync(dir, { recursive: true }))
  return []
}

/** sealClosed gives a closed segment the final time index entry a roll writes, in case a rebuilt index lacks it. */
function sealClosed(segment: Segment, load: SegmentLoad): void {
  if (segment.maxTimestamp < 0 || load.lastOffset < segment.baseOffset) return
  segment.timeIndex.maybeAppend(segment.maxTimestamp, load.lastOffset)
  segment.persistIndexes()
}

/** segmentBasesOf returns the base offsets of the `.log` files among `names`, ascending. */
function segmentBasesOf(names: readonly string[]): number[] {
  const bases: number[] = []
  for (const name of names) {
    const base = parseSegmentFileName(name)
    if (base !== null) bases.push(base)
  }
  return bases.sort((a, b) => a - b)
}

/**
 * cleanupLeftovers finishes or undoes what a crash interrupted: a `.cleaned` file is an
 * unfinished compaction output (the original is intact) and is deleted; a `.swap` file is a
 * finished one and replaces its original if that is missing; `.tmp` files and index files
 * without a `.log` are deleted.
 */
export function cleanupLeftovers(dir: string, listing: readonly string[], logger: FileStorageLogger): boolean {
  const names = new Set(listing)
  let changed = false
  for (const name of names) {
    const path = join(dir, name)
    if (name.endsWith('.cleaned') || name.endsWith('.tmp')) {
      removeFile(path)
      logger.info('Removed an unfinished file left by a crash', { path })
    } else if (name.endsWith('.swap')) {
      const target = name.slice(0, -'.swap'.length)
      if (names.has(target)) removeFile(path)
      else attempt(`rename ${path}`, () => fs.renameSync(path, join(dir, target)))
    } else if (/^\d{20}\.(index|timeindex)$/.test(name) && !names.has(name.replace(/\.(index|timeindex)$/, '.log'))) {
      removeFile(path)
    } else {
      continue
    }
    changed = true
  }
  return changed
}

function removeFile(path: string): void {
  try {
    fs.unlinkSync(path)
  } catch (err) {
    if (!isMissing(err))
      attempt(`delete ${path}`, () => {
        throw err
      })
  }
}

/** SegmentLoad is what loading one segment found. */
interface SegmentLoad {
  /** Last offset of the segment's last valid batch (base − 1 when empty or unknown). */
  lastOffset: number
  /** Set when a recoverable segment's tail was cut. */
  report: Omit<RecoveryReport, 'segmentsRemoved'> | null
}

/**
 * loadSegment reads a segment's indexes, drops them if their last entry does not match the
 * data, and scans from the last entry to the end: adding the missing entries, finding the
 * largest timestamp and, when `recover` is set, checking CRCs and cutting a bad tail.
 */
function loadSegment(ctx: LoadContext, segment: Segment, recover: boolean, present: ReadonlySet<string>): SegmentLoad {
  const fileBytes = segment.fileBytes()
  segment.size = fileBytes
  const hasFile = (suffix: string) => present.has(segmentFileName(segment.baseOffset, suffix))
  segment.offsetIndex = OffsetIndex.load(segment.baseOffset, segment.indexFile, fileBytes, hasFile('.index'))
  if (!lastEntryMatches(segment)) {
    segment.offsetIndex = new OffsetIndex(segment.baseOffset, segment.indexFile)
    segment.offsetIndex.markForRewrite()
  }
  segment.timeIndex = TimeIndex.load(segment.baseOffset, segment.timeIndexFile, Number.MAX_SAFE_INTEGER, hasFile('.timeindex'))
  // Without offset index entries the scan covers the whole segment, so the time index is rebuilt whole too.
  if (segment.offsetIndex.count() === 0 && segment.timeIndex.count() > 0) segment.timeIndex.clear()
  let tail = scanTail(ctx, segment, recover)
  let report: SegmentLoad['report'] = null
  if (tail.error !== null && recover) {
    report = cutTail(ctx, segment, tail.validEnd, tail.error)
    // Rescan from the index's (possibly earlier) last entry: the cut batch may have been the indexed one.
    tail = scanTail(ctx, segment, true)
  } else if (tail.error !== null) {
    ctx.logger.warn('A closed segment has a damaged tail; reading it fails with CORRUPT_MESSAGE', {
      path: segment.log.path,
      error: tail.error,
    })
  }
  segment.timeIndex.truncateToOffset(tail.lastOffset + 1)
  for (const point of tail.points) {
    segment.offsetIndex.append(point.lastOffset, point.position)
    segment.timeIndex.maybeAppend(point.maxTimestampSoFar, point.lastOffset)
  }
  segment.maxTimestamp = Math.max(segment.timeIndex.lastTimestamp(), tail.maxTimestamp)
  segment.bytesSinceIndexEntry = tail.bytesSinceIndexEntry
  segment.persistIndexes()
  return { lastOffset: tail.lastOffset, report }
}

function cutTail(ctx: LoadContext, segment: Segment, validEnd: number, reason: string): SegmentLoad['report'] {
  const truncatedBytes = segment.size - validEnd
  segment.truncateTo(validEnd, Number.MAX_SAFE_INTEGER)
  ctx.logger.warn('Recovery truncated a torn or corrupt segment tail', {
    path: segment.log.path,
    validBytes: validEnd,
    truncatedBytes,
    reason,
  })
  return { topic: ctx.topic, partition: ctx.partition, segmentBaseOffset: segment.baseOffset, validBytes: validEnd, truncatedBytes, reason }
}

/** lastEntryMatches checks that the batch at the index's last position ends at the indexed offset. */
function lastEntryMatches(segment: Segment): boolean {
  const index = segment.offsetIndex
  if (index.count() === 0) return true
  const header = segment.readHeaderAt(index.lastPosition(), BatchLayout.LAST_OFFSET_DELTA + 4)
  return header !== null && header.readInt8(BatchLayout.MAGIC) === 2 && readLastOffset(header) === index.lastOffset()
}

/** IndexPoint is a batch that gets an index entry during a scan. */
interface IndexPoint {
  lastOffset: number
  position: number
  maxTimestampSoFar: number
}

interface TailScan {
  lastOffset: number
  maxTimestamp: number
  bytesSinceIndexEntry: number
  points: IndexPoint[]
  validEnd: number
  error: string | null
}

/** scanTail scans from the last index entry to the end, applying the append-time indexing rule to each batch. */
function scanTail(ctx: LoadContext, segment: Segment, verifyCrc: boolean): TailScan {
  const index = segment.offsetIndex
  const from = index.lastPosition()
  const hasEntry = index.count() > 0
  const tail: TailScan = {
    lastOffset: segment.baseOffset - 1,
    maxTimestamp: -1,
    bytesSinceIndexEntry: 0,
    points: [],
    validEnd: from,
    error: null,
  }
  // Entries past the last indexed offset may describe data that is gone; only earlier ones seed the running max.
  let runningMax = hasEntry ? segment.timeIndex.timestampAtOrBefore(index.lastOffset()) : -1
  const visit = (batch: ScannedBatch): void => {
    tail.lastOffset = batch.lastOffset
    tail.maxTimestamp = Math.max(tail.maxTimestamp, batch.maxTimestamp)
    runningMax = Math.max(runningMax, batch.maxTimestamp)
    const alreadyIndexed = hasEntry && batch.position === from
    if (!alreadyIndexed && tail.bytesSinceIndexEntry > ctx.indexIntervalBytes) {
      tail.points.push({ lastOffset: batch.lastOffset, position: batch.position, maxTimestampSoFar: runningMax })
      tail.bytesSinceIndexEntry = 0
    }
    tail.bytesSinceIndexEntry = alreadyIndexed ? batch.size : tail.bytesSinceIndexEntry + batch.size
  }
  const result = scanBatches(
    segment.log.fd(),
    segment.log.path,
    from,
    segment.size,
    { verifyCrc, minBaseOffset: segment.baseOffset },
    visit,
  )
  tail.validEnd = result.validEnd
  tail.error = result.error
  return tail
}
