import * as fs from 'node:fs'
import {
  TributaryError,
  type AppendInfo,
  type AppendOptions,
  type Clock,
  type CompactionResult,
  type PartitionLog,
  type PartitionLogConfig,
  type RecordFilter,
  type SegmentInfo,
} from '@tributary/core'
import {
  BatchLayout,
  assert,
  checkLogConfig,
  checkOffsetArgument,
  checkReadArguments,
  checkRecordFilter,
  checkTimestampArgument,
  checkWholeBatch,
  readBaseOffset,
  readLastOffset,
  readMaxTimestamp,
  wrapStorageError,
  writeBaseOffset,
} from '@tributary/core/internal'
import { compactSegment } from './compaction'
import type { Journal } from './journal'
import type { FdCache } from './fd-cache'
import { GroupCommit } from './group-commit'
import { attempt, fdatasyncAsync, fsyncDirAsync, fsyncDirSync } from './io'
import { collect, findSegmentIndex, firstOffsetAtOrAfter, locate, segmentTail } from './log-reader'
import { completeReset, writeResetMarker } from './log-reset'
import { applyLogStart, removeLogStart, segmentsBelow, writeLogStart } from './log-start'
import type { FileStorageLogger, RecoveryReport } from './options'
import { loadPartition } from './recovery'
import { Segment } from './segment'
import type { FileSystemSync } from './file-system-sync'

/** The largest relative offset an index entry can hold (int32), so a segment spans fewer offsets. */
const MAX_RELATIVE_OFFSET = 0x7fffffff

/** PartitionLogContext is what a partition log gets from its storage. */
export interface PartitionLogContext {
  dir: string
  /** Whether this partition's directory was just created: its entry in the storage directory must be made durable. */
  createdDir: boolean
  /** Makes the storage directory's entries durable (one shared fsync for all partitions created meanwhile). */
  syncRoot: () => Promise<void>
  /**
   * Whether the storage journals appends and its replay makes again a journaled partition whose
   * directory was lost: then a new directory does not keep `sync()` off the journal.
   */
  journalCoversNewDir: boolean
  topic: string
  partition: number
  cache: FdCache
  clock: Clock
  logger: FileStorageLogger
  /** Called on the first write after a flush, so the storage's `sync()` knows whom to flush. */
  onDirty: (log: FilePartitionLog) => void
  /** Called after each flush (group commit) with how long it took, in ms (metrics, slow-flush warnings). */
  onFlushed?: (log: FilePartitionLog, ms: number) => void
  /** Throws the error for calls on a closed storage (or deleted partition). */
  assertUsable: () => void
  /**
   * The storage's shared journal that appends are also written to, or null (none, or not yet:
   * during replay). `create`: an append asks, and a storage that journals creates it on first use.
   */
  journal: (create: boolean) => Journal | null
}

/**
 * FilePartitionLog is one partition on disk: a list of segments, the last of which (the active
 * one) takes appends. See the package README for the file layout and recovery rules.
 */
export class FilePartitionLog implements PartitionLog {
  readonly topic: string
  readonly partition: number
  private readonly segmentList: Segment[]
  private end: number
  /** The log start offset: the first segment's base, or above it after `deleteBefore` (see log-start.ts). */
  private start: number
  private bytes: number
  private config: PartitionLogConfig
  private readonly commit = new GroupCommit(() => this.timedFlush())
  private dirDirty: boolean
  private rootDirty: boolean
  /** The last rolled segment until its fdatasync is known done (recovery's two-segment rule depends on it). */
  private rolled: { segment: Segment; flushed: boolean } | null = null
  /** Set once the files are closed for good (storage closed or partition deleted). */
  private released = false
  /** Set when a `resetTo` failed part-way: the files are in no state to use until recovery finishes the reset. */
  private broken: TributaryError | null = null
  /**
   * Where the last read stopped: a consumer's next read starts at `offset`, which is then at
   * `position` of `segment`, so that read needs no index lookup and header walk (a 16 KiB read
   * of bytes read again at once). Appends never move a batch; anything that does (truncate,
   * compaction, reset, segment deletion) clears it.
   */
  private readHint: { segment: Segment; offset: number; position: number } | null = null
  /**
   * The group-commit count of the last write the journal does not cover (a roll's new file, a
   * truncation, removed segments, an append made without a journal; a new directory only when the
   * storage does not journal): until a
   * flush of the segments covers it, `sync()` flushes the segments instead of the journal.
   */
  private segmentsOnlyUntil = 0
  /** Set by a flush of many partitions at once: the next flush waits for this shared syncfs instead of its own fsyncs. */
  private bulk: FileSystemSync | null = null

