import { crc32c as nativeCrc32c } from '@node-rs/crc32'

/**
 * crc32c computes CRC-32C (Castagnoli), the checksum Kafka's record batch v2 uses, over
 * `bytes[start, end)`. It returns an unsigned 32-bit number. The native SIMD implementation is
 * used because the CRC is on every append and every read of every batch.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)
  return nativeCrc32c(view) >>> 0
}
