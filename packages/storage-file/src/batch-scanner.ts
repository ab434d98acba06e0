import { isTributaryError } from '@tributary/core'
import { BatchLayout, checkBatchAt, readBaseOffset, readLastOffset, readMaxTimestamp } from '@tributary/core/internal'
import { readFully } from './io'

/** ScannedBatch is one batch met by `scanBatches`: where it is and its offsets and timestamp. */
export interface ScannedBatch {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  /** The batch's bytes: a view into the scan buffer, valid only during the visit call. */
  bytes: Buffer
}

/** ScanResult tells where the valid batches end and, when they end early, why. */
export interface ScanResult {
  /** Position just after the last valid batch. */
  validEnd: number
  /** Why scanning stopped before `end`, or null when every byte up to `end` was valid. */
  error: string | null
}

/** ScanOptions say how hard to look at each batch. */
export interface ScanOptions {
  /** Check each batch's CRC-32C (recovery of the active segment), or only its framing (index rebuilds). */
  verifyCrc: boolean
  /** Every batch's base offset must be at least this and above the previous batch's last offset. */
  minBaseOffset: number
}

/** Bytes read per call while scanning: large enough to amortise syscalls, small enough to stay in cache. */
const SCAN_CHUNK_BYTES = 1024 * 1024

/**
 * scanBatches walks the batches of a segment file from `from` to `end`, reading in chunks, and
 * calls `visit` for each valid one. It stops at the first batch that is truncated, badly framed,
 * out of offset order or (with `verifyCrc`) fails its CRC, and reports where valid data ends.
 */
export function scanBatches(
  fd: number,
  path: string,
  from: number,
  end: number,
  options: ScanOptions,
  visit: (batch: ScannedBatch) => void,
): ScanResult {
  let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(end - from, BatchLayout.HEADER_SIZE)))
  let chunkStart = from
  let chunkLength = 0
  let pos = from
  let nextMinOffset = options.minBaseOffset
  while (pos < end) {
    if (pos + BatchLayout.LOG_OVERHEAD > chunkStart + chunkLength) {
      ;({ chunkStart, chunkLength } = refill(fd, path, chunk, pos, end))
      if (chunkLength < BatchLayout.LOG_OVERHEAD)
        return { validEnd: pos, error: `${end - pos} trailing bytes are not a whole batch header` }
    }
    const at = pos - chunkStart
    const size = chunk.readInt32BE(at + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
    if (size < BatchLayout.HEADER_SIZE) return { validEnd: pos, error: `batch length ${size} is below the header size` }
    if (pos + size > end) return { validEnd: pos, error: `batch of ${size} bytes at position ${pos} runs past the end (${end})` }
    if (pos + size > chunkStart + chunkLength) {
      if (size > chunk.length) chunk = Buffer.allocUnsafe(size)
      ;({ chunkStart, chunkLength } = refill(fd, path, chunk, pos, end))
      continue
    }
    const problem = checkOne(chunk, at, size, options.verifyCrc, nextMinOffset)
    if (problem !== null) return { validEnd: pos, error: `at position ${pos}: ${problem}` }
    const lastOffset = readLastOffset(chunk, at)
    visit({
      position: pos,
      size,
      baseOffset: readBaseOffset(chunk, at),
      lastOffset,
      maxTimestamp: readMaxTimestamp(chunk, at),
      bytes: chunk.subarray(at, at + size),
    })
    nextMinOffset = lastOffset + 1
    pos += size
  }
  return { validEnd: pos, error: null }
}

function refill(fd: number, path: string, chunk: Buffer, pos: number, end: number): { chunkStart: number; chunkLength: number } {
  const length = Math.min(chunk.length, end - pos)
  return { chunkStart: pos, chunkLength: readFully(fd, chunk, length, pos, `read ${path}`) }
}

/** checkOne returns why the batch at `at` is unacceptable, or null. */
function checkOne(buf: Buffer, at: number, size: number, verifyCrc: boolean, minBaseOffset: number): string | null {
  if (verifyCrc) {
    try {
      checkBatchAt(buf, at, at + size)
    } catch (err) {
      if (isTributaryError(err, 'CORRUPT_MESSAGE')) return err.message
      throw err
    }
  } else if (buf.readInt8(at + BatchLayout.MAGIC) !== 2) {
    return 'bad magic byte'
  }
  const base = readBaseOffset(buf, at)
  if (base < minBaseOffset) return `base offset ${base} is below the expected ${minBaseOffset}`
  if (buf.readInt32BE(at + BatchLayout.LAST_OFFSET_DELTA) < 0) return 'negative last offset delta'
  return null
}
