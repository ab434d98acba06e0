import type * as Snappy from 'snappy'
import { corrupt, nativeFailure, tooLarge } from './corrupt'
import { loadNative } from './native'

/**
 * Snappy as Kafka clients write it (codec id 2). Two framings exist on the wire:
 *
 * - **raw**: one snappy block, `varint uncompressedLength` then the compressed elements
 *   (librdkafka writes this);
 * - **xerial** (snappy-java's SnappyOutputStream, which the Java client and kafka-python write):
 *
 *   ```
 *   82 53 4E 41 50 50 59 00   magic "\x82SNAPPY\0"
 *   int32 BE version (1)      int32 BE min compatible version (1)
 *   { int32 BE length, raw snappy block of that length } …   each block inflates to ≤ 32 KiB
 *   ```
 *
 * Every Kafka consumer reads both (Java's SnappyInputStream falls back to raw when the magic is
 * missing; librdkafka, kafka-python, KafkaJS and franz-go check for the magic), so the reader here
 * accepts both. The writer writes xerial with 32 KiB blocks, byte-for-byte the framing of the Java
 * client: whatever reads the reference client's output reads ours.
 *
 * The sizes a raw block declares (its leading varint) are checked against the limit before the
 * native decoder allocates anything.
 */

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
/** XERIAL_HEADER_BYTES is the magic plus the two int32 versions. */
export const XERIAL_HEADER_BYTES = 16
/** XERIAL_BLOCK_BYTES is how much plain data one xerial block holds: snappy-java's default, as Kafka uses it. */
export const XERIAL_BLOCK_BYTES = 32 * 1024
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])])

function snappy(): typeof Snappy {
  return loadNative<typeof Snappy>('snappy', 'snappy')
}

/** snappyCompress writes `buf` in the xerial framing with 32 KiB blocks, as Kafka's Java client does. */
export function snappyCompress(buf: Buffer): Buffer {
  const lib = snappy()
  const parts: Buffer[] = [XERIAL_HEADER]
  for (let at = 0; at < buf.length; at += XERIAL_BLOCK_BYTES) {
    const block = lib.compressSync(buf.subarray(at, at + XERIAL_BLOCK_BYTES))
    const length = Buffer.allocUnsafe(4)
    length.writeInt32BE(block.length, 0)
    parts.push(length, block)
  }
  return Buffer.concat(parts)
}

/** snappyCompressRaw writes `buf` as one raw snappy block, as librdkafka does. */
export function snappyCompressRaw(buf: Buffer): Buffer {
  return snappy().compressSync(buf)
}

/**
 * snappyDecompress reads raw snappy or the xerial framing (told apart by the magic). Throws
 * CORRUPT_MESSAGE for malformed input or a declared size over `maxBytes`, before allocating it.
 */
export function snappyDecompress(buf: Buffer, maxBytes: number): Buffer {
  return isXerial(buf) ? decodeXerial(buf, maxBytes) : decodeRawBlock(buf, maxBytes)
}

/** isXerial tells whether `buf` (from `at`) starts with the xerial magic. */
export function isXerial(buf: Buffer, at = 0): boolean {
  return buf.length - at >= XERIAL_MAGIC.length && buf.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, at, at + XERIAL_MAGIC.length) === 0
}

/**
 * rawUncompressedLength reads the varint a raw snappy block starts with (at most 32 bits, so at
 * most five bytes), the size its decoder will allocate.
 */
export function rawUncompressedLength(block: Buffer): number {
  let value = 0
  for (let i = 0; i < 5; i++) {
    const byte = block[i]
    if (byte === undefined) throw corrupt('snappy', 'the block ends inside its length')
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) {
      if (value > 0xffff_ffff) break
      return value
    }
  }
  throw corrupt('snappy', 'the block length is not a 32-bit varint')
}

function decodeRawBlock(block: Buffer, maxBytes: number): Buffer {
  const length = rawUncompressedLength(block)
  if (length > maxBytes) throw tooLarge('snappy', length, maxBytes)
  let out: Buffer
  try {
    out = snappy().uncompressSync(block, { asBuffer: true }) as Buffer
  } catch (err) {
    throw nativeFailure('snappy', err)
  }
  if (out.length !== length) throw corrupt('snappy', `a block declares ${length} bytes and inflates to ${out.length}`)
  return out
}

/**
 * decodeXerial walks the blocks once to add up their declared sizes (so nothing is allocated for
 * a hostile total), then inflates them into one buffer. A second xerial header in the middle
 * (concatenated streams, which snappy-java also reads) is skipped.
 */
function decodeXerial(buf: Buffer, maxBytes: number): Buffer {
  const blocks: Buffer[] = []
  let total = 0
  let at = 0
  while (at < buf.length) {
    if (isXerial(buf, at)) {
      if (buf.length - at < XERIAL_HEADER_BYTES) throw corrupt('snappy', 'the xerial header is truncated')
      at += XERIAL_HEADER_BYTES
      continue
    }
    if (buf.length - at < 4) throw corrupt('snappy', 'a xerial block length is truncated')
    const length = buf.readInt32BE(at)
    at += 4
    if (length < 0 || length > buf.length - at) throw corrupt('snappy', `a xerial block of ${length} bytes does not fit the data`)
    const block = buf.subarray(at, at + length)
    at += length
    total += rawUncompressedLength(block)
    if (total > maxBytes) throw tooLarge('snappy', total, maxBytes)
    blocks.push(block)
  }
  if (blocks.length === 1) return decodeRawBlock(blocks[0] as Buffer, maxBytes)
  const out = Buffer.allocUnsafe(total)
  let written = 0
  for (const block of blocks) written += decodeRawBlock(block, maxBytes).copy(out, written)
  return out
}
