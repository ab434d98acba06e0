import type Database from 'better-sqlite3'
import { RecordBatch, TributaryError, isTributaryError } from '@tributary/core'
import {
  BatchLayout,
  assert,
  checkBatchAt,
  checkLogConfig,
  checkOffsetArgument,
  checkReadArguments,
  checkRecordFilter,
  checkTimestampArgument,
  checkWholeBatch,
  filterBatchRecords,
  readBaseOffset,
  readLastOffset,
  readMaxTimestamp,
  writeBaseOffset,
} from '@tributary/core/internal'
import type {
  AppendInfo,
  AppendOptions,
  Clock,
  CompactionResult,
  PartitionLog,
  PartitionLogConfig,
  RecordFilter,
  SegmentInfo,
} from '@tributary/core'
import type { GroupSync } from './group-sync'
import type { PartitionRow, SegmentStatsRow, Statements } from './statements'
import { toStorageError } from './sqlite-errors'

/** LogContext is what a partition log shares with its storage: the connection and its helpers. */
export interface LogContext {
  readonly db: Database.Database
  readonly stmts: Statements
  readonly groupSync: GroupSync
  readonly clock: Clock
  /** Database path, for error messages. */
  readonly path: string
  /** assertOpen throws CLIENT_CLOSED once the storage is closed. */
  assertOpen(): void
}

/** One segment as the log keeps it in memory: its boundary row plus totals of its batches. */
interface SegmentState {
  baseOffset: number
  createdAtMs: number
  batchCount: number
  sizeBytes: number
  /** -1 when the segment holds no batch. */
  maxTimestamp: number
}

/**
 * Batches read per statement while compacting: bounds memory to this many batches (each at most
 * `max.message.bytes`) whatever the segment size, because better-sqlite3 cannot write while a
 * statement iterates.
 */
const COMPACTION_CHUNK_BATCHES = 16

/**
 * SqlitePartitionLog is one partition's log in the shared database: a row per record batch in
 * `batches`, segment boundaries in `segments`.
 *
 * The database is the truth; the log keeps its offsets and per-segment totals in memory so that
 * appends, `segments()` and `sizeBytes()` need no query, and rebuilds them from the database
 * after an operation that removes batches. Memory is per segment, never per batch.
 *
 * Segments follow the file storage: the active segment rolls before it would pass `segmentBytes`
 * or once it is `segmentMs` old. `deleteBefore` moves the log start (`partitions.start_offset`)
 * exactly to the asked offset and deletes the closed segments wholly below it; retention asks
 * for a segment's end, so it deletes whole segments.
 */
export class SqlitePartitionLog implements PartitionLog {
  readonly topic: string
  readonly partition: number
  /** id is the partition's integer key in the database. */
  readonly id: number
  private config: PartitionLogConfig
  private segs: SegmentState[] = []
  private start: number
  private end: number
  /** Running max of batch max timestamps: the next batch's `time_key` floor. */
  private timeKey = -1
  private totalBytes = 0
  private deleted = false

  /** Builds the log over an existing `partitions` row (which has at least one segment). */
  constructor(
    private readonly ctx: LogContext,
    row: PartitionRow,
    config: PartitionLogConfig,
  ) {
    this.topic = row.topic
    this.partition = row.partition_index
    this.id = row.id
    this.config = { ...config }
    this.start = row.start_offset
    this.end = row.end_offset
    this.reload()
  }

  startOffset(): number {
    this.assertUsable()
    return this.start
  }

  endOffset(): number {
    this.assertUsable()
    return this.end
  }

  sizeBytes(): number {
    this.assertUsable()
    return this.totalBytes
  }

  /** append stores one batch as one row at the end offset; see `insert`. */
  append(batch: Buffer, options?: AppendOptions): AppendInfo {
    this.assertUsable()
    const size = checkWholeBatch(batch, 'append', options?.crcChecked)
    writeBaseOffset(batch, this.end)
    return this.insert(batch, size)
  }

