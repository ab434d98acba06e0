import { corrupt, tooLarge } from './corrupt'

/**
 * The LZ4 frame format (lz4/doc/lz4_Frame_format.md), read only as far as needed to bound what a
 * frame inflates to before the native decoder allocates it:
 *
 * ```
 * u32 LE magic 0x184D2204 | FLG | BD | [u64 LE content size] | [u32 LE dict id] | HC
 * { u32 LE block size (high bit: stored uncompressed; 0: end mark) | data | [u32 block checksum] } …
 * [u32 content checksum]
 * ```
 *
 * FLG: bits 7–6 version (01), 5 block independence, 4 block checksum, 3 content size, 2 content
 * checksum, 0 dict id. BD bits 6–4: block max size 4 → 64 KiB … 7 → 4 MiB. Skippable frames
 * (magic 0x184D2A50–5F, u32 size, data) may appear between frames.
 */

const FRAME_MAGIC = 0x184d2204
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_DICT_ID = 0x01
const BLOCK_MAX_BYTES: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 }
const UNCOMPRESSED_BIT = 0x8000_0000

/** Lz4Scan is what scanLz4Frames learns: where each LZ4 frame lies, and the most they inflate to. */
export interface Lz4Scan {
  /** frames are the [start, end) ranges of the LZ4 frames in order (skippable frames left out). */
  frames: Array<[start: number, end: number]>
  /** bound is the most bytes the frames can inflate to, at most the limit it was scanned with. */
  bound: number
}

/**
 * scanLz4Frames walks the frames in `buf` and bounds what they inflate to from their headers, or
 * throws CORRUPT_MESSAGE for a malformed structure or a total over `maxBytes`. A compressed
 * block inflates to at most its frame's block maximum; only when that bound is over the limit are
 * the blocks' sequences scanned for their exact size (a frame of many small blocks), so that the
 * common case costs a walk over the block headers alone.
 */
export function scanLz4Frames(buf: Buffer, maxBytes: number): Lz4Scan {
  let bound = 0
  let stored = 0
  const frames: Array<[number, number]> = []
  const compressedBlocks: Array<[start: number, end: number, blockMax: number]> = []
  let at = 0
  if (buf.length === 0) throw corrupt('lz4', 'no frame')
  while (at < buf.length) {
    need(buf, at, 4, 'a frame magic')
    const magic = buf.readUInt32LE(at)
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(buf, at + 4, 4, 'a skippable frame size')
      const size = buf.readUInt32LE(at + 4)
      need(buf, at + 8, size, 'a skippable frame')
      at += 8 + size
      continue
    }
    if (magic !== FRAME_MAGIC) throw corrupt('lz4', `not an LZ4 frame (magic 0x${magic.toString(16)})`)
    const frame = readFrame(buf, at + 4, maxBytes)
    frames.push([at, frame.end])
    at = frame.end
    bound += frame.bound
    stored += frame.stored
    for (const block of frame.compressedBlocks) compressedBlocks.push(block)
  }
  if (bound <= maxBytes) return { frames, bound }
  // The quick bound is too loose to accept: count exactly what the blocks inflate to. (A declared
  // content size only rejects early; it is not trusted to bound the allocation.)
  let exact = stored
  if (exact > maxBytes) throw tooLarge('lz4', exact, maxBytes)
  for (const [start, end, blockMax] of compressedBlocks) {
    exact += blockInflatedBytes(buf, start, end, blockMax)
    if (exact > maxBytes) throw tooLarge('lz4', exact, maxBytes)
  }
  return { frames, bound: exact }
}

interface FrameScan {
  end: number
  /** bound is the stored blocks' sizes plus the block maximum per compressed block. */
  bound: number
  /** stored is the size of the blocks kept uncompressed. */
  stored: number
  compressedBlocks: Array<[number, number, number]>
}

function readFrame(buf: Buffer, at: number, maxBytes: number): FrameScan {
  need(buf, at, 2, 'a frame descriptor')
  const flg = buf[at] as number
  const bd = buf[at + 1] as number
  if (flg >> 6 !== 1) throw corrupt('lz4', `unsupported frame version ${flg >> 6}`)
  const blockMax = BLOCK_MAX_BYTES[(bd >> 4) & 0x7]
  if (blockMax === undefined) throw corrupt('lz4', `invalid block maximum size in BD 0x${bd.toString(16)}`)
  at += 2
  if (flg & FLG_CONTENT_SIZE) {
    need(buf, at, 8, 'the content size')
    const size = buf.readBigUInt64LE(at)
    if (size > BigInt(maxBytes)) throw tooLarge('lz4', size, maxBytes)
    at += 8
  }
  if (flg & FLG_DICT_ID) at += 4
  need(buf, at, 1, 'the header checksum')
  at += 1
  const blockChecksumBytes = flg & FLG_BLOCK_CHECKSUM ? 4 : 0
  let bound = 0
  let stored = 0
  const compressedBlocks: Array<[number, number, number]> = []
  for (;;) {
    need(buf, at, 4, 'a block size')
    const word = buf.readUInt32LE(at)
    at += 4
    if (word === 0) break
    const size = (word & ~UNCOMPRESSED_BIT) >>> 0
    if (size > blockMax) throw corrupt('lz4', `a block of ${size} bytes is over the frame's block maximum ${blockMax}`)
    need(buf, at, size + blockChecksumBytes, 'a block')
    if (word & UNCOMPRESSED_BIT) {
      bound += size
      stored += size
    } else {
      bound += blockMax
      compressedBlocks.push([at, at + size, blockMax])
    }
    at += size + blockChecksumBytes
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    need(buf, at, 4, 'the content checksum')
    at += 4
  }
  return { end: at, bound, stored, compressedBlocks }
}

/**
 * blockInflatedBytes adds up the literal and match lengths of one LZ4 block's sequences (token,
 * literal length, literals, 2-byte offset, match length; the last sequence has literals only),
 * which is exactly what the block inflates to, without inflating it.
 */
export function blockInflatedBytes(buf: Buffer, start: number, end: number, blockMax: number): number {
  let at = start
  let total = 0
  while (at < end) {
    const token = buf[at++] as number
    let literals = token >> 4
    if (literals === 15) [literals, at] = readLengthExtension(buf, at, end, literals)
    at += literals
    total += literals
    if (at > end) throw corrupt('lz4', 'literals run past the end of a block')
    if (at === end) break
    if (end - at < 2) throw corrupt('lz4', 'a match offset is truncated')
    at += 2
    let match = token & 0x0f
    if (match === 15) [match, at] = readLengthExtension(buf, at, end, match)
    total += match + 4
    if (total > blockMax) throw corrupt('lz4', `a block inflates past the frame's block maximum ${blockMax}`)
  }
  if (total > blockMax) throw corrupt('lz4', `a block inflates past the frame's block maximum ${blockMax}`)
  return total
}

function readLengthExtension(buf: Buffer, at: number, end: number, length: number): [number, number] {
  let byte: number
  do {
    if (at >= end) throw corrupt('lz4', 'a length runs past the end of a block')
    byte = buf[at++] as number
    length += byte
  } while (byte === 255)
  return [length, at]
}

function need(buf: Buffer, at: number, bytes: number, what: string): void {
  if (buf.length - at < bytes) throw corrupt('lz4', `${what} is truncated`)
}
