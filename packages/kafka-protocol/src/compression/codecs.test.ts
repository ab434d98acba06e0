import {
  CompressionTypes,
  MAX_DECOMPRESSED_BATCH_BYTES,
  RecordBatch,
  encodeRecordBatch,
  getCompressionCodec,
  isCompressionCodecRegistered,
  registerCompressionCodec,
  type CompressionCodec,
  type RecordInput,
} from '@tributary/core'
import fc from 'fast-check'
import { lz4Codec, registerKafkaCodecs, snappyCodec, zstdCodec } from './kafka-codecs'
import { incompressible, jsonRecords, thrown } from './test-kit'

const CODECS: Array<[name: 'snappy' | 'lz4' | 'zstd', codec: CompressionCodec]> = [
  ['snappy', snappyCodec],
  ['lz4', lz4Codec],
  ['zstd', zstdCodec],
]

function roundTrip(codec: CompressionCodec, data: Buffer, maxBytes = MAX_DECOMPRESSED_BATCH_BYTES): Buffer {
  const out = codec.decompress(codec.compress(data), maxBytes)
  expect(Buffer.isBuffer(out)).toBe(true)
  return out
}

describe.each(CODECS)('%s round-trips', (_name, codec) => {
  test('random buffers (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100_000 }), (bytes) => {
        const data = Buffer.from(bytes)
        expect(roundTrip(codec, data).equals(data)).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  test('compressible buffers: a random chunk repeated (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 2_000 }), (chunk, times) => {
        const data = Buffer.concat(Array.from({ length: times }, () => chunk))
        const compressed = codec.compress(data)
        expect(codec.decompress(compressed, data.length).equals(data)).toBe(true)
      }),
      { numRuns: 40 },
    )
  })

  test('empty, one byte, and exactly the limit', () => {
    expect(roundTrip(codec, Buffer.alloc(0))).toHaveLength(0)
    expect(roundTrip(codec, Buffer.from([0x2a]))).toEqual(Buffer.from([0x2a]))
    const data = jsonRecords(100_000)
    expect(roundTrip(codec, data, data.length).equals(data)).toBe(true)
    expect(thrown(() => roundTrip(codec, data, data.length - 1)).code).toBe('CORRUPT_MESSAGE')
  })

  test('highly compressible data shrinks; incompressible data survives', () => {
    const zeros = Buffer.alloc(1 << 20)
    expect(codec.compress(zeros).length).toBeLessThan(zeros.length / 20)
    expect(roundTrip(codec, zeros).equals(zeros)).toBe(true)
    const json = jsonRecords(1 << 20)
    expect(codec.compress(json).length).toBeLessThan(json.length / 2)
    const noise = incompressible(300_000)
    expect(roundTrip(codec, noise).equals(noise)).toBe(true)
  })

  test('several megabytes', () => {
    const big = Buffer.concat([jsonRecords(3 << 20, 7), incompressible(2 << 20)])
    expect(roundTrip(codec, big).equals(big)).toBe(true)
  })

  test('damaged compressed bytes are CORRUPT_MESSAGE or other bytes, never a raw exception (fast-check)', () => {
    const valid = codec.compress(jsonRecords(20_000))
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 0, max: valid.length }),
        (at, mask, keep) => {
          const damaged = Buffer.from(valid)
          damaged[at] = (damaged[at] as number) ^ mask
          for (const input of [damaged, valid.subarray(0, keep)]) {
            try {
              codec.decompress(input, 1 << 20)
            } catch (err) {
              expect(err).toMatchObject({ name: 'TributaryError', code: 'CORRUPT_MESSAGE' })
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  test('random garbage is CORRUPT_MESSAGE or some bytes within the limit, never a raw exception (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => {
        try {
          expect(codec.decompress(Buffer.from(bytes), 1 << 16).length).toBeLessThanOrEqual(1 << 16)
        } catch (err) {
          expect(err).toMatchObject({ name: 'TributaryError', code: 'CORRUPT_MESSAGE' })
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('registerKafkaCodecs', () => {
  const records: RecordInput[] = Array.from({ length: 50 }, (_, i) => ({
    key: Buffer.from(`k${i % 4}`),
    value: Buffer.from(JSON.stringify({ i, text: 'hello '.repeat(i % 5) })),
    headers: [{ key: 'h', value: Buffer.from(String(i)) }],
    timestamp: 1_700_000_000_000 + i,
  }))

  test('puts snappy, lz4 and zstd in core, so record batches of every Kafka codec encode and decode', () => {
    expect(isCompressionCodecRegistered('snappy')).toBe(false)
    registerKafkaCodecs()
    registerKafkaCodecs() // idempotent
    for (const [name, id] of Object.entries(CompressionTypes) as Array<[keyof typeof CompressionTypes, number]>) {
      const batch = RecordBatch.from(encodeRecordBatch(records, { compression: name, baseOffset: 10 }))
      expect(batch.attributes & 0x07).toBe(id)
      expect(batch.compression).toBe(name)
      expect(batch.toArray().map((r) => [r.offset, r.key?.toString(), r.value?.toString(), r.headers[0]?.value?.toString()])).toEqual(
        records.map((r, i) => [10 + i, r.key?.toString(), r.value?.toString(), String(i)]),
      )
    }
    expect(getCompressionCodec('snappy')).toBe(snappyCodec)
  })

  test('leaves alone a codec the application registered for the same type', () => {
    const mine: CompressionCodec = { compress: (b) => b, decompress: (b) => b }
    registerCompressionCodec('lz4', mine)
    registerKafkaCodecs()
    expect(getCompressionCodec('lz4')).toBe(mine)
    registerCompressionCodec('lz4', lz4Codec)
  })
})
