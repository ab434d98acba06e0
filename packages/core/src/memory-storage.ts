import { assert } from './assert'
import { BatchLayout, checkFramingAt, readBaseOffset, readMaxTimestamp, writeBaseOffset } from './batch-header'
import { type Clock, systemClock } from './clock'
import { TributaryError } from './errors'
import type { TopicPartition } from './model'
import { RecordBatch, filterBatchRecords } from './record-batch'
import type {
  AppendOptions,
  AppendInfo,
  CommittedOffset,
  CompactionResult,
  PartitionLog,
  PartitionLogConfig,
  RecordFilter,
  SegmentInfo,
  Storage,
  StorageStats,
  StoredMetadata,
} from './storage'
import {
  checkBatchArgument,
  checkCommittedOffsets,
  checkGroupId,
  checkLogConfig,
  checkOffsetArgument,
  checkPartitionList,
  checkReadArguments,
  checkRecordFilter,
  checkStoredMetadata,
  checkTimestampArgument,
  checkTopicPartition,
} from './storage-checks'

/**
 * MemoryStorage keeps a node's state in process memory: the default when no directory is given,
 * and the reference the conformance suite checks the disk adapters against. Batches are grouped
 * into simulated segments by `segmentBytes`/`segmentMs`, so retention and compaction act on
 * whole segments exactly as on disk. A `MemoryVolume` plays the disk: a new `MemoryStorage` over
 * the same volume sees what the previous one left, and `crash()` loses what was never synced.
 */

/** One stored batch (our own copy) and the header fields that searches use. */
interface StoredBatch {
  buf: Buffer
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
}

/** A simulated segment; its end offset is the next segment's base, or the log end for the last. */
interface MemorySegment {
  baseOffset: number
  batches: StoredBatch[]
  sizeBytes: number
  /** maxTsPrefix[i] is the largest max timestamp of batches 0..i: sorted, so it can be binary searched. */
  maxTsPrefix: number[]
  createdAtMs: number
}

/** LogData is one partition's durable state, owned by the volume. Invariant: `segments` is never empty. */
interface LogData {
  config: PartitionLogConfig
  segments: MemorySegment[]
  startOffset: number
  endOffset: number
  /** Everything below this offset survives a crash; appends above it do not. */
  syncedEndOffset: number
}

/** VolumeState is what a volume holds; kept out of the public type so that it stays opaque. */
interface VolumeState {
  /** Partition logs by `topic\0partition`. */
  logs: Map<string, LogData>
  metadata: StoredMetadata | null
  /** Committed offsets by `group\0topic\0partition`. */
  offsets: Map<string, CommittedOffset>
  /** The open storage holding the volume (the equivalent of a directory lock). */
  owner: MemoryStorage | null
}

const volumeStates = new WeakMap<MemoryVolume, VolumeState>()

/**
 * MemoryVolume is the "disk" of memory storage: logs, metadata and committed offsets that outlive
 * one `MemoryStorage` instance. It is opaque; pass it to `new MemoryStorage({ volume })`.
 */
export class MemoryVolume {
  constructor() {
    volumeStates.set(this, { logs: new Map(), metadata: null, offsets: new Map(), owner: null })
  }
}

/** LogOwner is what a log needs from its storage: time, the volume, and the open check. */
interface LogOwner {
  readonly clock: Clock
  readonly vol: VolumeState
  assertOpen(): void
}

/** MemoryStorageOptions configures a `MemoryStorage`. */
export interface MemoryStorageOptions {
  /** Time source for `segmentMs` and segment creation times; default `systemClock`. */
  clock?: Clock
  /** The volume to open; default a new, empty one. */
  volume?: MemoryVolume
}

/**
 * MemoryStorage implements `Storage` in memory. Lifecycle as every adapter: construct, `open()`,
 * use, `close()`. Throws CLIENT_CLOSED for calls before `open()` or after `close()`,
 * STORAGE_LOCKED when another open instance holds the same volume.
 */
