import { gzipSync } from 'node:zlib'
import {
  MAX_DECOMPRESSED_BATCH_BYTES,
  decompressRecords,
  getCompressionCodec,
  isCompressionCodecRegistered,
  registerCompressionCodec,
  toCompressionType,
} from './compression'
import { isTributaryError, type TributaryError } from './errors'
import { CompressionTypes } from './model'

/** thrown runs `fn` and returns the TributaryError it threw (failing the test on anything else). */
function thrown(fn: () => unknown): TributaryError {
  try {
    fn()
  } catch (err) {
    if (isTributaryError(err)) return err
    throw new Error(`expected a TributaryError, got ${String(err)}`)
  }
  throw new Error('expected a TributaryError, the call returned')
}

describe('toCompressionType', () => {
  test("accepts Kafka's names and ids, so CompressionTypes.gzip (1) means gzip", () => {
    for (const [name, id] of Object.entries(CompressionTypes)) {
      expect(toCompressionType(name, 'x')).toBe(name)
      expect(toCompressionType(id, 'x')).toBe(name)
    }
    expect(toCompressionType(CompressionTypes.gzip, 'send.compression')).toBe('gzip')
  })

  test('anything else is INVALID_CONFIG naming the option path', () => {
    for (const bad of ['GZIP', 'brotli', '', '1', 5, -1, 1.5, Number.NaN, null, true, {}]) {
      const err = thrown(() => toCompressionType(bad, 'producer.compression'))
      expect(err.code).toBe('INVALID_CONFIG')
      expect(err.details.path).toBe('producer.compression')
      expect(err.message).toMatch(/^producer\.compression must be one of none, gzip, snappy, lz4, zstd/)
    }
  })
})

describe('decompressRecords limits', () => {
  test('gzip stops inflating at maxBytes: a small bomb is CORRUPT_MESSAGE, not an allocation', () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024))
    expect(bomb.length).toBeLessThan(8 * 1024)
    const err = thrown(() => decompressRecords(CompressionTypes.gzip, bomb, 64 * 1024))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(decompressRecords(CompressionTypes.gzip, bomb, 4 * 1024 * 1024)).toHaveLength(4 * 1024 * 1024)
  })

  test('the codec is handed the limit, and a codec that ignores it is still held to it', () => {
    const seen: number[] = []
    registerCompressionCodec('lz4', {
      compress: (b) => b,
      decompress: (b, maxBytes) => {
        seen.push(maxBytes)
        return Buffer.concat([b, b])
      },
    })
    expect(decompressRecords(CompressionTypes.lz4, Buffer.from('ab'))).toEqual(Buffer.from('abab'))
    expect(seen).toEqual([MAX_DECOMPRESSED_BATCH_BYTES])
    const err = thrown(() => decompressRecords(CompressionTypes.lz4, Buffer.from('abc'), 5))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.message).toMatch(/over the limit of 5/)
  })

  test('an unregistered codec is UNSUPPORTED_COMPRESSION_TYPE and says how to register one', () => {
    expect(isCompressionCodecRegistered('snappy')).toBe(false)
    const err = thrown(() => decompressRecords(CompressionTypes.snappy, Buffer.from('x')))
    expect(err.code).toBe('UNSUPPORTED_COMPRESSION_TYPE')
    expect(err.message).toMatch(/registerKafkaCodecs/)
    expect(isCompressionCodecRegistered('gzip')).toBe(true)
    expect(isCompressionCodecRegistered(CompressionTypes.none)).toBe(true)
    expect(getCompressionCodec('gzip').decompress(getCompressionCodec('gzip').compress(Buffer.from('hi')), 2)).toEqual(Buffer.from('hi'))
  })
})