  /** appendCopy stores a copied batch as one row at the base offset it carries (≥ the end); see `insert`. */
  appendCopy(batch: Buffer): AppendInfo {
    this.assertUsable()
    const size = checkWholeBatch(batch, 'appendCopy')
    const baseOffset = readBaseOffset(batch)
    if (!Number.isSafeInteger(readLastOffset(batch)) || baseOffset < this.end) {
      throw new TributaryError(
        'OFFSET_OUT_OF_RANGE',
        `A copied batch at base offset ${baseOffset} does not lie past the end ${this.end} of ${this.name()}`,
        {
          details: { topic: this.topic, partition: this.partition, baseOffset, startOffset: this.start, endOffset: this.end },
        },
      )
    }
    return this.insert(batch, size)
  }

  /**
   * insert stores a checked batch whose base offset is set (≥ the end). A roll starts the new
   * segment at the end offset, so a gap before a copied batch belongs to the batch's segment. A
   * roll, or the first batch of a segment, adds a transaction around the insert.
   */
  private insert(batch: Buffer, size: number): AppendInfo {
    const baseOffset = readBaseOffset(batch)
    const rollBase = this.end
    const lastOffset = readLastOffset(batch)
    const maxTimestamp = readMaxTimestamp(batch)
    // Offsets only grow: append sets the base to the end, appendCopy checked it lies at or past it.
    assert(baseOffset >= this.end && lastOffset >= baseOffset, `${this.name()} inserts [${baseOffset}, ${lastOffset}] at end ${this.end}`)
    const count = batch.readInt32BE(BatchLayout.RECORDS_COUNT)
    const timeKey = Math.max(this.timeKey, maxTimestamp)
    const nowMs = this.ctx.clock.now()
    const roll = this.shouldRoll(size, nowMs)
    const active = this.active()
    const firstOfSegment = roll || active.batchCount === 0
    this.write(`Appending to ${this.name()}`, () => {
      const insert = () => this.ctx.stmts.insertBatch.run(this.id, lastOffset, baseOffset, maxTimestamp, timeKey, count, size, batch)
      if (!firstOfSegment) return void insert()
      this.ctx.db.transaction(() => {
        // A segment's age counts from its first batch, so an idle empty segment does not roll at once.
        if (roll) this.ctx.stmts.insertSegment.run(this.id, rollBase, nowMs)
        else this.ctx.stmts.updateSegmentCreated.run(nowMs, this.id, active.baseOffset)
        insert()
      })()
    })
    if (roll) this.segs.push(emptySegment(rollBase, nowMs))
    const segment = this.active()
    if (!roll && firstOfSegment) segment.createdAtMs = nowMs
    segment.batchCount++
    segment.sizeBytes += size
    segment.maxTimestamp = Math.max(segment.maxTimestamp, maxTimestamp)
    this.totalBytes += size
    this.timeKey = timeKey
    this.end = lastOffset + 1
    return { baseOffset, lastOffset, maxTimestamp, sizeBytes: size }
  }

  read(offset: number, maxBytes: number): Buffer[] {
    this.assertUsable()
    checkReadArguments(offset, maxBytes, this.start, this.end, this)
    if (offset === this.end) return []
    const out: Buffer[] = []
    let total = 0
    this.guard(`Reading ${this.name()} at ${offset}`, () => {
      // Breaking out of for..of resets the statement, so only the rows taken are stepped.
      for (const [lastOffset, data] of this.ctx.stmts.selectBatchesFrom.iterate(this.id, offset)) {
        if (out.length > 0 && total + data.length > maxBytes) break
        try {
          this.verify(data, lastOffset)
        } catch (err) {
          // As the file storage: the good batches before a damaged one are served; the next read,
          // which starts at the damaged one, gets CORRUPT_MESSAGE.
          if (out.length > 0 && isTributaryError(err, 'CORRUPT_MESSAGE')) break
          throw err
        }
        out.push(data)
        total += data.length
        if (total >= maxBytes) break
      }
    })
    return out
  }

