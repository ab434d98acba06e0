import { assert } from './assert'
import { BatchAttributes, BatchLayout as L, checkBatchAt } from './batch-header'
import { compressionId, compressionTypeForId, decompressRecords, getCompressionCodec } from './compression'
import { crc32c } from './crc32c'
import { TributaryError } from './errors'
import type { CompressionType, ConsumedRecord, RecordHeader, RecordInput, TimestampType } from './model'
import type { RecordFilter } from './storage'
import { sizeOfVarint, sizeOfVarlong, VarintReader, writeVarint, writeVarlong } from './varint'

/**
 * The record batch v2 codec (Kafka's `DefaultRecordBatch`/`DefaultRecord` layout, magic 2).
 * Header layout and CRC rules are in `batch-header.ts`; this file encodes records into a batch,
 * decodes them lazily, filters them for compaction and stamps LogAppendTime.
 */

/** EncodeBatchOptions are the header fields a producer (or a log) chooses for a new batch. */
export interface EncodeBatchOptions {
  /** Offset of the first record; a log overwrites it on append. Default 0. */
  baseOffset?: number
  /** Default -1 (none). */
  partitionLeaderEpoch?: number
  /** Idempotent producer id; default -1 (none). */
  producerId?: number
  /** Default -1 (none). */
  producerEpoch?: number
  /** Sequence number of the first record; default -1 (none). */
  baseSequence?: number
  /** Default 'none'. */
  compression?: CompressionType
  /** Default 'CreateTime'. Under 'LogAppendTime' the max timestamp is still the records' max until `setLogAppendTime`. */
  timestampType?: TimestampType
  /** Default false. */
  isTransactional?: boolean
  /** Marks a control batch (transaction markers). Default false. */
  isControl?: boolean
}

/** The header fields of a batch being encoded, resolved and checked. */
interface BatchFields {
  baseOffset: number
  partitionLeaderEpoch: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  /** undefined: the max of the records' timestamps. */
  maxTimestamp: number | undefined
  producerId: number
  producerEpoch: number
  baseSequence: number
}

const EMPTY_HEADERS: readonly RecordHeader[] = Object.freeze([])
const TWO_POW_32 = 4294967296

/*
 * Scratch space for the two-pass encoder: the measuring pass stores each record's body size and
 * each header key's UTF-8 size here so the writing pass does not recompute them. Encoding is
 * synchronous, so one module-level scratch is safe; it only ever grows (to the largest batch seen).
 */
let bodySizes: Int32Array = new Int32Array(1024)
let headerKeySizes: Int32Array = new Int32Array(256)

/**
 * encodeRecordBatch encodes `records` into one record batch v2, sized exactly and written in one
 * pass. The base timestamp is the first record's, the max timestamp the largest; offset deltas run
 * 0..n-1. Throws INVALID_RECORD for zero records, INVALID_TIMESTAMP for a timestamp that is not a
 * safe integer, INVALID_CONFIG for an unknown or unregistered compression or timestamp type, and
 * INVALID_ARGUMENT for a header field out of its range.
 */
export function encodeRecordBatch(records: readonly RecordInput[], options: EncodeBatchOptions = {}): Buffer {
  const first = records[0]
  if (first === undefined) throw new TributaryError('INVALID_RECORD', 'A record batch needs at least one record')
  const fields: BatchFields = {
    baseOffset: int64Option('baseOffset', options.baseOffset ?? 0),
    partitionLeaderEpoch: intOption('partitionLeaderEpoch', options.partitionLeaderEpoch ?? -1, -(2 ** 31), 2 ** 31 - 1),
    attributes: attributesFor(options),
    lastOffsetDelta: records.length - 1,
    baseTimestamp: first.timestamp,
    maxTimestamp: undefined,
    producerId: int64Option('producerId', options.producerId ?? -1),
    producerEpoch: intOption('producerEpoch', options.producerEpoch ?? -1, -(2 ** 15), 2 ** 15 - 1),
    baseSequence: intOption('baseSequence', options.baseSequence ?? -1, -(2 ** 31), 2 ** 31 - 1),
  }
  return encodeBatch(records, null, fields)
}

