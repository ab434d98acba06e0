import type * as Lz4 from 'lz4-napi'
import { corrupt, nativeFailure } from './corrupt'
import { lz4InflatedBound } from './lz4-frame'
import { loadNative } from './native'

/**
 * LZ4 as Kafka uses it (codec id 3): the standard LZ4 *frame* format, through lz4-napi (the Rust
 * lz4_flex behind Node-API, prebuilt per platform). Kafka's Java client writes FLG 0x60 (version
 * 1, independent blocks, no checksums) and BD 0x40 (64 KiB blocks); lz4-napi writes the same flags
 * with 64 KiB or 256 KiB blocks by input size, which every frame reader (Java's
 * KafkaLZ4BlockInputStream, librdkafka, python-lz4, KafkaJS's codecs) accepts. Any standard frame
 * is read: linked or independent blocks, checksums, content size, several frames, skippable frames.
 */

function lz4(): typeof Lz4 {
  return loadNative<typeof Lz4>('lz4-napi', 'lz4')
}

/** lz4Compress writes `buf` as one LZ4 frame with independent blocks and no checksums. */
export function lz4Compress(buf: Buffer): Buffer {
  return lz4().compressFrameSync(buf)
}

/**
 * lz4Decompress inflates LZ4 frames. The frame and block headers are checked against `maxBytes`
 * before anything is inflated; malformed input or too much of it is CORRUPT_MESSAGE.
 */
export function lz4Decompress(buf: Buffer, maxBytes: number): Buffer {
  const bound = lz4InflatedBound(buf, maxBytes)
  let out: Buffer
  try {
    out = lz4().decompressFrameSync(buf)
  } catch (err) {
    throw nativeFailure('lz4', err)
  }
  if (out.length > bound) throw corrupt('lz4', `inflated to ${out.length} bytes, more than the ${bound} its headers allow`)
  return out
}