export class MemoryStorage implements Storage {
  readonly kind = 'memory'
  /** Appends are copied (a caller reusing its buffer cannot change what is stored). */
  readonly copiesAppends: boolean = true
  /** volume is the state this storage reads and writes; share it to simulate a restart. */
  readonly volume: MemoryVolume
  private readonly clock: Clock
  private readonly vol: VolumeState
  private readonly owner: LogOwner
  private state: 'new' | 'open' | 'closed' = 'new'
  private readonly logs = new Map<string, MemoryPartitionLog>()

  constructor(options: MemoryStorageOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TributaryError('INVALID_CONFIG', 'MemoryStorage options must be an object')
    for (const key of Object.keys(options)) {
      if (key !== 'clock' && key !== 'volume')
        throw new TributaryError('INVALID_CONFIG', `Unknown MemoryStorage option '${key}'`, { details: { path: key } })
    }
    this.clock = options.clock ?? systemClock
    this.volume = options.volume ?? new MemoryVolume()
    const vol = volumeStates.get(this.volume)
    if (vol === undefined)
      throw new TributaryError('INVALID_CONFIG', 'MemoryStorage option volume must be a MemoryVolume', { details: { path: 'volume' } })
    this.vol = vol
    this.owner = { clock: this.clock, vol, assertOpen: () => this.assertOpen() }
  }

  /** open takes the volume; STORAGE_LOCKED if another open MemoryStorage holds it. */
  async open(): Promise<void> {
    if (this.state === 'closed') throw closedError()
    if (this.state === 'open') return
    if (this.vol.owner !== null) throw new TributaryError('STORAGE_LOCKED', 'The memory volume is held by another open MemoryStorage')
    this.vol.owner = this
    this.state = 'open'
  }

  partitionLog(tp: TopicPartition, config: PartitionLogConfig): PartitionLog {
    this.assertOpen()
    const key = partitionKey(tp)
    const logConfig = { ...checkLogConfig(config) }
    let data = this.vol.logs.get(key)
    if (data === undefined) {
      data = { config: logConfig, segments: [newSegment(0, this.clock.now())], startOffset: 0, endOffset: 0, syncedEndOffset: 0 }
      this.vol.logs.set(key, data)
    }
    data.config = logConfig
    let log = this.logs.get(key)
    if (log === undefined || !log.isOver(data)) {
      log = new MemoryPartitionLog(this.owner, tp.topic, tp.partition, data)
      this.logs.set(key, log)
    }
    return log
  }

  listPartitions(): TopicPartition[] {
    this.assertOpen()
    return [...this.vol.logs.keys()]
      .map(parsePartitionKey)
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  }

  async deletePartition(tp: TopicPartition): Promise<void> {
    this.assertOpen()
    const key = partitionKey(tp)
    this.vol.logs.delete(key)
    this.logs.delete(key)
  }

  loadMetadata(): StoredMetadata | null {
    this.assertOpen()
    return this.vol.metadata === null ? null : structuredClone(this.vol.metadata)
  }

  async saveMetadata(metadata: StoredMetadata): Promise<void> {
    this.assertOpen()
    checkStoredMetadata(metadata)
    // A deep copy, so that the caller changing its object later cannot change what is "on disk".
    this.vol.metadata = structuredClone(metadata)
  }

  loadCommittedOffsets(): CommittedOffset[] {
    this.assertOpen()
    return [...this.vol.offsets.values()].map((o) => ({ ...o }))
  }

  async commitOffsets(offsets: readonly CommittedOffset[]): Promise<void> {
    this.assertOpen()
    // Validated all first: one call's offsets land together or not at all.
    const copies = checkCommittedOffsets(offsets)
    for (const o of copies) this.vol.offsets.set(offsetKey(o.groupId, o), o)
  }