function attributesFor(options: EncodeBatchOptions): number {
  const compression = options.compression ?? 'none'
  const codec = compressionId(compression)
  getCompressionCodec(compression) // fail before encoding when no codec is registered
  const timestampType = options.timestampType ?? 'CreateTime'
  if (timestampType !== 'CreateTime' && timestampType !== 'LogAppendTime') {
    throw new TributaryError('INVALID_CONFIG', `Unknown timestamp type '${String(timestampType)}'`)
  }
  return (
    codec |
    (timestampType === 'LogAppendTime' ? BatchAttributes.TIMESTAMP_TYPE_LOG_APPEND : 0) |
    (options.isTransactional === true ? BatchAttributes.TRANSACTIONAL : 0) |
    (options.isControl === true ? BatchAttributes.CONTROL : 0)
  )
}

function intOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TributaryError('INVALID_ARGUMENT', `options.${name} must be an integer in [${min}, ${max}], got ${value}`)
  }
  return value
}

function int64Option(name: string, value: number): number {
  return intOption(name, value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
}

/**
 * encodeBatch writes `records` under `fields`. `offsetDeltas` gives each record's offset delta
 * (compaction keeps the originals); null means 0..n-1.
 */
function encodeBatch(records: readonly RecordInput[], offsetDeltas: readonly number[] | null, fields: BatchFields): Buffer {
  const codecId = fields.attributes & BatchAttributes.COMPRESSION_MASK
  const measured = measureRecords(records, fields.baseTimestamp, offsetDeltas)
  let batch: Buffer
  if (codecId === 0) {
    batch = Buffer.allocUnsafe(L.HEADER_SIZE + measured.bytes)
    writeRecords(batch, L.HEADER_SIZE, records, fields.baseTimestamp, offsetDeltas)
  } else {
    const raw = Buffer.allocUnsafe(measured.bytes)
    writeRecords(raw, 0, records, fields.baseTimestamp, offsetDeltas)
    const blob = getCompressionCodec(compressionTypeForId(codecId)).compress(raw)
    batch = Buffer.allocUnsafe(L.HEADER_SIZE + blob.length)
    batch.set(blob, L.HEADER_SIZE) // set, not copy: a registered codec may return a plain Uint8Array
  }
  writeHeader(batch, fields, fields.maxTimestamp ?? measured.maxTimestamp, records.length)
  return batch
}

/** measureRecords fills the size scratch and returns the records' total size and max timestamp. */
function measureRecords(records: readonly RecordInput[], baseTimestamp: number, offsetDeltas: readonly number[] | null) {
  const count = records.length
  if (bodySizes.length < count) bodySizes = new Int32Array(Math.max(count, bodySizes.length * 2))
  let bytes = 0
  let maxTimestamp = baseTimestamp
  let headerIndex = 0
  for (let i = 0; i < count; i++) {
    const record = records[i]!
    const timestampDelta = checkedTimestamp(record.timestamp, baseTimestamp)
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
    let size = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDeltas === null ? i : offsetDeltas[i]!)
    size += sizeOfBytes(record.key) + sizeOfBytes(record.value)
    const headers = record.headers ?? EMPTY_HEADERS
    size += sizeOfVarint(headers.length)
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!
      const keySize = Buffer.byteLength(header.key, 'utf8')
      if (headerIndex === headerKeySizes.length) headerKeySizes = growInt32(headerKeySizes)
      headerKeySizes[headerIndex++] = keySize
      size += sizeOfVarint(keySize) + keySize + sizeOfBytes(header.value)
    }
    bodySizes[i] = size
    bytes += sizeOfVarint(size) + size
  }
  return { bytes, maxTimestamp }
}

function growInt32(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2)
  grown.set(array)
  return grown
}

function checkedTimestamp(timestamp: number, baseTimestamp: number): number {
  const delta = timestamp - baseTimestamp
  if (!Number.isSafeInteger(timestamp) || !Number.isSafeInteger(delta)) {
    throw new TributaryError('INVALID_TIMESTAMP', `Record timestamp ${timestamp} is not a safe integer (or too far from ${baseTimestamp})`)
  }
  return delta
}

