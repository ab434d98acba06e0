import type * as Lz4 from 'lz4-napi'
import { corrupt, nativeFailure } from './corrupt'
import { scanLz4Frames } from './lz4-frame'
import { loadNative } from './native'

/**
 * LZ4 as Kafka uses it (codec id 3): the standard LZ4 *frame* format, through lz4-napi (the Rust
 * lz4_flex behind Node-API, prebuilt per platform). Kafka's Java client writes FLG 0x60 (version
 * 1, independent blocks — Java's reader supports no other —, no checksums) and BD 0x40 (64 KiB
 * blocks); lz4-napi writes the same FLG, with 64 KiB blocks for inputs up to 64 KiB and larger
 * ones (up to 4 MiB) for larger inputs, which every frame reader (Java's KafkaLZ4BlockInputStream
 * takes BD 4–7, librdkafka, python-lz4, KafkaJS's codecs) accepts. Any standard frame is read:
 * linked or independent blocks, checksums, content size, several frames, skippable frames.
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
 * before anything is inflated; malformed input or too much of it is CORRUPT_MESSAGE. Frames are
 * handed to the native decoder one at a time, because it reads only the first frame of its input
 * and ignores the rest.
 */
export function lz4Decompress(buf: Buffer, maxBytes: number): Buffer {
  const { frames, bound } = scanLz4Frames(buf, maxBytes)
  const lib = lz4()
  const parts: Buffer[] = []
  let total = 0
  for (const [start, end] of frames) {
    let out: Buffer
    try {
      out = lib.decompressFrameSync(buf.subarray(start, end))
    } catch (err) {
      throw nativeFailure('lz4', err)
    }
    total += out.length
    if (total > bound) throw corrupt('lz4', `inflated to ${total} bytes or more, past the ${bound} its headers allow`)
    parts.push(out)
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, total)
}
