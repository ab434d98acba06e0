import { isTributaryError, RecordBatch, TributaryError } from '@tributary/core'
import { BatchLayout, checkBatchAt, readLastOffset, readMaxTimestamp } from '@tributary/core/internal'
import type { Segment } from './segment'

/**
 * Reading a partition's segments: find the segment by base offset (binary search), the start
 * position through the sparse index, walk batch headers to the batch holding the offset, then
 * read as many whole batches as `maxBytes` allows in one positional read and split them into
 * zero-copy views, each CRC-checked.
 */

/** Bytes read per header-walking call: covers a typical index interval in one syscall. */
const WALK_CHUNK_BYTES = 16 * 1024

/** findSegmentIndex returns the index of the last segment whose base offset is ≤ `offset` (0 if none). */
export function findSegmentIndex(segments: readonly Segment[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  let found = 0
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (segments[mid]!.baseOffset <= offset) {
      found = mid
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  return found
}

/** BatchHeaderView is what a header walk sees of one batch. */
export interface BatchHeaderView {
  position: number
  size: number
  header: Buffer
  at: number
}

/**
 * walkHeaders visits the batches of `segment` from `position` until `visit` returns true (and
 * returns that batch) or the segment ends (null). Only headers are read; a batch whose framing
 * is impossible is CORRUPT_MESSAGE.
 */
export function walkHeaders(segment: Segment, position: number, visit: (batch: BatchHeaderView) => boolean): BatchHeaderView | null {
  let chunk: Buffer = Buffer.alloc(0)
  let chunkStart = position
  for (let pos = position; pos < segment.size; ) {
    if (pos < chunkStart || pos + BatchLayout.HEADER_SIZE > chunkStart + chunk.length) {
      chunk = segment.readAt(pos, WALK_CHUNK_BYTES)
      chunkStart = pos
    }
    const at = pos - chunkStart
    if (at + BatchLayout.HEADER_SIZE > chunk.length) throw corruptAt(segment, pos, 'a batch header runs past the end of the segment')
    const size = chunk.readInt32BE(at + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
    if (size < BatchLayout.HEADER_SIZE || pos + size > segment.size) throw corruptAt(segment, pos, `batch length ${size} is impossible`)
    const view = { position: pos, size, header: chunk, at }
    if (visit(view)) return view
    pos += size
  }
  return null
}

/** locate returns the position of the first batch of `segment` whose last offset is ≥ `offset`, or the segment size. */
export function locate(segment: Segment, offset: number): number {
  const start = segment.offsetIndex.lookup(offset)
  const found = walkHeaders(segment, start, (b) => readLastOffset(b.header, b.at) >= offset)
  return found === null ? segment.size : found.position
}

/**
 * segmentTail returns the last offset of the segment's last batch (its base − 1 when it holds
 * none) and its largest timestamp (-1 when empty), walking only the headers after the last
 * offset index entry: the time index covers the batches before it.
 */
export function segmentTail(segment: Segment): { lastOffset: number; maxTimestamp: number } {
  let lastOffset = segment.baseOffset - 1
  let maxTimestamp = segment.timeIndex.lastTimestamp()
  walkHeaders(segment, segment.offsetIndex.lastPosition(), (b) => {
    lastOffset = readLastOffset(b.header, b.at)
    maxTimestamp = Math.max(maxTimestamp, readMaxTimestamp(b.header, b.at))
    return false
  })
  return { lastOffset, maxTimestamp }
}

/**
 * collect reads whole batches of `segment` from `position` into `out` while they fit in
 * `budget` bytes (the first batch of the whole read always fits). Returns the bytes taken and
 * whether the segment's end was reached. A batch failing its CRC stops the read after the good
 * batches before it; if it is the first, CORRUPT_MESSAGE is thrown.
 */
export function collect(segment: Segment, position: number, budget: number, out: Buffer[]): { taken: number; atEnd: boolean } {
  let buf = segment.readAt(position, budget)
  if (out.length === 0) {
    // The first batch of the whole read is taken even when larger than the budget: read again
    // when it is (rare: one read in the common case, not a header read and then the data).
    const firstSize =
      buf.length >= BatchLayout.LOG_OVERHEAD
        ? buf.readInt32BE(BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
        : batchSizeAt(segment, position)
    if (firstSize > buf.length) buf = segment.readAt(position, firstSize)
  }
  let p = 0
  while (p + BatchLayout.LOG_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(p + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
    if (size < BatchLayout.HEADER_SIZE || position + p + size > segment.size)
      throw corruptAt(segment, position + p, `batch length ${size} is impossible`)
    if (p + size > buf.length) break
    if (!checked(segment, buf, p, size, position, out.length === 0)) return { taken: p, atEnd: false }
    out.push(buf.subarray(p, p + size))
    p += size
  }
  return { taken: p, atEnd: position + p >= segment.size }
}

/** checked CRC-checks one batch; a bad one throws when it is the first of the read, else ends the read before it. */
function checked(segment: Segment, buf: Buffer, p: number, size: number, position: number, isFirst: boolean): boolean {
  try {
    checkBatchAt(buf, p, p + size)
    return true
  } catch (err) {
    if (!isTributaryError(err, 'CORRUPT_MESSAGE')) throw err
    if (!isFirst) return false
    throw corruptAt(segment, position + p, err.message, err)
  }
}

function batchSizeAt(segment: Segment, position: number): number {
  const header = segment.readHeaderAt(position, BatchLayout.LOG_OVERHEAD)
  if (header === null) throw corruptAt(segment, position, 'a batch header runs past the end of the segment')
  return header.readInt32BE(BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
}

/**
 * firstOffsetAtOrAfter returns the first offset ≥ `minOffset` (the log start) in `segment` whose
 * record timestamp is ≥ `timestampMs`, or null. The time index gives a batch before which nothing can match; batch
 * headers are walked from there to the first batch whose max timestamp reaches the target,
 * and its records are decoded to find the exact record.
 */
export function firstOffsetAtOrAfter(segment: Segment, timestampMs: number, minOffset = 0): number | null {
  const skipTo = Math.max(segment.timeIndex.offsetBefore(timestampMs), minOffset)
  const start = skipTo <= 0 ? 0 : segment.offsetIndex.lookup(skipTo)
  let result: number | null = null
  walkHeaders(segment, start, (b) => {
    if (readMaxTimestamp(b.header, b.at) < timestampMs || readLastOffset(b.header, b.at) < minOffset) return false
    result = firstMatchingRecord(segment, b.position, b.size, timestampMs, minOffset)
    return result !== null
  })
  return result
}

function firstMatchingRecord(segment: Segment, position: number, size: number, timestampMs: number, minOffset: number): number | null {
  const out: Buffer[] = []
  collect(segment, position, size, out)
  const bytes = out[0]
  if (bytes === undefined) return null
  for (const record of RecordBatch.fromChecked(bytes).records())
    if (record.timestamp >= timestampMs && record.offset >= minOffset) return record.offset
  return null
}

function corruptAt(segment: Segment, position: number, problem: string, cause?: unknown): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `${segment.log.path} at position ${position}: ${problem}`, {
    cause,
    details: { path: segment.log.path, position },
  })
}