function sizeOfBytes(bytes: Uint8Array | null | undefined): number {
  return bytes == null ? 1 : sizeOfVarint(bytes.length) + bytes.length
}

/** writeRecords writes the records at `pos` using the sizes measured just before; returns the end. */
function writeRecords(
  buf: Buffer,
  pos: number,
  records: readonly RecordInput[],
  baseTimestamp: number,
  offsetDeltas: readonly number[] | null,
): number {
  let headerIndex = 0
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!
    pos = writeVarint(buf, bodySizes[i]!, pos)
    buf[pos++] = 0 // record attributes: unused in v2
    pos = writeVarlong(buf, record.timestamp - baseTimestamp, pos)
    pos = writeVarint(buf, offsetDeltas === null ? i : offsetDeltas[i]!, pos)
    pos = writeBytes(buf, record.key, pos)
    pos = writeBytes(buf, record.value, pos)
    const headers = record.headers ?? EMPTY_HEADERS
    pos = writeVarint(buf, headers.length, pos)
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!
      const keySize = headerKeySizes[headerIndex++]!
      pos = writeVarint(buf, keySize, pos)
      pos += buf.write(header.key, pos, keySize, 'utf8')
      pos = writeBytes(buf, header.value, pos)
    }
  }
  assert(pos === buf.length, `encodeRecordBatch wrote ${pos} bytes into ${buf.length} (its size pass disagrees)`)
  return pos
}

function writeBytes(buf: Buffer, bytes: Uint8Array | null | undefined, pos: number): number {
  if (bytes == null) {
    buf[pos] = 1 // zig-zag -1: null
    return pos + 1
  }
  pos = writeVarint(buf, bytes.length, pos)
  buf.set(bytes, pos)
  return pos + bytes.length
}

/** writeHeader fills the 61 header bytes and, last, the CRC-32C over attributes..end. */
function writeHeader(batch: Buffer, f: BatchFields, maxTimestamp: number, count: number): void {
  writeInt64(batch, f.baseOffset, L.BASE_OFFSET)
  batch.writeInt32BE(batch.length - L.LOG_OVERHEAD, L.BATCH_LENGTH)
  batch.writeInt32BE(f.partitionLeaderEpoch, L.PARTITION_LEADER_EPOCH)
  batch[L.MAGIC] = 2
  batch.writeInt16BE(f.attributes, L.ATTRIBUTES)
  batch.writeInt32BE(f.lastOffsetDelta, L.LAST_OFFSET_DELTA)
  writeInt64(batch, f.baseTimestamp, L.BASE_TIMESTAMP)
  writeInt64(batch, maxTimestamp, L.MAX_TIMESTAMP)
  writeInt64(batch, f.producerId, L.PRODUCER_ID)
  batch.writeInt16BE(f.producerEpoch, L.PRODUCER_EPOCH)
  batch.writeInt32BE(f.baseSequence, L.BASE_SEQUENCE)
  batch.writeInt32BE(count, L.RECORDS_COUNT)
  batch.writeUInt32BE(crc32c(batch, L.ATTRIBUTES, batch.length), L.CRC)
}

/** Two 32-bit writes: exact for safe integers and much cheaper than going through BigInt. */
function writeInt64(buf: Buffer, value: number, pos: number): void {
  buf.writeInt32BE(Math.floor(value / TWO_POW_32), pos)
  buf.writeUInt32BE(value >>> 0, pos + 4)
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4)
}

function corrupt(message: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', message)
}

/** What the record decoder needs from the batch header, read once per iteration. */
interface DecodeContext {
  baseOffset: number
  baseTimestamp: number
  lastOffsetDelta: number
  /** The batch max timestamp, which is every record's timestamp when `useLogAppendTime` is set. */
  logAppendTime: number
  useLogAppendTime: boolean
}

/**
 * readRecord decodes the record at `reader.pos`. The reader's end is narrowed to the record's own
 * length while its fields are read, so a lying field cannot read into the next record, and the
 * fields must fill the record exactly (as Kafka checks).
 */