  async deleteCommittedOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<void> {
    this.assertOpen()
    checkGroupId(groupId)
    checkPartitionList(partitions)
    if (partitions === undefined) {
      for (const [key, o] of this.vol.offsets) if (o.groupId === groupId) this.vol.offsets.delete(key)
      return
    }
    const keys = partitions.map((tp) => offsetKey(groupId, tp))
    for (const key of keys) this.vol.offsets.delete(key)
  }

  async sync(): Promise<void> {
    this.assertOpen()
    for (const data of this.vol.logs.values()) data.syncedEndOffset = data.endOffset
  }

  /** close syncs everything (a clean shutdown loses nothing) and releases the volume. Idempotent. */
  /** stats counts the partition logs, their segments and bytes (memory has no flushes to time). */
  stats(): StorageStats {
    let segments = 0
    let sizeBytes = 0
    for (const log of this.logs.values()) {
      segments += log.segments().length
      sizeBytes += log.sizeBytes()
    }
    return { kind: this.kind, partitions: this.logs.size, segments, sizeBytes }
  }

  async close(): Promise<void> {
    this.closeNow()
  }

  /**
   * crash simulates the process dying: this instance closes without syncing and the volume drops
   * every append (or copied batch) that no `sync()` covered. Metadata, offsets, truncation,
   * deletion, compaction and `resetTo` are treated as already durable (their disk adapters make
   * them so before returning).
   */
  crash(): void {
    if (this.state === 'open') {
      const now = this.clock.now()
      for (const data of this.vol.logs.values()) if (data.syncedEndOffset < data.endOffset) cutData(data, data.syncedEndOffset, now)
      this.vol.owner = null
    }
    this.state = 'closed'
  }

  /**
   * reopen simulates a restart: it closes this storage (or, with `crash: true`, crashes it) and
   * returns a new, not yet opened MemoryStorage over the same volume and clock. Call `open()` on it.
   */
  reopen(options: { crash?: boolean } = {}): MemoryStorage {
    if (options.crash === true) this.crash()
    else this.closeNow()
    return new MemoryStorage({ clock: this.clock, volume: this.volume })
  }

  /** closeNow is `close` without the promise: memory has nothing to wait for. */
  private closeNow(): void {
    if (this.state === 'open') {
      for (const data of this.vol.logs.values()) data.syncedEndOffset = data.endOffset
      this.vol.owner = null
    }
    this.state = 'closed'
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw closedError()
  }
}

/** MemoryPartitionLog is one partition's log over a `LogData` of the volume. */
class MemoryPartitionLog implements PartitionLog {
  private readonly key: string

  constructor(
    private readonly owner: LogOwner,
    readonly topic: string,
    readonly partition: number,
    private readonly data: LogData,
  ) {
    this.key = partitionKey({ topic, partition })
  }

  /** isOver tells whether this log object still reads `data` (a deleted and recreated partition gets a new one). */
  isOver(data: LogData): boolean {
    return this.data === data
  }

  startOffset(): number {
    return this.live().startOffset
  }

  endOffset(): number {
    return this.live().endOffset
  }

  sizeBytes(): number {
    return this.live().segments.reduce((sum, s) => sum + s.sizeBytes, 0)
  }

  append(batch: Buffer, options?: AppendOptions): AppendInfo {
    const data = this.live()
    const info = this.store(data, checkedCopy(batch, 'append', options?.crcChecked), data.endOffset)
    // The contract sets the base offset in the caller's buffer too (outside the CRC, so still valid).
    writeBaseOffset(batch, info.baseOffset)
    return info
  }

  appendCopy(batch: Buffer): AppendInfo {
    const data = this.live()
    const copy = checkedCopy(batch, 'appendCopy')
    const baseOffset = readBaseOffset(copy)
    const lastOffset = baseOffset + copy.readInt32BE(BatchLayout.LAST_OFFSET_DELTA)
    if (!Number.isSafeInteger(lastOffset) || baseOffset < data.endOffset) {
      throw new TributaryError(
        'OFFSET_OUT_OF_RANGE',
        `A copied batch at base offset ${baseOffset} does not lie past the log end ${data.endOffset}`,
        {
          details: { baseOffset, startOffset: data.startOffset, endOffset: data.endOffset },
        },
      )
    }
    return this.store(data, copy, baseOffset)
  }