  truncate(fromOffset: number): void {
    this.assertUsable()
    checkOffsetArgument(fromOffset, 'truncate')
    if (fromOffset >= this.end) return
    const from = Math.max(fromOffset, this.start)
    const newEnd = this.write(`Truncating ${this.name()} from ${from}`, () =>
      this.ctx.db.transaction(() => {
        // The end becomes the base of the first removed batch (or `from` inside a compacted gap),
        // never below the log start: a removed batch straddling it leaves the log empty there.
        const firstRemovedBase = this.ctx.stmts.selectFirstBaseFrom.get(this.id, from)
        const end = Math.max(this.start, firstRemovedBase ?? from)
        this.ctx.stmts.deleteBatchesFrom.run(this.id, from)
        this.ctx.stmts.deleteSegmentsAbove.run(this.id, end)
        this.ctx.stmts.updatePartitionOffsets.run(this.start, end, this.id)
        return end
      })(),
    )
    this.end = newEnd
    this.reload()
  }

  /** resetTo replaces every batch and segment row with one empty segment at `offset`, in one transaction. */
  resetTo(offset: number): void {
    this.assertUsable()
    checkOffsetArgument(offset, 'resetTo')
    const nowMs = this.ctx.clock.now()
    this.write(`Resetting ${this.name()} to ${offset}`, () =>
      this.ctx.db.transaction(() => {
        this.ctx.stmts.deleteAllBatches.run(this.id)
        this.ctx.stmts.deleteAllSegments.run(this.id)
        this.ctx.stmts.insertSegment.run(this.id, offset, nowMs)
        this.ctx.stmts.updatePartitionOffsets.run(offset, offset, this.id)
      })(),
    )
    this.start = offset
    this.end = offset
    this.reload()
  }

  /** deleteBefore sets the log start exactly and deletes the closed segments wholly below it, in one transaction. */
  deleteBefore(offset: number): number {
    this.assertUsable()
    checkOffsetArgument(offset, 'deleteBefore')
    const newStart = Math.max(this.start, Math.min(offset, this.end))
    if (newStart === this.start) return this.start
    let removable = 0
    // Never the active (last) segment; only closed segments that end at or below the new start.
    while (removable < this.segs.length - 1 && this.segmentEnd(removable) <= newStart) removable++
    const firstKept = (this.segs[removable] as SegmentState).baseOffset
    this.write(`Deleting ${this.name()} below ${newStart}`, () => {
      this.ctx.db.transaction(() => {
        if (removable > 0) {
          this.ctx.stmts.deleteBatchesBelow.run(this.id, firstKept)
          this.ctx.stmts.deleteSegmentsBelow.run(this.id, firstKept)
        }
        this.ctx.stmts.updatePartitionOffsets.run(newStart, this.end, this.id)
      })()
    })
    for (const removed of this.segs.splice(0, removable)) this.totalBytes -= removed.sizeBytes
    this.start = newStart
    return this.start
  }

  /**
   * offsetForTimestamp seeks `batches_by_time` to the first batch whose running max timestamp
   * reaches `timestampMs`, then decodes forward to the first record at or after it.
   */
  offsetForTimestamp(timestampMs: number): number | null {
    this.assertUsable()
    checkTimestampArgument(timestampMs)
    return this.guard(`Searching ${this.name()} by timestamp`, () => {
      for (const [lastOffset, maxTimestamp, data] of this.ctx.stmts.selectBatchesByTime.iterate(this.id, timestampMs)) {
        if (maxTimestamp < timestampMs) continue
        this.verify(data, lastOffset)
        for (const record of RecordBatch.fromChecked(data).records()) {
          if (record.timestamp >= timestampMs && record.offset >= this.start) return record.offset
        }
      }
      return null
    })
  }