function readRecord(reader: VarintReader, ctx: DecodeContext): ConsumedRecord {
  const length = reader.readVarint()
  const batchEnd = reader.end
  if (length < 0 || length > batchEnd - reader.pos)
    throw corrupt(`Record length ${length} is invalid (${batchEnd - reader.pos} bytes left)`)
  const recordEnd = reader.pos + length
  reader.end = recordEnd
  reader.readInt8() // attributes: unused in v2
  const timestampDelta = reader.readVarlong()
  const offsetDelta = reader.readVarint()
  if (offsetDelta < 0 || offsetDelta > ctx.lastOffsetDelta) {
    throw corrupt(`Record offset delta ${offsetDelta} is outside the batch's [0, ${ctx.lastOffsetDelta}]`)
  }
  const key = reader.readNullableBytes('Record key')
  const value = reader.readNullableBytes('Record value')
  const headers = readHeaders(reader)
  if (reader.pos !== recordEnd) throw corrupt(`Record declares ${length} bytes but its fields take ${length - (recordEnd - reader.pos)}`)
  reader.end = batchEnd
  const timestamp = ctx.useLogAppendTime ? ctx.logAppendTime : ctx.baseTimestamp + timestampDelta
  return { offset: ctx.baseOffset + offsetDelta, timestamp, key, value, headers }
}

/**
 * readHeaders decodes a record's headers. A record without any (most of them) gets one shared,
 * frozen empty array rather than an array of its own: one allocation less per record read.
 */
function readHeaders(reader: VarintReader): RecordHeader[] {
  const count = reader.readVarint()
  if (count === 0) return EMPTY_HEADERS as RecordHeader[]
  if (count < 0) throw corrupt(`Record header count ${count} is negative`)
  // No preallocation by `count`: a lying count fails on the bytes, not on a huge array.
  const headers: RecordHeader[] = []
  for (let i = 0; i < count; i++) {
    const key = reader.readNullableBytes('Header key')
    if (key === null) throw corrupt('Record header key is null')
    headers.push({ key: key.toString('utf8'), value: reader.readNullableBytes('Header value') })
  }
  return headers
}

/**
 * RecordBatch is a lazily decoded view over one validated batch buffer: header fields are read
 * from the buffer when asked (so an in-place `writeBaseOffset` shows), records are decoded one at
 * a time, and keys and values are views into the buffer (or into the inflated blob when
 * compressed), never copies.
 */
export class RecordBatch implements Iterable<ConsumedRecord> {
  /** buffer holds exactly this batch's bytes. */
  readonly buffer: Buffer
  private inflated: Buffer | null = null

  private constructor(buffer: Buffer) {
    this.buffer = buffer
  }

  /**
   * RecordBatch.from validates `buf` as exactly one batch: framing, magic, CRC-32C, compression id,
   * and that the declared length is the buffer's length. Any failure is CORRUPT_MESSAGE.
   */
  static from(buf: Buffer): RecordBatch {
    const size = checkBatchAt(buf, 0)
    if (size !== buf.length) throw corrupt(`Record batch declares ${size} bytes but the buffer holds ${buf.length}`)
    return RecordBatch.fromChecked(buf)
  }

  /** fromChecked wraps a buffer that `checkBatchAt` has just accepted whole. */
  static fromChecked(buf: Buffer): RecordBatch {
    compressionTypeForId(buf.readInt16BE(L.ATTRIBUTES) & BatchAttributes.COMPRESSION_MASK)
    return new RecordBatch(buf)
  }