  private constructor(
    private readonly ctx: PartitionLogContext,
    config: PartitionLogConfig,
    segments: Segment[],
    endOffset: number,
    startOffset: number,
  ) {
    this.topic = ctx.topic
    this.partition = ctx.partition
    this.config = config
    this.segmentList = segments
    this.end = endOffset
    this.start = startOffset
    this.bytes = segments.reduce((sum, s) => sum + s.size, 0)
    this.dirDirty = ctx.createdDir
    this.rootDirty = ctx.createdDir
    if (ctx.createdDir) {
      this.commit.noteWrite()
      if (!ctx.journalCoversNewDir) this.segmentsOnlyUntil = this.commit.writtenCount()
    }
  }

  /** open loads (recovering) or creates the partition at `ctx.dir`. */
  static open(ctx: PartitionLogContext, config: PartitionLogConfig, onRecovery: (report: RecoveryReport) => void): FilePartitionLog {
    const checked = checkLogConfig(config)
    // A partition new to the storage gets its directory now; being empty, it needs no recovery.
    if (ctx.createdDir && makeFreshDir(ctx.dir))
      return new FilePartitionLog(ctx, checked, [Segment.createFresh(ctx.dir, ctx.clock.now(), ctx.cache)], 0, 0)
    const loaded = loadPartition({ ...ctx, indexIntervalBytes: checked.indexIntervalBytes, nowMs: ctx.clock.now() })
    for (const report of loaded.reports) onRecovery(report)
    const start = applyLogStart(ctx.dir, loaded, { cache: ctx.cache, nowMs: ctx.clock.now(), logger: ctx.logger })
    return new FilePartitionLog(ctx, checked, loaded.segments, loaded.endOffset, start)
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
    return this.bytes
  }

  append(batch: Buffer, options?: AppendOptions): AppendInfo {
    this.assertUsable()
    const size = checkWholeBatch(batch, 'append', options?.crcChecked)
    writeBaseOffset(batch, this.end)
    return this.write(batch, size, options?.willSync === true)
  }

  appendCopy(batch: Buffer): AppendInfo {
    this.assertUsable()
    const size = checkWholeBatch(batch, 'appendCopy')
    const baseOffset = readBaseOffset(batch)
    if (!Number.isSafeInteger(readLastOffset(batch)) || baseOffset < this.end) {
      throw new TributaryError(
        'OFFSET_OUT_OF_RANGE',
        `A copied batch at base offset ${baseOffset} does not lie past the end ${this.end} of ${this.topic}-${this.partition}`,
        {
          details: {
            topic: this.topic,
            partition: this.partition,
            baseOffset,
            startOffset: this.start,
            endOffset: this.end,
          },
        },
      )
    }
    return this.write(batch, size, false)
  }

  read(offset: number, maxBytes: number): Buffer[] {
    this.assertUsable()
    checkReadArguments(offset, maxBytes, this.start, this.end, this)
    const out: Buffer[] = []
    if (offset === this.end) return out
    let i = findSegmentIndex(this.segmentList, offset)
    const hint = this.readHint
    let position =
      hint !== null && hint.offset === offset && hint.segment === this.segmentList[i] && hint.position <= hint.segment.size
        ? hint.position
        : locate(this.segmentList[i]!, offset)
    let budget = maxBytes
    let last: { segment: Segment; position: number } | null = null
    for (; i < this.segmentList.length; i++, position = 0) {
      const segment = this.segmentList[i]!
      if (position >= segment.size) continue
      const { taken, atEnd } = collect(segment, position, budget, out)
      last = { segment, position: position + taken }
      budget -= taken
      if (!atEnd || budget <= 0) break
    }
    const lastBatch = out[out.length - 1]
    if (last !== null && lastBatch !== undefined)
      this.readHint = { segment: last.segment, offset: readLastOffset(lastBatch, 0) + 1, position: last.position }
    return out
  }

