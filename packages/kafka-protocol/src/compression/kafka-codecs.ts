import { type CompressionCodec, isCompressionCodecRegistered, registerCompressionCodec } from '@tributary/core'
import { lz4Compress, lz4Decompress } from './lz4'
import { snappyCompress, snappyDecompress } from './snappy'
import { zstdCompress, zstdDecompress } from './zstd'

/**
 * The codecs of Kafka's compression ids 2–4, as core's registry takes them (gzip, id 1, is core's
 * own through node:zlib). Each loads its native package on first use.
 */

/** snappyCodec reads raw and xerial-framed snappy and writes xerial, as Kafka's Java client does. */
export const snappyCodec: CompressionCodec = Object.freeze({ compress: snappyCompress, decompress: snappyDecompress })
/** lz4Codec reads and writes the LZ4 frame format. */
export const lz4Codec: CompressionCodec = Object.freeze({ compress: lz4Compress, decompress: lz4Decompress })
/** zstdCodec reads and writes zstd frames (level 3). */
export const zstdCodec: CompressionCodec = Object.freeze({ compress: zstdCompress, decompress: zstdDecompress })

/**
 * registerKafkaCodecs installs snappy, lz4 and zstd in core's codec registry, so that record
 * batches in every codec Kafka clients use can be encoded and decoded in this process. It is
 * idempotent and cheap (nothing native is loaded until a codec is used), and it leaves alone a
 * codec the application registered itself for the same type.
 */
export function registerKafkaCodecs(): void {
  for (const [type, codec] of [
    ['snappy', snappyCodec],
    ['lz4', lz4Codec],
    ['zstd', zstdCodec],
  ] as const) {
    if (!isCompressionCodecRegistered(type)) registerCompressionCodec(type, codec)
  }
}