  get baseOffset(): number {
    return readInt64(this.buffer, L.BASE_OFFSET)
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(L.LAST_OFFSET_DELTA)
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta
  }
  get recordsCount(): number {
    return this.buffer.readInt32BE(L.RECORDS_COUNT)
  }
  get baseTimestamp(): number {
    return readInt64(this.buffer, L.BASE_TIMESTAMP)
  }
  get maxTimestamp(): number {
    return readInt64(this.buffer, L.MAX_TIMESTAMP)
  }
  get producerId(): number {
    return readInt64(this.buffer, L.PRODUCER_ID)
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(L.PRODUCER_EPOCH)
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(L.BASE_SEQUENCE)
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(L.PARTITION_LEADER_EPOCH)
  }
  get attributes(): number {
    return this.buffer.readInt16BE(L.ATTRIBUTES)
  }
  get compression(): CompressionType {
    return compressionTypeForId(this.attributes & BatchAttributes.COMPRESSION_MASK)
  }
  get timestampType(): TimestampType {
    return (this.attributes & BatchAttributes.TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? 'LogAppendTime' : 'CreateTime'
  }
  get isTransactional(): boolean {
    return (this.attributes & BatchAttributes.TRANSACTIONAL) !== 0
  }
  get isControl(): boolean {
    return (this.attributes & BatchAttributes.CONTROL) !== 0
  }
  get sizeBytes(): number {
    return this.buffer.length
  }

  /** lastSequence is baseSequence + lastOffsetDelta, wrapping past int32 max to 0 as Kafka's sequences do; -1 without one. */
  get lastSequence(): number {
    const base = this.baseSequence
    if (base === -1) return -1
    const delta = this.lastOffsetDelta
    return base > 0x7fffffff - delta ? delta - (0x7fffffff - base) - 1 : base + delta
  }

  /** records decodes the records one at a time. Throws CORRUPT_MESSAGE (or UNSUPPORTED_COMPRESSION_TYPE for an unregistered codec) as it meets bad bytes. */
  records(): IterableIterator<ConsumedRecord> {
    return new RecordIterator(this.reader(), this.decodeContext(true), this.recordsCount)
  }

  [Symbol.iterator](): IterableIterator<ConsumedRecord> {
    return this.records()
  }

  /** toArray decodes every record (faster than spreading the iterator). */
  toArray(): ConsumedRecord[] {
    const reader = this.reader()
    const ctx = this.decodeContext(true)
    const count = this.recordsCount
    const out: ConsumedRecord[] = []
    for (let i = 0; i < count; i++) out.push(readRecord(reader, ctx))
    if (reader.pos !== reader.end) throw corrupt(`${reader.remaining} bytes remain after the batch's ${count} records`)
    return out
  }

  /** rawRecords decodes records with their stored timestamps even under LogAppendTime (compaction re-encodes those). */
  rawRecords(): IterableIterator<ConsumedRecord> {
    return new RecordIterator(this.reader(), this.decodeContext(false), this.recordsCount)
  }

  private decodeContext(applyLogAppendTime: boolean): DecodeContext {
    return {
      baseOffset: this.baseOffset,
      baseTimestamp: this.baseTimestamp,
      lastOffsetDelta: this.lastOffsetDelta,
      logAppendTime: this.maxTimestamp,
      useLogAppendTime: applyLogAppendTime && this.timestampType === 'LogAppendTime',
    }
  }

  private reader(): VarintReader {
    const codecId = this.attributes & BatchAttributes.COMPRESSION_MASK
    if (codecId === 0) return new VarintReader(this.buffer, L.HEADER_SIZE, this.buffer.length)
    if (this.inflated === null) {
      const blob = this.buffer.subarray(L.HEADER_SIZE)
      // An empty batch (kept by compaction for its sequence numbers) may carry no blob at all.
      this.inflated = blob.length === 0 && this.recordsCount === 0 ? blob : decompressRecords(codecId, blob)
    }
    return new VarintReader(this.inflated)
  }
}

/** RecordIterator walks `count` records; reaching the end with bytes left over is CORRUPT_MESSAGE. */
class RecordIterator implements IterableIterator<ConsumedRecord> {
  constructor(
    private readonly reader: VarintReader,
    private readonly ctx: DecodeContext,
    private remaining: number,
  ) {}

  next(): IteratorResult<ConsumedRecord> {
    if (this.remaining <= 0) {
      if (this.reader.pos !== this.reader.end) throw corrupt(`${this.reader.remaining} bytes remain after the batch's records`)
      return { done: true, value: undefined }
    }
    this.remaining--
    return { done: false, value: readRecord(this.reader, this.ctx) }
  }