  truncate(fromOffset: number): void {
    this.assertUsable()
    checkOffsetArgument(fromOffset, 'truncate')
    this.readHint = null
    if (fromOffset >= this.end) return
    this.forgetJournaled()
    const from = Math.max(fromOffset, this.start)
    const cut = this.firstBatchFrom(from)
    // Never below the log start: a removed batch straddling it leaves the log empty at the start.
    const newEnd = Math.max(cut?.baseOffset ?? from, this.start)
    // Without a removed batch (a gap reaches the end), the segment holding `from` keeps all it has.
    const i = cut?.segment ?? findSegmentIndex(this.segmentList, from)
    const segment = this.segmentList[i]!
    this.removeSegments(i + 1, this.segmentList.length)
    // The indexes are rewritten by the next flush, after the cut is on disk.
    segment.truncateTo(cut?.position ?? segment.size, newEnd)
    this.bytes = this.segmentList.reduce((sum, s) => sum + s.size, 0)
    this.noteWrite()
    const tail = segmentTail(segment)
    segment.maxTimestamp = tail.maxTimestamp
    // Recovery takes the end from the last batch (or the last segment's base): when the new end
    // lies past the last batch kept (a gap before it), an empty segment there records it.
    this.end = Math.max(segment.baseOffset, tail.lastOffset + 1)
    if (this.end < newEnd) this.rollTo(newEnd)
    this.end = newEnd
    this.dropSegmentsBelowStart()
  }

  /**
   * resetTo swaps every segment for one empty segment at `offset`, under a reset marker so that
   * a crash leaves the old log or the new one (see log-reset.ts). It is durable when it returns.
   * A failure part-way makes the log unusable (KAFKA_STORAGE_ERROR) until the storage is reopened,
   * whose recovery finishes the reset if its marker was written.
   */
  resetTo(offset: number): void {
    this.assertUsable()
    checkOffsetArgument(offset, 'resetTo')
    this.readHint = null
    this.forgetJournaled()
    try {
      writeResetMarker(this.ctx.dir, offset)
      this.removeSegments(0, this.segmentList.length)
      removeLogStart(this.ctx.dir)
      this.segmentList.push(Segment.create(this.ctx.dir, offset, this.ctx.cache, this.ctx.clock.now()))
      this.end = offset
      this.start = offset
      this.bytes = 0
      completeReset(this.ctx.dir, offset)
    } catch (err) {
      this.broken = new TributaryError(
        'KAFKA_STORAGE_ERROR',
        `Resetting ${this.topic}-${this.partition} to offset ${offset} failed part-way; reopen the storage to recover it`,
        {
          cause: err,
          retriable: false,
          details: { topic: this.topic, partition: this.partition, offset },
        },
      )
      throw this.broken
    }
  }

  /**
   * deleteBefore moves the log start to exactly max(start, min(`offset`, end)). A start inside a
   * segment is checkpointed durably first (log-start.ts); then the segments wholly below it go
   * (a crash in between leaves recovery to delete them). The active segment always stays.
   */
  deleteBefore(offset: number): number {
    this.assertUsable()
    checkOffsetArgument(offset, 'deleteBefore')
    const start = Math.max(this.start, Math.min(offset, this.end))
    if (start === this.start) return start
    const first = this.segmentList[segmentsBelow(this.segmentList, start)]!
    if (start > first.baseOffset) writeLogStart(this.ctx.dir, start)
    this.start = start
    this.dropSegmentsBelowStart()
    return start
  }

  offsetForTimestamp(timestampMs: number): number | null {
    this.assertUsable()
    checkTimestampArgument(timestampMs)
    for (const segment of this.segmentList) {
      if (segment.size === 0 || segment.maxTimestamp < timestampMs) continue
      const found = firstOffsetAtOrAfter(segment, timestampMs, this.start)
      if (found !== null) return found
    }
    return null
  }

  /** segmentCount is how many segment files the log has (metrics; `segments()` without building the list). */
  segmentCount(): number {
    return this.segmentList.length
  }

