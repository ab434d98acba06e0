import { crc32c } from './crc32c'
import { TributaryError } from './errors'

/**
 * Byte layout of a Kafka record batch v2 header (big-endian). The first 12 bytes (base offset and
 * batch length) are the "log overhead"; the CRC covers bytes from `attributes` to the end, so the
 * base offset and partition leader epoch can be rewritten in place without recomputing it.
 */
export const BatchLayout = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORDS_COUNT: 57,
  /** Size of the header; records start here. */
  HEADER_SIZE: 61,
  /** Base offset + batch length: bytes not counted by `batchLength`. */
  LOG_OVERHEAD: 12,
} as const

/** Attribute bits of a record batch, as in Kafka. */
export const BatchAttributes = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE_LOG_APPEND: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const

/** RecordBatchHeader is the decoded fixed-size part of a batch. */
export interface RecordBatchHeader {
  baseOffset: number
  /** Bytes after the length field: total size − 12. */
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordsCount: number
}

/** batchSizeAt returns the total size of the batch starting at `pos`, or -1 if fewer than 12 bytes remain. */
export function batchSizeAt(buf: Buffer, pos = 0): number {
  if (buf.length - pos < BatchLayout.LOG_OVERHEAD) return -1
  return buf.readInt32BE(pos + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
}

/**
 * readInt64 reads a big-endian int64 as a number: the same value as Number(readBigInt64BE) (one
 * rounding of the exact value beyond 2^53), without a BigInt per field: headers are read on every
 * append and every fetch.
 */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4)
}

/** readBatchHeader decodes the header of the batch at `pos` (no validation beyond length). */
export function readBatchHeader(buf: Buffer, pos = 0): RecordBatchHeader {
  if (buf.length - pos < BatchLayout.HEADER_SIZE) {
    throw new TributaryError('CORRUPT_MESSAGE', `Record batch header truncated: ${buf.length - pos} bytes`)
  }
  return {
    baseOffset: readInt64(buf, pos + BatchLayout.BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + BatchLayout.BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + BatchLayout.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + BatchLayout.MAGIC),
    crc: buf.readUInt32BE(pos + BatchLayout.CRC),
    attributes: buf.readInt16BE(pos + BatchLayout.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + BatchLayout.LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, pos + BatchLayout.BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, pos + BatchLayout.MAX_TIMESTAMP),
    producerId: readInt64(buf, pos + BatchLayout.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + BatchLayout.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BatchLayout.BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + BatchLayout.RECORDS_COUNT),
  }
}

/** readBaseOffset reads the base offset of the batch at `pos`. */
export function readBaseOffset(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + BatchLayout.BASE_OFFSET)
}

/** readLastOffset reads base offset + last offset delta of the batch at `pos`. */
export function readLastOffset(buf: Buffer, pos = 0): number {
  return readBaseOffset(buf, pos) + buf.readInt32BE(pos + BatchLayout.LAST_OFFSET_DELTA)
}

/** readMaxTimestamp reads the max timestamp of the batch at `pos`. */
export function readMaxTimestamp(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + BatchLayout.MAX_TIMESTAMP)
}

/**
 * writeBaseOffset sets the base offset of the batch at `pos` in place. The base offset is outside
 * the CRC, so this is how a log assigns offsets to an already encoded batch.
 */
export function writeBaseOffset(buf: Buffer, baseOffset: number, pos = 0): void {
  buf.writeBigInt64BE(BigInt(baseOffset), pos + BatchLayout.BASE_OFFSET)
}

/** writePartitionLeaderEpoch sets the leader epoch field in place (also outside the CRC). */
export function writePartitionLeaderEpoch(buf: Buffer, epoch: number, pos = 0): void {
  buf.writeInt32BE(epoch, pos + BatchLayout.PARTITION_LEADER_EPOCH)
}

/**
 * checkFramingAt validates the framing of the batch at `pos` — length within the readable bytes,
 * magic 2, non-negative offset delta and record count — but not its CRC, and returns its total
 * size. It is for batches whose CRC was already checked (by the storage that read them).
 */
export function checkFramingAt(buf: Buffer, pos = 0, limit = buf.length): number {
  const available = limit - pos
  if (available < BatchLayout.HEADER_SIZE) {
    throw new TributaryError('CORRUPT_MESSAGE', `Record batch truncated: ${available} bytes, header needs ${BatchLayout.HEADER_SIZE}`)
  }
  const size = buf.readInt32BE(pos + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
  if (size < BatchLayout.HEADER_SIZE || size > available) {
    throw new TributaryError('CORRUPT_MESSAGE', `Record batch length ${size} is invalid (${available} bytes available)`)
  }
  const magic = buf.readInt8(pos + BatchLayout.MAGIC)
  if (magic !== 2) throw new TributaryError('CORRUPT_MESSAGE', `Unsupported record batch magic ${magic}`)
  if (buf.readInt32BE(pos + BatchLayout.LAST_OFFSET_DELTA) < 0 || buf.readInt32BE(pos + BatchLayout.RECORDS_COUNT) < 0) {
    throw new TributaryError('CORRUPT_MESSAGE', 'Record batch has a negative offset delta or record count')
  }
  return size
}

/**
 * checkBatchAt validates the framing, magic and CRC-32C of the batch at `pos` and returns its
 * total size. `limit` is where the readable bytes end. Any mismatch is `CORRUPT_MESSAGE`.
 */
export function checkBatchAt(buf: Buffer, pos = 0, limit = buf.length): number {
  const size = checkFramingAt(buf, pos, limit)
  const stored = buf.readUInt32BE(pos + BatchLayout.CRC)
  const actual = crc32c(buf, pos + BatchLayout.ATTRIBUTES, pos + size)
  if (stored !== actual) {
    throw new TributaryError('CORRUPT_MESSAGE', `Record batch CRC mismatch: stored ${stored}, computed ${actual}`, {
      details: { storedCrc: stored, computedCrc: actual },
    })
  }
  return size
}

/** splitBatches validates and splits concatenated batches into views (no copies). */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let pos = 0
  while (pos < buf.length) {
    const size = checkBatchAt(buf, pos)
    out.push(buf.subarray(pos, pos + size))
    pos += size
  }
  return out
}
