import type * as Lz4 from 'lz4-napi'
import { corrupt, nativeFailure } from './corrupt'
import { scanLz4Frames } from './lz4-frame'
import { loadNative } from './native'

/**
 * LZ4 as Kafka uses it (codec id 3): the standard LZ4 *frame* format, through lz4-napi (the Rust
 * lz4_flex behind Node-API, prebuilt per platform).
 *
 * Writing: the frame Kafka's Java client (KafkaLZ4BlockOutputStream) writes — FLG 0x60 (version 1,
 * independent blocks, which is all Java's reader supports; no checksums), BD 0x40 (64 KiB blocks),
 * each 64 KiB of input one block, stored uncompressed when compressing does not shrink it. The
 * blocks come from lz4-napi's block compressor; its own frame writer is not used because it picks
 * blocks of up to 4 MiB for larger inputs, which readers then buffer whole (and lz4_flex's frame
 * reader is markedly slower on).
 *
 * Reading: any standard frame — linked or independent blocks, 64 KiB to 4 MiB blocks, checksums,
 * content size, several frames, skippable frames — through lz4-napi's frame decoder, one frame
 * at a time, after lz4-frame.ts has bounded what they inflate to.
 */

function lz4(): typeof Lz4 {
  return loadNative<typeof Lz4>('lz4-napi', 'lz4')
}

/** KAFKA_FRAME_HEADER is magic, FLG 0x60, BD 0x40 and their header checksum (xxh32 of FLG BD, byte 1). */
const KAFKA_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
/** BLOCK_BYTES is the block maximum that BD 0x40 declares. */
const BLOCK_BYTES = 64 * 1024
const UNCOMPRESSED_BIT = 0x8000_0000
/** lz4-napi's block compressor prepends the input size (u32 LE) to the block. */
const SIZE_PREFIX_BYTES = 4

/** lz4Compress writes `buf` as one LZ4 frame laid out as Kafka's Java client writes it (FLG 0x60, BD 0x40). */
export function lz4Compress(buf: Buffer): Buffer {
  const lib = lz4()
  const parts: Buffer[] = [KAFKA_FRAME_HEADER]
  for (let at = 0; at < buf.length; at += BLOCK_BYTES) {
    const chunk = buf.subarray(at, at + BLOCK_BYTES)
    const packed = lib.compressSync(chunk).subarray(SIZE_PREFIX_BYTES)
    const stored = packed.length >= chunk.length
    const size = Buffer.allocUnsafe(4)
    size.writeUInt32LE(stored ? (chunk.length | UNCOMPRESSED_BIT) >>> 0 : packed.length, 0)
    parts.push(size, stored ? chunk : packed)
  }
  parts.push(Buffer.alloc(4)) // end mark
  return Buffer.concat(parts)
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