  read(offset: number, maxBytes: number): Buffer[] {
    const data = this.live()
    checkReadArguments(offset, maxBytes, data.startOffset, data.endOffset, this)
    const out: Buffer[] = []
    let total = 0
    for (const batch of batchesFrom(data, offset)) {
      if (out.length > 0 && total + batch.buf.length > maxBytes) break
      // A copy, so that a consumer changing a returned buffer cannot damage the stored batch. The
      // stored bytes were CRC-checked on append and are never written to since, so no re-check.
      out.push(Buffer.from(batch.buf))
      total += batch.buf.length
    }
    return out
  }

  truncate(fromOffset: number): void {
    const data = this.live()
    checkOffsetArgument(fromOffset, 'truncate')
    if (fromOffset >= data.endOffset) return
    const from = Math.max(fromOffset, data.startOffset)
    const firstRemoved = batchesFrom(data, from).next()
    // Never below the log start: a removed batch straddling it leaves the log empty at the start.
    const newEnd = firstRemoved.done === true ? from : Math.max(firstRemoved.value.baseOffset, data.startOffset)
    cutData(data, newEnd, this.owner.clock.now())
  }

  resetTo(offset: number): void {
    const data = this.live()
    checkOffsetArgument(offset, 'resetTo')
    data.segments = [newSegment(offset, this.owner.clock.now())]
    data.startOffset = offset
    data.endOffset = offset
    // Durable at once, as the disk adapters make it before returning.
    data.syncedEndOffset = offset
  }

  deleteBefore(offset: number): number {
    const data = this.live()
    checkOffsetArgument(offset, 'deleteBefore')
    const start = Math.max(data.startOffset, Math.min(offset, data.endOffset))
    // Closed segments wholly below the new start go; the last (active) segment always stays.
    while (data.segments.length > 1 && segmentEnd(data, 0) <= start) data.segments.shift()
    data.startOffset = start
    // Durable at once, as the disk adapters make it: a crash never leaves the end below the start.
    data.syncedEndOffset = Math.max(data.syncedEndOffset, start)
    return start
  }

  offsetForTimestamp(timestampMs: number): number | null {
    const data = this.live()
    checkTimestampArgument(timestampMs)
    for (const segment of data.segments) {
      const last = segment.maxTsPrefix[segment.maxTsPrefix.length - 1]
      if (last === undefined || last < timestampMs) continue
      // Batches before the first whose running max reaches the target cannot hold a match.
      const first = lowerBound(segment.maxTsPrefix.length, (i) => (segment.maxTsPrefix[i] as number) >= timestampMs)
      for (const batch of segment.batches.slice(first)) {
        if (batch.maxTimestamp < timestampMs) continue
        for (const record of RecordBatch.from(batch.buf).records())
          if (record.timestamp >= timestampMs && record.offset >= data.startOffset) return record.offset
      }
    }
    return null
  }

  segments(): SegmentInfo[] {
    const data = this.live()
    return data.segments.map((s, i) => ({
      baseOffset: s.baseOffset,
      endOffset: segmentEnd(data, i),
      sizeBytes: s.sizeBytes,
      maxTimestamp: s.maxTsPrefix[s.maxTsPrefix.length - 1] ?? -1,
      createdAtMs: s.createdAtMs,
      active: i === data.segments.length - 1,
    }))
  }

  roll(): void {
    const data = this.live()
    const active = data.segments[data.segments.length - 1] as MemorySegment
    if (active.batches.length > 0) data.segments.push(newSegment(data.endOffset, this.owner.clock.now()))
  }