  [Symbol.iterator](): IterableIterator<ConsumedRecord> {
    return this
  }
}

/** decodeRecordBatch validates one batch and decodes all its records. Throws as `RecordBatch.from` and `toArray`. */
export function decodeRecordBatch(buf: Buffer): ConsumedRecord[] {
  return RecordBatch.from(buf).toArray()
}

/**
 * iterateBatches yields a validated `RecordBatch` for every batch in `buffers`, where each buffer
 * holds one or more whole batches back to back (as storage reads return them). Throws
 * CORRUPT_MESSAGE at the first bad or truncated batch.
 */
export function* iterateBatches(buffers: Iterable<Buffer>): IterableIterator<RecordBatch> {
  for (const buf of buffers) {
    for (let pos = 0; pos < buf.length; ) {
      const size = checkBatchAt(buf, pos)
      yield RecordBatch.fromChecked(buf.subarray(pos, pos + size))
      pos += size
    }
  }
}

/**
 * filterBatchRecords re-encodes `batch` keeping only the records `keep` accepts, as Kafka's log
 * cleaner does: each kept record keeps its offset delta; the batch keeps its base offset, last
 * offset delta (so the producer's last sequence survives), leader epoch, producer id, epoch, base
 * sequence, attributes and codec. The base timestamp becomes the first kept record's (unless it
 * holds a delete horizon) and the max timestamp the kept records' max, or stays the broker's under
 * LogAppendTime. `keep` sees the batch's max timestamp as `timestamp` (the RecordFilter contract).
 * Returns `batch` itself when all records are kept and null when none is. Control batches are
 * returned whole: transaction markers are not the cleaner's to drop record by record.
 * Throws CORRUPT_MESSAGE for a damaged batch.
 */
export function filterBatchRecords(batch: Buffer, keep: RecordFilter): Buffer | null {
  const view = RecordBatch.from(batch)
  if (view.isControl) return batch
  const maxTimestamp = view.maxTimestamp
  const baseOffset = view.baseOffset
  const kept: ConsumedRecord[] = []
  const offsetDeltas: number[] = []
  let total = 0
  for (const record of view.rawRecords()) {
    total++
    if (!keep({ offset: record.offset, key: record.key, isTombstone: record.value === null, timestamp: maxTimestamp })) continue
    kept.push(record)
    offsetDeltas.push(record.offset - baseOffset)
  }
  if (kept.length === total) return batch
  if (kept.length === 0) return null
  const attributes = view.attributes
  const fields: BatchFields = {
    baseOffset,
    partitionLeaderEpoch: view.partitionLeaderEpoch,
    attributes,
    lastOffsetDelta: view.lastOffsetDelta,
    baseTimestamp: (attributes & BatchAttributes.DELETE_HORIZON) !== 0 ? view.baseTimestamp : kept[0]!.timestamp,
    maxTimestamp: view.timestampType === 'LogAppendTime' ? maxTimestamp : undefined,
    producerId: view.producerId,
    producerEpoch: view.producerEpoch,
    baseSequence: view.baseSequence,
  }
  return encodeBatch(kept, offsetDeltas, fields)
}

/**
 * setLogAppendTime switches `batch` to LogAppendTime in place: it sets attribute bit 3 and the max
 * timestamp to `timestampMs`, then recomputes the CRC (what a broker does under
 * `message.timestamp.type=LogAppendTime`). The CRC is checked first so that re-signing never
 * blesses damaged bytes. Throws CORRUPT_MESSAGE for a bad batch, INVALID_TIMESTAMP for a bad time.
 */
export function setLogAppendTime(batch: Buffer, timestampMs: number): void {
  const size = checkBatchAt(batch, 0)
  if (!Number.isSafeInteger(timestampMs))
    throw new TributaryError('INVALID_TIMESTAMP', `Log append time ${timestampMs} is not a safe integer`)
  batch.writeInt16BE(batch.readInt16BE(L.ATTRIBUTES) | BatchAttributes.TIMESTAMP_TYPE_LOG_APPEND, L.ATTRIBUTES)
  writeInt64(batch, timestampMs, L.MAX_TIMESTAMP)
  batch.writeUInt32BE(crc32c(batch, L.ATTRIBUTES, size), L.CRC)
}
