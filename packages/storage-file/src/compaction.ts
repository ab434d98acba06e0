import * as fs from 'node:fs'
import type { RecordFilter } from '@tributary/core'
import { BatchLayout, filterBatchRecords, readLastOffset, readMaxTimestamp } from '@tributary/core/internal'
import { scanBatches } from './batch-scanner'
import { attempt, fsyncDirSync, isMissing, writeFully } from './io'
import { OffsetIndex } from './offset-index'
import type { FileStorageLogger } from './options'
import type { Segment } from './segment'
import { TimeIndex } from './time-index'

/**
 * Compaction of one closed segment, crash-safe by construction:
 *
 *   1. write the kept batches to `<base>.log.cleaned` and fdatasync it;
 *   2. delete the segment's `.index` and `.timeindex`, fsync the directory;
 *   3. rename `.cleaned` over `<base>.log` (atomic), fsync the directory;
 *   4. write the new indexes.
 *
 * A crash before 3 leaves the original log (recovery deletes the `.cleaned` file and rebuilds
 * any missing index); a crash after 3 leaves the compacted log without indexes, which recovery
 * rebuilds. Offsets never change, so either file is a valid log.
 */

/** SegmentCompaction is what compacting one segment did. */
export interface SegmentCompaction {
  rewritten: boolean
  recordsRemoved: number
  bytesBefore: number
  bytesAfter: number
}

/** Bytes staged before a write to the cleaned file. */
const STAGE_BYTES = 1024 * 1024

/** compactSegment rewrites `segment` keeping the records `keep` accepts; a segment that loses nothing is left alone. */
export function compactSegment(
  segment: Segment,
  keep: RecordFilter,
  indexIntervalBytes: number,
  logger: FileStorageLogger,
): SegmentCompaction {
  const unchanged: SegmentCompaction = { rewritten: false, recordsRemoved: 0, bytesBefore: segment.size, bytesAfter: segment.size }
  const cleanedPath = `${segment.log.path}.cleaned`
  const writer = new CleanedWriter(cleanedPath, segment, indexIntervalBytes)
  try {
    let removed = 0
    const scan = scanBatches(
      segment.log.fd(),
      segment.log.path,
      0,
      segment.size,
      { verifyCrc: true, minBaseOffset: segment.baseOffset },
      (batch) => {
        const kept = filterBatchRecords(batch.bytes, keep)
        removed += recordCount(batch.bytes) - (kept === null ? 0 : recordCount(kept))
        if (kept !== null) writer.add(kept)
      },
    )
    if (scan.error !== null) logger.warn('Skipped compacting a damaged segment', { path: segment.log.path, error: scan.error })
    if (scan.error !== null || removed === 0) {
      writer.abandon()
      return unchanged
    }
    writer.finish()
    swapIn(segment, writer, cleanedPath)
    return { rewritten: true, recordsRemoved: removed, bytesBefore: unchanged.bytesBefore, bytesAfter: segment.size }
  } catch (err) {
    writer.abandon()
    throw err
  }
}

function recordCount(batch: Buffer): number {
  return batch.readInt32BE(BatchLayout.RECORDS_COUNT)
}

/** swapIn replaces the segment's log with the cleaned file (steps 2–4 above). */
function swapIn(segment: Segment, writer: CleanedWriter, cleanedPath: string): void {
  segment.releaseFiles()
  for (const handle of [segment.indexFile, segment.timeIndexFile]) {
    try {
      fs.unlinkSync(handle.path)
    } catch (err) {
      if (!isMissing(err))
        attempt(`delete ${handle.path}`, () => {
          throw err
        })
    }
  }
  fsyncDirSync(segment.dir)
  attempt(`rename ${cleanedPath}`, () => fs.renameSync(cleanedPath, segment.log.path))
  fsyncDirSync(segment.dir)
  segment.size = writer.position
  segment.offsetIndex = writer.offsetIndex
  segment.timeIndex = writer.timeIndex
  segment.maxTimestamp = writer.maxTimestamp
  if (writer.lastOffset >= 0 && writer.maxTimestamp >= 0) segment.timeIndex.maybeAppend(writer.maxTimestamp, writer.lastOffset)
  segment.persistIndexes()
}

/** CleanedWriter writes kept batches to the `.cleaned` file through a staging buffer, indexing them as appends do. */
class CleanedWriter {
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  position = 0
  maxTimestamp = -1
  lastOffset = -1
  private fd: number
  private readonly stage = Buffer.allocUnsafe(STAGE_BYTES)
  private staged = 0
  private bytesSinceIndexEntry = 0

  constructor(
    private readonly path: string,
    segment: Segment,
    private readonly indexIntervalBytes: number,
  ) {
    this.fd = attempt(`create ${path}`, () => fs.openSync(path, 'w'))
    this.offsetIndex = new OffsetIndex(segment.baseOffset, segment.indexFile)
    this.offsetIndex.markForRewrite()
    this.timeIndex = new TimeIndex(segment.baseOffset, segment.timeIndexFile)
    this.timeIndex.clear()
  }

  /** add appends one batch; `batch` may be a view that is reused after the call, so it is copied or written now. */
  add(batch: Buffer): void {
    const lastOffset = readLastOffset(batch)
    this.maxTimestamp = Math.max(this.maxTimestamp, readMaxTimestamp(batch))
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, this.position)
      this.timeIndex.maybeAppend(this.maxTimestamp, lastOffset)
      this.bytesSinceIndexEntry = 0
    }
    this.bytesSinceIndexEntry += batch.length
    if (this.staged + batch.length > this.stage.length) this.flushStage()
    if (batch.length > this.stage.length) writeFully(this.fd, batch, this.position, `write ${this.path}`)
    else this.staged += batch.copy(this.stage, this.staged)
    this.position += batch.length
    this.lastOffset = lastOffset
  }

  /** finish writes what is staged and makes the file durable before it may replace the original. */
  finish(): void {
    this.flushStage()
    const fd = this.fd
    attempt(`fdatasync ${this.path}`, () => fs.fdatasyncSync(fd))
    this.close()
  }

  /** abandon closes and deletes the unfinished file. */
  abandon(): void {
    this.close()
    try {
      fs.unlinkSync(this.path)
    } catch {
      // Already gone (or never made): recovery deletes any leftover `.cleaned` file anyway.
    }
  }

  private flushStage(): void {
    if (this.staged === 0) return
    writeFully(this.fd, this.stage.subarray(0, this.staged), this.position - this.staged, `write ${this.path}`)
    this.staged = 0
  }

  private close(): void {
    if (this.fd < 0) return
    fs.closeSync(this.fd)
    this.fd = -1
  }
}