  segments(): SegmentInfo[] {
    this.assertUsable()
    const last = this.segmentList.length - 1
    return this.segmentList.map((s, i) => ({
      baseOffset: s.baseOffset,
      endOffset: i === last ? this.end : this.segmentList[i + 1]!.baseOffset,
      sizeBytes: s.size,
      maxTimestamp: s.maxTimestamp,
      createdAtMs: s.createdAtMs,
      active: i === last,
    }))
  }

  roll(): void {
    this.assertUsable()
    if (this.active().size > 0) this.rollTo(this.end)
  }

  compact(keep: RecordFilter): CompactionResult {
    this.assertUsable()
    checkRecordFilter(keep)
    this.readHint = null
    const result: CompactionResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 }
    for (const segment of this.segmentList.slice(0, -1)) {
      this.waitForRolledFlush(segment)
      const done = compactSegment(segment, keep, this.config.indexIntervalBytes, this.ctx.logger)
      result.segmentsRewritten += done.rewritten ? 1 : 0
      result.recordsRemoved += done.recordsRemoved
      result.bytesBefore += done.bytesBefore
      result.bytesAfter += done.bytesAfter
    }
    this.bytes = this.segmentList.reduce((sum, s) => sum + s.size, 0)
    return result
  }

  setConfig(config: PartitionLogConfig): void {
    this.assertUsable()
    this.config = checkLogConfig(config)
  }

  /**
   * sync makes every earlier append durable: through the storage's journal (one fdatasync shared
   * by every partition) when the journal covers everything written since the segments' last flush,
   * else by flushing the segments (group commit).
   */
  sync(): Promise<void> {
    try {
      this.assertUsable()
    } catch (err) {
      return Promise.reject(err)
    }
    const journal = this.ctx.journal(false)
    if (journal !== null && this.commit.isDurable(this.segmentsOnlyUntil)) return journal.sync()
    return this.commit.sync()
  }

  /**
   * flushSegments makes the segments themselves durable (a journal checkpoint, close). `bulk`: the
   * storage is flushing many partitions at once, and one syncfs shared by all of them may do it.
   */
  async flushSegments(bulk: FileSystemSync | null = null): Promise<void> {
    if (bulk !== null && this.commit.hasPending()) this.bulk = bulk
    try {
      await this.commit.sync()
    } finally {
      if (this.bulk === bulk) this.bulk = null
    }
  }

  /** needsFlush tells whether some write is not yet covered by a finished flush of the segments. */
  needsFlush(): boolean {
    return this.commit.hasPending()
  }

  /** close makes every write durable, writes the indexes out and closes the files. */
  async close(bulk: FileSystemSync | null = null): Promise<void> {
    try {
      await this.flushSegments(bulk)
      for (const segment of this.segmentList) segment.persistIndexes()
    } finally {
      this.releaseFiles()
    }
  }

  /** releaseFiles closes the partition's descriptors without syncing (before its directory is deleted). */
  releaseFiles(): void {
    this.released = true
    for (const segment of this.segmentList) segment.releaseFiles()
  }

  /** firstBatchFrom finds the first batch whose last offset is ≥ `offset` (its segment index, position and base), or null. */
  private firstBatchFrom(offset: number): { segment: number; position: number; baseOffset: number } | null {
    let i = findSegmentIndex(this.segmentList, offset)
    let position = locate(this.segmentList[i]!, offset)
    while (position >= this.segmentList[i]!.size && i < this.segmentList.length - 1) {
      i++
      position = 0
    }
    const header = this.segmentList[i]!.readHeaderAt(position, BatchLayout.LOG_OVERHEAD)
    return header === null ? null : { segment: i, position, baseOffset: readBaseOffset(header) }
  }

  /** assertUsable throws for a closed storage, a deleted partition, or a log a failed reset left broken. */
  private assertUsable(): void {
    this.ctx.assertUsable()
    if (this.broken !== null) throw this.broken
  }

  private active(): Segment {
    return this.segmentList[this.segmentList.length - 1]!
  }

  /**
   * write appends a checked batch whose base offset is set and ≥ the end (rolling first if
   * needed); `journal`: also to the storage's journal (the caller will sync: acks=all).
   */
  private write(batch: Buffer, size: number, journal: boolean): AppendInfo {
    const baseOffset = readBaseOffset(batch)
    const lastOffset = readLastOffset(batch)
    const maxTimestamp = readMaxTimestamp(batch)
    // Offsets only grow: append sets the base to the end, appendCopy checked it lies at or past it.
    assert(
      baseOffset >= this.end && lastOffset >= baseOffset,
      `${this.topic}-${this.partition} writes [${baseOffset}, ${lastOffset}] at end ${this.end}`,
    )
    let active = this.active()
    if (this.shouldRoll(active, size, lastOffset)) active = this.rollTo(this.rollBase(active, baseOffset, lastOffset))
    if (active.size === 0) active.createdAtMs = this.ctx.clock.now()
    active.append(batch, lastOffset, maxTimestamp, this.config.indexIntervalBytes)
    const journaled = journal ? this.ctx.journal(true) : null
    journaled?.appendBatch(this.topic, this.partition, batch)
    this.end = lastOffset + 1
    this.bytes += size
    this.noteWrite(journaled !== null)
    return { baseOffset, lastOffset, maxTimestamp, sizeBytes: size }
  }

  private shouldRoll(active: Segment, size: number, lastOffset: number): boolean {
    // Index entries hold offsets relative to the segment base as int32; a copied batch far past the end may need a new segment.
    if (lastOffset - active.baseOffset > MAX_RELATIVE_OFFSET) return true
    if (active.size === 0) return false
    if (active.size + size > this.config.segmentBytes) return true
    return this.ctx.clock.now() - active.createdAtMs > this.config.segmentMs
  }

  /**
   * rollBase is the base of the segment a roll starts: the end offset, as Kafka's, so a crash that
   * loses the batch leaves the end where it was. Only a copied batch too far past the end for int32
   * relative offsets (or past an empty active segment, which already starts at the end) gets a
   * segment based at its own base offset.
   */
  private rollBase(active: Segment, baseOffset: number, lastOffset: number): number {
    return active.size === 0 || lastOffset - this.end > MAX_RELATIVE_OFFSET ? baseOffset : this.end
  }

  /**
   * rollTo closes the active segment and starts one at `baseOffset`. The closed segment's
   * fdatasync starts now in the background; if the previous roll's has not finished, this one
   * waits for it synchronously, so that at most the two last segments can ever have a torn tail.
   */
  private rollTo(baseOffset: number): Segment {
    const old = this.active()
    if (old.size > 0) old.timeIndex.maybeAppend(old.maxTimestamp, this.end - 1)
    if (this.rolled !== null) this.waitForRolledFlush(this.rolled.segment)
    const next = Segment.create(this.ctx.dir, baseOffset, this.ctx.cache, this.ctx.clock.now())
    this.segmentList.push(next)
    this.dirDirty = true
    const rolled = { segment: old, flushed: false }
    this.rolled = rolled
    this.noteWrite()
    this.commit.sync().then(
      () => (rolled.flushed = true),
      (err: unknown) => this.ctx.logger.warn('Flushing a rolled segment failed', { path: old.log.path, error: String(err) }),
    )
    return next
  }

  /** waitForRolledFlush makes `segment` durable now if it is the rolled segment whose background flush is unfinished. */
  private waitForRolledFlush(segment: Segment): void {
    const rolled = this.rolled
    if (rolled === null || rolled.segment !== segment || rolled.flushed) return
    const fd = segment.log.fd()
    attempt(`fdatasync ${segment.log.path}`, () => fs.fdatasyncSync(fd))
    segment.persistIndexes()
    rolled.flushed = true
  }

  /** dropSegmentsBelowStart deletes the closed segments wholly below the log start. */
  private dropSegmentsBelowStart(): void {
    const n = segmentsBelow(this.segmentList, this.start)
    if (n === 0) return
    this.removeSegments(0, n)
    this.bytes = this.segmentList.reduce((sum, s) => sum + s.size, 0)
    this.noteWrite()
  }

  private removeSegments(from: number, to: number): void {
    this.readHint = null
    for (const segment of this.segmentList.splice(from, to - from)) {
      if (this.rolled?.segment === segment) this.rolled = null
      segment.deleteFiles()
    }
    this.dirDirty = true
  }

  /**
   * noteWrite counts a write for the group commit and tells the storage (every time: a flush may
   * be running that misses it). `journaled`: the journal holds the write, so `sync()` may rely on it.
   */
  private noteWrite(journaled = false): void {
    this.ctx.onDirty(this)
    this.commit.noteWrite()
    if (!journaled) this.segmentsOnlyUntil = this.commit.writtenCount()
  }

  /**
   * forgetJournaled comes before a truncation or reset: the segments are made durable now (so the
   * journal holds nothing they lack), then a durable forget mark tells replay to ignore this
   * partition's earlier records, which could otherwise re-append what is about to be cut.
   */
  private forgetJournaled(): void {
    const journal = this.ctx.journal(false)
    if (journal === null || !journal.holds(this.topic, this.partition)) return
    // Not only the dirty segments: a flush that started (clearing `dirty`) may not have finished.
    // Older segments than the last two were flushed by the roll after them (see rollTo).
    const unsure = this.commit.isDurable(this.commit.writtenCount()) ? [] : this.segmentList.slice(-2)
    for (const segment of this.segmentList) {
      if (!segment.dirty && !unsure.includes(segment)) continue
      const fd = segment.log.fd()
      attempt(`fdatasync ${segment.log.path}`, () => fs.fdatasyncSync(fd))
    }
    // A rolled segment's directory entry too: without it the segment's bytes would be lost with it.
    if (this.dirDirty) fsyncDirSync(this.ctx.dir)
    journal.forget(this.topic, this.partition)
  }

  /**
   * timedFlush is `flush` reporting how long its disk work took: the longest of its fsyncs, each
   * timed once it holds its descriptor, so that waiting for a descriptor slot (thousands of
   * partitions flushing at once, as on close) is not mistaken for a slow disk.
   */
  private timedFlush(): Promise<void> {
    const timing = { ms: 0 }
    return this.flush(timing).then(() => this.ctx.onFlushed?.(this, timing.ms))
  }

  /**
   * flush is one group commit: fdatasync every segment written since the last flush (and the
   * directories whose entries changed), then write out the index entries that existed before
   * it, which now point only at durable data.
   */
  private async flush(timing: { ms: number }): Promise<void> {
    const segments = this.segmentList.filter((s) => s.dirty)
    const marks = segments.map((s) => ({ s, offsets: s.offsetIndex.count(), times: s.timeIndex.count() }))
    for (const s of segments) s.dirty = false
    const timed = (started: number) => () => {
      timing.ms = Math.max(timing.ms, performance.now() - started)
    }
    const dirDirty = this.dirDirty
    const rootDirty = this.rootDirty
    this.dirDirty = false
    this.rootDirty = false
    const bulk = this.bulk
    this.bulk = null
    // One syncfs started after this point covers the segments and both directories' entries.
    let flushed = false
    if (bulk !== null) {
      const started = performance.now()
      flushed = await bulk.sync()
      if (flushed) timed(started)()
    }
    if (!flushed) {
      const work: Promise<unknown>[] = segments.map((s) =>
        s.log.withPinned((fd) => fdatasyncAsync(fd, `fdatasync ${s.log.path}`).then(timed(performance.now()))),
      )
      if (dirDirty) work.push(this.ctx.cache.withSlot(() => fsyncDirAsync(this.ctx.dir).then(timed(performance.now()))))
      if (rootDirty) work.push(this.ctx.syncRoot())
      await Promise.all(work)
    }
    for (const m of marks) {
      if (this.released || !this.segmentList.includes(m.s)) continue
      m.s.offsetIndex.persist(m.offsets)
      m.s.timeIndex.persist(m.times)
    }
  }
}

/**
 * makeFreshDir creates a partition directory that must not exist yet; false when it does exist
 * (a shortened topic name's directory holds its name file already, or another process made it),
 * so the caller loads it as an existing one.
 */
function makeFreshDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw wrapStorageError(err, `create ${dir}`)
  }
}