  compact(keep: RecordFilter): CompactionResult {
    const data = this.live()
    checkRecordFilter(keep)
    const result: CompactionResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 }
    // Build every new segment first and swap at the end, so a failure part-way changes nothing.
    const closed = data.segments.slice(0, -1).map((segment) => compactSegment(segment, keep, result))
    data.segments = [...closed, data.segments[data.segments.length - 1] as MemorySegment]
    return result
  }

  setConfig(config: PartitionLogConfig): void {
    const data = this.live()
    data.config = { ...checkLogConfig(config) }
  }

  async sync(): Promise<void> {
    const data = this.live()
    data.syncedEndOffset = data.endOffset
  }

  /** live checks the storage is open and this partition was not deleted, and returns its data. */
  private live(): LogData {
    this.owner.assertOpen()
    if (this.owner.vol.logs.get(this.key) !== this.data) {
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${this.topic}-${this.partition} was deleted`)
    }
    return this.data
  }

  /** store adds a checked copy of a batch at `baseOffset` (≥ the end), rolling first if the active segment is full. */
  private store(data: LogData, copy: Buffer, baseOffset: number): AppendInfo {
    const lastOffset = baseOffset + copy.readInt32BE(BatchLayout.LAST_OFFSET_DELTA)
    // Offsets only grow: append sets the base to the end, appendCopy checked it lies at or past it.
    assert(
      baseOffset >= data.endOffset && lastOffset >= baseOffset,
      `memory log writes [${baseOffset}, ${lastOffset}] at end ${data.endOffset}`,
    )
    writeBaseOffset(copy, baseOffset)
    const stored: StoredBatch = { buf: copy, baseOffset, lastOffset, maxTimestamp: readMaxTimestamp(copy) }
    pushBatch(this.activeForAppend(data, copy.length), stored, this.owner.clock.now())
    data.endOffset = lastOffset + 1
    return { baseOffset, lastOffset, maxTimestamp: stored.maxTimestamp, sizeBytes: copy.length }
  }

  /** activeForAppend rolls first when the batch would push the active segment past its size or age limit. */
  private activeForAppend(data: LogData, batchBytes: number): MemorySegment {
    const active = data.segments[data.segments.length - 1] as MemorySegment
    if (active.batches.length === 0) return active
    const now = this.owner.clock.now()
    const tooBig = active.sizeBytes + batchBytes > data.config.segmentBytes
    const tooOld = now - active.createdAtMs > data.config.segmentMs
    if (!tooBig && !tooOld) return active
    const next = newSegment(data.endOffset, now)
    data.segments.push(next)
    return next
  }
}

// ---------------------------------------------------------------------------------------------
// Log data operations (shared by the log and by crash recovery)

function newSegment(baseOffset: number, nowMs: number): MemorySegment {
  return { baseOffset, batches: [], sizeBytes: 0, maxTsPrefix: [], createdAtMs: nowMs }
}

function pushBatch(segment: MemorySegment, batch: StoredBatch, nowMs: number): void {
  // segment.ms counts from the first write, not from when an empty segment was set up.
  if (segment.batches.length === 0) segment.createdAtMs = nowMs
  segment.batches.push(batch)
  segment.sizeBytes += batch.buf.length
  segment.maxTsPrefix.push(Math.max(segment.maxTsPrefix[segment.maxTsPrefix.length - 1] ?? -1, batch.maxTimestamp))
}

/** withBatches returns a copy of `segment` holding `batches`, its size and timestamps recomputed. */
function withBatches(segment: MemorySegment, batches: StoredBatch[]): MemorySegment {
  const next = newSegment(segment.baseOffset, segment.createdAtMs)
  for (const batch of batches) pushBatch(next, batch, segment.createdAtMs)
  return next
}

function segmentEnd(data: LogData, index: number): number {
  return data.segments[index + 1]?.baseOffset ?? data.endOffset
}

/** batchesFrom yields stored batches in order from the first whose last offset is ≥ `offset`. */
function* batchesFrom(data: LogData, offset: number): Generator<StoredBatch> {
  // The segment holding `offset` is the last whose base is ≤ it.
  let si = Math.max(0, lowerBound(data.segments.length, (i) => (data.segments[i] as MemorySegment).baseOffset > offset) - 1)
  let bi = -1
  for (; si < data.segments.length; si++) {
    const batches = (data.segments[si] as MemorySegment).batches
    bi = bi < 0 ? lowerBound(batches.length, (i) => (batches[i] as StoredBatch).lastOffset >= offset) : 0
    for (; bi < batches.length; bi++) yield batches[bi] as StoredBatch
    bi = 0
  }
}

/**
 * cutData removes every batch whose last offset is ≥ `newEnd` and makes `newEnd` the end offset.
 * Callers pass a batch boundary at or above the start: a truncation point or the synced end.
 */
function cutData(data: LogData, newEnd: number, nowMs: number): void {
  const kept = data.segments
    .filter((s) => s.baseOffset < newEnd)
    .map((s) =>
      withBatches(
        s,
        s.batches.filter((b) => b.lastOffset < newEnd),
      ),
    )
  data.segments = kept.length > 0 ? kept : [newSegment(newEnd, nowMs)]
  data.endOffset = newEnd
  data.syncedEndOffset = Math.min(data.syncedEndOffset, newEnd)
}

/** compactSegment filters one closed segment's batches, adding what it did to `result`. */
function compactSegment(segment: MemorySegment, keep: RecordFilter, result: CompactionResult): MemorySegment {
  let changed = false
  const batches: StoredBatch[] = []
  for (const batch of segment.batches) {
    const filtered = filterBatchRecords(batch.buf, keep)
    if (filtered === batch.buf) {
      batches.push(batch)
      continue
    }
    changed = true
    const after = filtered === null ? 0 : filtered.readInt32BE(BatchLayout.RECORDS_COUNT)
    result.recordsRemoved += batch.buf.readInt32BE(BatchLayout.RECORDS_COUNT) - after
    if (filtered !== null) batches.push({ ...batch, buf: filtered, maxTimestamp: readMaxTimestamp(filtered) })
  }
  const next = changed ? withBatches(segment, batches) : segment
  result.bytesBefore += segment.sizeBytes
  result.bytesAfter += next.sizeBytes
  if (changed) result.segmentsRewritten++
  return next
}

/**
 * checkedCopy returns our own copy of one record batch (the caller may reuse its buffer), checked
 * for CRC, framing, magic, compression id and exact length: CORRUPT_MESSAGE otherwise.
 */
function checkedCopy(batch: Buffer, method: string, crcChecked = false): Buffer {
  const copy = Buffer.from(checkBatchArgument(batch, method))
  if (!crcChecked) {
    RecordBatch.from(copy)
    return copy
  }
  const size = checkFramingAt(copy, 0)
  if (size !== copy.length)
    throw new TributaryError('CORRUPT_MESSAGE', `The buffer holds ${copy.length} bytes but its batch declares ${size}`)
  RecordBatch.fromChecked(copy)
  return copy
}

/** lowerBound returns the first index in [0, length) where `pred` holds (pred is monotonic), or `length`. */
function lowerBound(length: number, pred: (i: number) => boolean): number {
  let lo = 0
  let hi = length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (pred(mid)) hi = mid
    else lo = mid + 1
  }
  return lo
}

// ---------------------------------------------------------------------------------------------
// Validation and keys

function closedError(): TributaryError {
  return new TributaryError('CLIENT_CLOSED', 'MemoryStorage is not open (closed, or open() not called)')
}

function partitionKey(tp: TopicPartition): string {
  checkTopicPartition(tp)
  return `${tp.topic}\u0000${tp.partition}`
}

function parsePartitionKey(key: string): TopicPartition {
  const at = key.lastIndexOf('\u0000')
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) }
}

function offsetKey(groupId: string, tp: TopicPartition): string {
  return `${groupId}\u0000${tp.topic}\u0000${tp.partition}`
}
