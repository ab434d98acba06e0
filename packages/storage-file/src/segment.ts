import * as fs from 'node:fs'
import { sep } from 'node:path'
import { wrapStorageError } from '@tributary/core/internal'
import type { FdCache, FileHandle } from './fd-cache'
import { attempt, isMissing, readFully, writeFully } from './io'
import { OffsetIndex } from './offset-index'
import { TimeIndex } from './time-index'

/** segmentFileName is Kafka's name for a segment file: the base offset in 20 digits plus a suffix. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`
}

/** parseSegmentFileName returns the base offset of `<20 digits>.log`, or null for any other name. */
export function parseSegmentFileName(name: string): number | null {
  const match = /^(\d{20})\.log$/.exec(name)
  return match ? Number(match[1]) : null
}

/**
 * Segment is one `<base>.log` file with its `.index` and `.timeindex`. It knows its valid size
 * (bytes beyond it are ignored and overwritten), its indexes and its largest timestamp; the
 * partition log decides what goes where.
 */
export class Segment {
  readonly log: FileHandle
  readonly indexFile: FileHandle
  readonly timeIndexFile: FileHandle
  offsetIndex: OffsetIndex
  timeIndex: TimeIndex
  /** Bytes of valid batches; the file may be longer after a failed write. */
  size: number
  /** Largest batch max timestamp in the segment, -1 when empty. */
  maxTimestamp: number
  /** When the first batch was appended, by the storage clock (for `segment.ms`). */
  createdAtMs: number
  /** Bytes appended since the last index entry (Kafka's `bytesSinceLastIndexEntry`). */
  bytesSinceIndexEntry = 0
  /** Whether appends happened since the last fdatasync of this file. */
  dirty = false

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    cache: FdCache,
    size: number,
    createdAtMs: number,
  ) {
    // `dir` is already a normalized path and the names hold no separator: concatenation, not
    // path.join (whose normalization was a tenth of the garbage made per new partition).
    const base = `${dir}${sep}${segmentFileName(baseOffset, '')}`
    this.log = cache.handle(`${base}.log`)
    this.indexFile = cache.handle(`${base}.index`)
    this.timeIndexFile = cache.handle(`${base}.timeindex`)
    this.offsetIndex = new OffsetIndex(baseOffset, this.indexFile)
    this.timeIndex = new TimeIndex(baseOffset, this.timeIndexFile)
    this.size = size
    this.maxTimestamp = -1
    this.createdAtMs = createdAtMs
  }

  /**
   * create makes a new empty segment, emptying a stale log file of the same name if one exists.
   * The index files are created by their first write, which replaces whatever they held.
   */
  static create(dir: string, baseOffset: number, cache: FdCache, nowMs: number): Segment {
    const segment = new Segment(dir, baseOffset, cache, 0, nowMs)
    const fd = segment.log.fd()
    attempt(`truncate ${segment.log.path}`, () => fs.ftruncateSync(fd, 0))
    segment.offsetIndex.markForRewrite()
    segment.timeIndex.clear()
    return segment
  }

  /**
   * createFresh makes segment 0 of a partition directory that was just created (so empty): no
   * stale file can exist, so nothing is opened or truncated now. The log file is created by the
   * first append; the index files only once they have an entry (a missing index loads as empty).
   */
  static createFresh(dir: string, nowMs: number, cache: FdCache): Segment {
    return new Segment(dir, 0, cache, 0, nowMs)
  }

  /** handles are the segment's three files: log, offset index, time index. */
  handles(): FileHandle[] {
    return [this.log, this.indexFile, this.timeIndexFile]
  }

  /**
   * append writes one batch at the end of the valid data with a single positional write, then
   * adds index entries the way Kafka does: an entry once more than `indexIntervalBytes` have been
   * written since the previous one, mapping the batch's last offset to its start position.
   */
  append(batch: Buffer, lastOffset: number, maxTimestamp: number, indexIntervalBytes: number): void {
    const position = this.size
    const fd = this.log.fd()
    try {
      writeFully(fd, batch, position, `append to ${this.log.path}`)
    } catch (err) {
      // Drop a partial write (e.g. ENOSPC part-way), so no half batch sits past the valid size.
      try {
        fs.ftruncateSync(fd, position)
      } catch {
        // Recovery cuts it on the next open anyway.
      }
      throw err
    }
    this.size += batch.length
    this.dirty = true
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp
    if (this.bytesSinceIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position)
      this.timeIndex.maybeAppend(this.maxTimestamp, lastOffset)
      this.bytesSinceIndexEntry = 0
    }
    this.bytesSinceIndexEntry += batch.length
  }

  /** readAt reads up to `length` bytes at `position` (never past the valid size) in one call. */
  readAt(position: number, length: number): Buffer {
    const want = Math.min(length, this.size - position)
    const buf = Buffer.allocUnsafe(Math.max(0, want))
    const got = readFully(this.log.fd(), buf, want, position, `read ${this.log.path}`)
    return got === want ? buf : buf.subarray(0, got)
  }

  /** truncateTo cuts the file at `position`, where the batch starting at `firstRemovedOffset` began. */
  truncateTo(position: number, firstRemovedOffset: number): void {
    const fd = this.log.fd()
    attempt(`truncate ${this.log.path}`, () => fs.ftruncateSync(fd, position))
    this.size = position
    this.dirty = true
    this.offsetIndex.truncateToPosition(position)
    this.timeIndex.truncateToOffset(firstRemovedOffset)
    this.bytesSinceIndexEntry = position - this.offsetIndex.lastPosition()
  }

  /**
   * seal prepares a segment that stops being active: a final time index entry (so the file
   * records the segment's largest timestamp, as Kafka's `onBecomeInactiveSegment`) and the
   * indexes written out.
   */
  seal(lastOffset: number): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, lastOffset)
    this.persistIndexes()
  }

  /** persistIndexes writes index entries not yet in their files (to the page cache; they are hints). */
  persistIndexes(): void {
    this.offsetIndex.persist()
    this.timeIndex.persist()
  }

  /** releaseFiles closes the segment's descriptors (they reopen on next use). */
  releaseFiles(): void {
    for (const handle of this.handles()) handle.release()
  }

  /** deleteFiles removes the segment's three files. */
  deleteFiles(): void {
    for (const handle of this.handles()) {
      handle.discard()
      try {
        fs.unlinkSync(handle.path)
      } catch (err) {
        if (!isMissing(err)) throw wrapStorageError(err, `delete ${handle.path}`)
      }
    }
  }

  /** fileBytes returns the size of the log file on disk (may exceed `size` before recovery). */
  fileBytes(): number {
    const fd = this.log.fd()
    return attempt(`stat ${this.log.path}`, () => fs.fstatSync(fd).size)
  }

  /** readHeaderAt reads `length` header bytes of the batch at `position`, or null past the end. */
  readHeaderAt(position: number, length: number): Buffer | null {
    if (position + length > this.size) return null
    const buf = Buffer.allocUnsafe(length)
    return readFully(this.log.fd(), buf, length, position, `read ${this.log.path}`) === length ? buf : null
  }
}