  segments(): SegmentInfo[] {
    this.assertUsable()
    const last = this.segs.length - 1
    return this.segs.map((s, i) => ({
      baseOffset: s.baseOffset,
      endOffset: this.segmentEnd(i),
      sizeBytes: s.sizeBytes,
      maxTimestamp: s.batchCount === 0 ? -1 : s.maxTimestamp,
      createdAtMs: s.createdAtMs,
      active: i === last,
    }))
  }

  roll(): void {
    this.assertUsable()
    if (this.end === this.active().baseOffset) return
    const nowMs = this.ctx.clock.now()
    this.write(`Rolling ${this.name()}`, () => this.ctx.stmts.insertSegment.run(this.id, this.end, nowMs))
    this.segs.push(emptySegment(this.end, nowMs))
  }

  /**
   * compact filters the batches of each closed segment through `keep`, one transaction per
   * segment (a crash leaves each segment old or new, never a mix). A batch keeps its row key
   * (its last offset), so offsets never change; a batch left with no record is deleted.
   */
  compact(keep: RecordFilter): CompactionResult {
    this.assertUsable()
    checkRecordFilter(keep)
    const result: CompactionResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 }
    const bounds = this.segs.slice(0, -1).map((s, i) => [s.baseOffset, this.segmentEnd(i)] as const)
    try {
      for (const [from, to] of bounds) {
        const pass = this.write(`Compacting ${this.name()} [${from}, ${to})`, () =>
          this.ctx.db.transaction(() => this.compactRange(from, to, keep))(),
        )
        result.bytesBefore += pass.bytesBefore
        result.bytesAfter += pass.bytesAfter
        result.recordsRemoved += pass.recordsRemoved
        if (pass.changed) result.segmentsRewritten++
      }
    } finally {
      // Segments committed before a failure (a throwing filter, a full disk) are rewritten too.
      if (result.segmentsRewritten > 0) this.reload()
    }
    return result
  }

  setConfig(config: PartitionLogConfig): void {
    this.assertUsable()
    checkLogConfig(config)
    if (config.segmentBytes === this.config.segmentBytes && config.segmentMs === this.config.segmentMs) {
      this.config = { ...config }
      return
    }
    this.write(`Configuring ${this.name()}`, () => this.ctx.stmts.updatePartitionConfig.run(config.segmentBytes, config.segmentMs, this.id))
    this.config = { ...config }
  }

  sync(): Promise<void> {
    try {
      this.assertUsable()
    } catch (err) {
      return Promise.reject(err)
    }
    return this.ctx.groupSync.sync()
  }

  /** markDeleted makes every later call fail: the storage deleted this partition. */
  markDeleted(): void {
    this.deleted = true
  }

  /** compactRange filters the batches with last offsets in [from, to); runs inside a transaction. */
  private compactRange(from: number, to: number, keep: RecordFilter) {
    const { stmts } = this.ctx
    const pass = { changed: false, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 }
    for (let cursor = from; ; ) {
      const rows = stmts.selectBatchRange.all(this.id, cursor, to, COMPACTION_CHUNK_BATCHES)
      for (const [lastOffset, count, data] of rows) {
        this.verify(data, lastOffset)
        pass.bytesBefore += data.length
        const kept = filterBatchRecords(data, keep)
        if (kept === data) {
          pass.bytesAfter += data.length
          continue
        }
        pass.changed = true
        if (kept === null) {
          stmts.deleteBatch.run(this.id, lastOffset)
          pass.recordsRemoved += count
          continue
        }
        const keptCount = kept.readInt32BE(BatchLayout.RECORDS_COUNT)
        stmts.updateBatch.run(kept, kept.length, readMaxTimestamp(kept), keptCount, this.id, lastOffset)
        pass.recordsRemoved += count - keptCount
        pass.bytesAfter += kept.length
      }
      const last = rows[rows.length - 1]
      if (last === undefined || rows.length < COMPACTION_CHUNK_BATCHES) break
      cursor = last[0] + 1
    }
    // The end offset may now lie past every stored batch; persist it for the next open.
    if (pass.changed) stmts.updatePartitionOffsets.run(this.start, this.end, this.id)
    return pass
  }

  /** reload rebuilds the per-segment totals from the database (after removing or rewriting batches). */
  private reload(): void {
    const rows = this.guard(`Loading ${this.name()}`, () => this.ctx.stmts.selectSegmentStats.all({ pid: this.id }))
    if (rows.length === 0) {
      throw new TributaryError('KAFKA_STORAGE_ERROR', `Partition ${this.name()} has no segment row in ${this.ctx.path}`, {
        retriable: false,
      })
    }
    this.segs = rows.map(toSegmentState)
    this.totalBytes = rows.reduce((sum, r) => sum + r.size_bytes, 0)
    this.timeKey = rows.reduce((max, r) => Math.max(max, r.time_key), -1)
    // The stored end offset is a lower bound (appends do not write it); batches and segment bases raise it.
    const lastBatch = rows.reduce((max, r) => Math.max(max, r.last_offset), -1)
    this.end = Math.max(this.end, lastBatch + 1, (rows[rows.length - 1] as SegmentStatsRow).base_offset)
  }

  private shouldRoll(batchBytes: number, nowMs: number): boolean {
    const active = this.active()
    if (active.batchCount === 0) return false
    return active.sizeBytes + batchBytes > this.config.segmentBytes || nowMs - active.createdAtMs >= this.config.segmentMs
  }

  private active(): SegmentState {
    return this.segs[this.segs.length - 1] as SegmentState
  }

  /** segmentEnd is one past segment i's last offset: the next segment's base, or the log end. */
  private segmentEnd(i: number): number {
    return this.segs[i + 1]?.baseOffset ?? this.end
  }

  /** verify checks a stored batch's CRC and that its offsets are the ones its row is keyed by. */
  private verify(data: Buffer, lastOffset: number): void {
    const corrupt = (why: string) =>
      new TributaryError('CORRUPT_MESSAGE', `Stored batch of ${this.name()} ending at offset ${lastOffset} is corrupt: ${why}`, {
        details: { topic: this.topic, partition: this.partition, lastOffset, path: this.ctx.path },
      })
    let size: number
    try {
      size = checkBatchAt(data, 0)
    } catch (err) {
      throw corrupt(err instanceof Error ? err.message : String(err))
    }
    if (size !== data.length) throw corrupt(`it declares ${size} bytes but the row holds ${data.length}`)
    // The base offset is outside the CRC, so check it against the row key as well.
    if (readLastOffset(data) !== lastOffset) throw corrupt(`its header says it ends at ${readLastOffset(data)}`)
  }

  /** write runs a database change, marks it for the next group sync and maps SQLite errors. */
  private write<T>(what: string, fn: () => T): T {
    const result = this.guard(what, fn)
    this.ctx.groupSync.markWritten()
    return result
  }

  /** guard maps SQLite errors (corruption, a full disk) to TributaryErrors naming the database. */
  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      throw toStorageError(err, what, this.ctx.path)
    }
  }

  private assertUsable(): void {
    this.ctx.assertOpen()
    if (this.deleted) {
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${this.name()} was deleted`, {
        details: { topic: this.topic, partition: this.partition },
        retriable: false,
      })
    }
  }

  private name(): string {
    return `${this.topic}-${this.partition}`
  }
}

function emptySegment(baseOffset: number, createdAtMs: number): SegmentState {
  return { baseOffset, createdAtMs, batchCount: 0, sizeBytes: 0, maxTimestamp: -1 }
}

function toSegmentState(row: SegmentStatsRow): SegmentState {
  return {
    baseOffset: row.base_offset,
    createdAtMs: row.created_at_ms,
    batchCount: row.batch_count,
    sizeBytes: row.size_bytes,
    maxTimestamp: row.max_timestamp,
  }
}
