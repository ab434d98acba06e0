import fc from 'fast-check'
import { BatchLayout, readInt64 } from './batch-header'
import { registerCompressionCodec } from './compression'
import { crc32c } from './crc32c'
import { isTributaryError, type ErrorCode } from './errors'
import type { ConsumedRecord, RecordHeader, RecordInput } from './model'
import {
  RecordBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  filterBatchRecords,
  iterateBatches,
  setLogAppendTime,
  type EncodeBatchOptions,
} from './record-batch'

const T0 = 1_597_425_188_775

function record(key: string | null, value: string | null, timestamp = T0, headers: RecordHeader[] = []): RecordInput {
  return { key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), headers, timestamp }
}

function header(key: string, value: string | null): RecordHeader {
  return { key, value: value === null ? null : Buffer.from(value) }
}

/** codeOf runs `fn` and returns the TributaryError code it threw, or 'returned' / the foreign error's name. */
function codeOf(fn: () => unknown): ErrorCode | string {
  try {
    fn()
    return 'returned'
  } catch (err) {
    return isTributaryError(err) ? err.code : `foreign ${String(err)}`
  }
}

/** resign recomputes the CRC after a test edits bytes under it, to reach the record decoder. */
function resign(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch, BatchLayout.ATTRIBUTES), BatchLayout.CRC)
  return batch
}

/** A plain comparable form of decoded records: hex for bytes. */
function plain(records: Iterable<ConsumedRecord | (RecordInput & { offset?: number })>) {
  return [...records].map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key?.toString('hex') ?? null,
    value: r.value?.toString('hex') ?? null,
    headers: r.headers.map((h) => [h.key, h.value?.toString('hex') ?? null]),
  }))
}

/** Bit-at-a-time CRC-32C, independent of @node-rs/crc32, used as the golden oracle. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('encodeRecordBatch: golden bytes', () => {
  test('the oracle CRC matches the published CRC-32C check values', () => {
    expect(crc32cBitwise(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32cBitwise(Buffer.from('Some String'))).toBe(608512271)
  })

  test('a known record encodes to the KafkaJS v0_record fixture inside a hand-laid header, CRC and all', () => {
    const headers = [
      header('header-key-0', 'header-value-0'),
      header('header-key-1', 'header-value-1'),
      header('header-key-1', 'header-value-2'),
    ]
    const batch = encodeRecordBatch([record('key-0', 'some-value-0', T0, headers)])

    const text = (s: string) => Buffer.from(s).toString('hex')
    // kafka-facts §2.2: the 107-byte record body, preceded by its length varint D6 01.
    const recordHex =
      'd601' +
      '000000' +
      '0a' +
      text('key-0') +
      '18' +
      text('some-value-0') +
      '06' +
      '18' +
      text('header-key-0') +
      '1c' +
      text('header-value-0') +
      '18' +
      text('header-key-1') +
      '1c' +
      text('header-value-1') +
      '18' +
      text('header-key-1') +
      '1c' +
      text('header-value-2')
    const headerHex = [
      '0000000000000000', // baseOffset 0
      '0000009e', // batchLength: 61 - 12 + 109 = 158
      'ffffffff', // partitionLeaderEpoch -1
      '02', // magic
      '00000000', // CRC, filled below
      '0000', // attributes: no compression, CreateTime
      '00000000', // lastOffsetDelta
      '00000173edf5ffa7', // baseTimestamp 1597425188775
      '00000173edf5ffa7', // maxTimestamp
      'ffffffffffffffff', // producerId -1
      'ffff', // producerEpoch -1
      'ffffffff', // baseSequence -1
      '00000001', // recordsCount
    ].join('')
    const expected = Buffer.from(headerHex + recordHex, 'hex')
    expected.writeUInt32BE(crc32cBitwise(expected.subarray(21)), 17)

    expect(batch.toString('hex')).toBe(expected.toString('hex'))
    expect(batch.readUInt32BE(17)).toBe(0x454f6611) // pinned, so a change to either side shows
  })

  test('the broker-produced KafkaJS v0_recordbatch fixture (gzip, LogAppendTime) decodes', () => {
    const hex =
      '0000000000000000 00000071 00000000 02 e4c324a5 0009 00000000 00000173edf5ffa7 00000173edf5ffc9' +
      'ffffffffffffffff 0000 00000000 00000001 1f8b0800000000000013 0b636060e0ca4eadd43570284bcc294dd5' +
      '35d035323032d035b0d03534093134b73234b632b0d033b3308a620000b5e3f1a72c000000'
    const batch = RecordBatch.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'))
    expect(batch.compression).toBe('gzip')
    expect(batch.timestampType).toBe('LogAppendTime')
    expect(batch.maxTimestamp).toBe(1597425188809)
    expect([batch.producerId, batch.producerEpoch, batch.baseSequence, batch.recordsCount]).toEqual([-1, 0, 0, 1])
    const [only] = batch.toArray()
    expect(only?.key?.toString()).toBe('key-0')
    expect(only?.value?.toString()).toBe('value-0-2020-08-14T17:13:08.682Z')
    // Under LogAppendTime every record carries the batch's max timestamp, not base + delta.
    expect(only?.timestamp).toBe(1597425188809)
  })
})

const bytesArb = fc.option(
  fc.uint8Array({ maxLength: 48 }).map((u) => Buffer.from(u)),
  { nil: null, freq: 4 },
)
const headerArb = fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 6 }), value: bytesArb })
const recordsArb = fc
  .tuple(
    fc.oneof(fc.integer({ min: -1, max: 2 ** 42 }), fc.constant(2 ** 51)),
    fc.array(
      fc.record({
        key: bytesArb,
        value: bytesArb,
        headers: fc.array(headerArb, { maxLength: 3 }),
        delta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
      }),
      { minLength: 1, maxLength: 12 },
    ),
  )
  .map(([base, rs]) => rs.map(({ delta, ...r }): RecordInput => ({ ...r, timestamp: base + delta })))
const optionsArb: fc.Arbitrary<EncodeBatchOptions> = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 50 })),
  producerEpoch: fc.integer({ min: -1, max: 2 ** 15 - 1 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  compression: fc.constantFrom('none' as const, 'gzip' as const),
  isTransactional: fc.boolean(),
})

describe('encodeRecordBatch / RecordBatch: round trip', () => {
  test('decode(encode(records)) gives back every record, offset and timestamp, with and without gzip', () => {
    fc.assert(
      fc.property(recordsArb, optionsArb, (records, options) => {
        const buf = encodeRecordBatch(records, options)
        const batch = RecordBatch.from(buf)
        const baseOffset = options.baseOffset ?? 0
        const expected = plain(records.map((r, i) => ({ ...r, offset: baseOffset + i })))
        expect(plain(batch.toArray())).toEqual(expected)
        expect(plain(batch)).toEqual(expected)
        expect(batch.baseOffset).toBe(baseOffset)
        expect(batch.lastOffset).toBe(baseOffset + records.length - 1)
        expect(batch.recordsCount).toBe(records.length)
        expect(batch.baseTimestamp).toBe(records[0]!.timestamp)
        expect(batch.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)))
        expect(batch.producerId).toBe(options.producerId)
        expect(batch.producerEpoch).toBe(options.producerEpoch)
        expect(batch.baseSequence).toBe(options.baseSequence)
        expect(batch.partitionLeaderEpoch).toBe(options.partitionLeaderEpoch)
        expect(batch.compression).toBe(options.compression)
        expect(batch.isTransactional).toBe(options.isTransactional)
        expect(batch.isControl).toBe(false)
        expect(batch.timestampType).toBe('CreateTime')
        expect(batch.sizeBytes).toBe(buf.length)
      }),
    )
  })

  test('uncompressed keys and values are views into the batch buffer, not copies', () => {
    const buf = encodeRecordBatch([record('k', 'v')])
    const [only] = decodeRecordBatch(buf)
    expect(only?.key?.buffer).toBe(buf.buffer)
    expect(only?.value?.buffer).toBe(buf.buffer)
  })

  test('the default header fields are Kafka\'s "none" values', () => {
    const batch = RecordBatch.from(encodeRecordBatch([record('k', 'v')]))
    expect([batch.baseOffset, batch.partitionLeaderEpoch, batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([
      0, -1, -1, -1, -1,
    ])
    expect([batch.attributes, batch.lastSequence]).toEqual([0, -1])
  })

  test('lastSequence wraps past INT32_MAX to 0 as producer sequences do', () => {
    const records = [record('a', '1'), record('b', '2'), record('c', '3')]
    expect(RecordBatch.from(encodeRecordBatch(records, { baseSequence: 5 })).lastSequence).toBe(7)
    expect(RecordBatch.from(encodeRecordBatch(records, { baseSequence: 2 ** 31 - 1 })).lastSequence).toBe(1)
  })

  test('iterateBatches walks batches packed back to back across several buffers', () => {
    const a = encodeRecordBatch([record('a', '1')], { baseOffset: 0 })
    const b = encodeRecordBatch([record('b', '2'), record('c', '3')], { baseOffset: 1, compression: 'gzip' })
    const c = encodeRecordBatch([record('d', '4')], { baseOffset: 3 })
    const offsets = [...iterateBatches([Buffer.concat([a, b]), c])].flatMap((batch) => batch.toArray().map((r) => r.offset))
    expect(offsets).toEqual([0, 1, 2, 3])
    expect(codeOf(() => [...iterateBatches([Buffer.concat([a, b.subarray(0, 70)])])])).toBe('CORRUPT_MESSAGE')
  })

  test('an empty batch (kept by compaction for its sequence) decodes to no records', () => {
    const buf = encodeRecordBatch([record('a', '1')])
    const empty = Buffer.from(buf.subarray(0, BatchLayout.HEADER_SIZE))
    empty.writeInt32BE(BatchLayout.HEADER_SIZE - BatchLayout.LOG_OVERHEAD, BatchLayout.BATCH_LENGTH)
    empty.writeInt32BE(0, BatchLayout.RECORDS_COUNT)
    expect(RecordBatch.from(resign(empty)).toArray()).toEqual([])
  })
})

describe('encodeRecordBatch: errors', () => {
  test('zero records is INVALID_RECORD', () => {
    expect(codeOf(() => encodeRecordBatch([]))).toBe('INVALID_RECORD')
  })

  test.each([NaN, 1.5, Infinity, 2 ** 60])('timestamp %p is INVALID_TIMESTAMP', (timestamp) => {
    expect(codeOf(() => encodeRecordBatch([record('a', '1'), { ...record('b', '2'), timestamp }]))).toBe('INVALID_TIMESTAMP')
  })

  test('an unknown compression name or an unregistered codec is INVALID_CONFIG', () => {
    expect(codeOf(() => encodeRecordBatch([record('a', '1')], { compression: 'brotli' as never }))).toBe('INVALID_CONFIG')
    expect(codeOf(() => encodeRecordBatch([record('a', '1')], { compression: 'snappy' }))).toBe('INVALID_CONFIG')
    expect(codeOf(() => encodeRecordBatch([record('a', '1')], { timestampType: 'Now' as never }))).toBe('INVALID_CONFIG')
  })

  test('header fields out of their integer range are INVALID_ARGUMENT', () => {
    expect(codeOf(() => encodeRecordBatch([record('a', '1')], { producerEpoch: 40000 }))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => encodeRecordBatch([record('a', '1')], { baseSequence: 2 ** 31 }))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => encodeRecordBatch([record('a', '1')], { baseOffset: 0.5 }))).toBe('INVALID_ARGUMENT')
  })
})

/*
 * What the checks cover, byte by byte (kafka-facts §2.1):
 *   0–7   baseOffset            NOT covered: outside the CRC by design, a log rewrites it on append.
 *   8–11  batchLength           covered by framing: RecordBatch.from needs it to equal the buffer
 *                               length exactly (and ≥ 61), so any change is caught.
 *   12–15 partitionLeaderEpoch  NOT covered: outside the CRC by design, the leader stamps it.
 *   16    magic                 covered: must be 2.
 *   17–20 CRC                   covered: a changed CRC no longer matches.
 *   21–end attributes..records  covered by CRC-32C, which detects every error burst of ≤ 32 bits,
 *                               so every single-byte change.
 */
describe('corruption detection', () => {
  const small = encodeRecordBatch([record('k1', 'v1', T0, [header('h', 'x')]), record(null, 'v2', T0 + 5)], {
    producerId: 7,
    baseSequence: 3,
  })
  const uncovered = (pos: number) => pos < 8 || (pos >= 12 && pos < 16)

  test(`every change of every covered byte of a ${small.length}-byte batch is CORRUPT_MESSAGE`, () => {
    const misses: string[] = []
    for (let pos = 0; pos < small.length; pos++) {
      if (uncovered(pos)) continue
      for (let mask = 1; mask < 256; mask++) {
        const mutated = Buffer.from(small)
        mutated[pos]! ^= mask
        if (codeOf(() => RecordBatch.from(mutated)) !== 'CORRUPT_MESSAGE') misses.push(`byte ${pos} ^ ${mask}`)
      }
    }
    expect(misses).toEqual([])
  })

  test('changes to the base offset and leader epoch are accepted and read back (outside the CRC by design)', () => {
    for (let pos = 0; pos < 16; pos++) {
      if (!uncovered(pos)) continue
      const mutated = Buffer.from(small)
      mutated[pos]! ^= 0x01
      const batch = RecordBatch.from(mutated)
      expect([batch.baseOffset, batch.partitionLeaderEpoch]).not.toEqual([0, -1])
    }
  })

  test('any single-byte change from byte 16 on is CORRUPT_MESSAGE for arbitrary batches, gzip included', () => {
    fc.assert(
      fc.property(recordsArb, optionsArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (records, options, at, mask) => {
        const buf = encodeRecordBatch(records, options)
        const pos = 16 + (at % (buf.length - 16))
        buf[pos]! ^= mask
        expect(codeOf(() => RecordBatch.from(buf))).toBe('CORRUPT_MESSAGE')
      }),
    )
  })

  test('a truncated batch, or one with trailing bytes, is CORRUPT_MESSAGE', () => {
    for (let length = 0; length < small.length; length++) {
      expect(codeOf(() => RecordBatch.from(small.subarray(0, length)))).toBe('CORRUPT_MESSAGE')
    }
    expect(codeOf(() => RecordBatch.from(Buffer.concat([small, Buffer.from([0])])))).toBe('CORRUPT_MESSAGE')
  })
})

describe('malformed records inside a batch whose CRC passes', () => {
  const recordStart = BatchLayout.HEADER_SIZE

  test('any change to the record bytes either decodes or is CORRUPT_MESSAGE: never a foreign error or a hang', () => {
    fc.assert(
      fc.property(
        recordsArb,
        fc.constantFrom('none' as const, 'gzip' as const),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (records, compression, at, mask) => {
          const buf = encodeRecordBatch(records, { compression })
          buf[recordStart + (at % (buf.length - recordStart))]! ^= mask
          expect(['returned', 'CORRUPT_MESSAGE']).toContain(codeOf(() => RecordBatch.from(resign(buf)).toArray()))
          expect(['returned', 'CORRUPT_MESSAGE']).toContain(codeOf(() => [...RecordBatch.from(buf)]))
        },
      ),
    )
  })

  test('a record length longer than the bytes left is CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([record('k', 'v')])
    buf[recordStart] = 0x7e // 63 bytes, far more than the record holds
    expect(codeOf(() => decodeRecordBatch(resign(buf)))).toBe('CORRUPT_MESSAGE')
  })

  test('a record length shorter than its fields is CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([record('k', 'v'), record('k2', 'v2')])
    buf[recordStart] = buf[recordStart]! - 2 // one byte shorter
    expect(codeOf(() => decodeRecordBatch(resign(buf)))).toBe('CORRUPT_MESSAGE')
  })

  test('a key length below -1 is CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([record('k', 'v')])
    // length varint, attributes, timestampDelta, offsetDelta, then the key length.
    buf[recordStart + 4] = 0x03 // -2
    expect(codeOf(() => decodeRecordBatch(resign(buf)))).toBe('CORRUPT_MESSAGE')
  })

  test('a null header key is CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([record(null, null, T0, [header('', null)])])
    // length, attrs, tsDelta, offsetDelta, key -1, value -1, count 1, then the header key length 0.
    expect(buf[recordStart + 7]).toBe(0x00)
    buf[recordStart + 7] = 0x01
    expect(codeOf(() => decodeRecordBatch(resign(buf)))).toBe('CORRUPT_MESSAGE')
  })

  test('a records count larger than the records (even 2^31-1) is CORRUPT_MESSAGE, quickly', () => {
    const buf = encodeRecordBatch([record('k', 'v')])
    buf.writeInt32BE(2 ** 31 - 1, BatchLayout.RECORDS_COUNT)
    expect(codeOf(() => decodeRecordBatch(resign(buf)))).toBe('CORRUPT_MESSAGE')
  })

  test('a records count smaller than the records leaves bytes over: CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([record('k', 'v'), record('k', 'v')])
    buf.writeInt32BE(1, BatchLayout.RECORDS_COUNT)
    expect(codeOf(() => decodeRecordBatch(resign(buf)))).toBe('CORRUPT_MESSAGE')
    expect(codeOf(() => [...RecordBatch.from(buf)])).toBe('CORRUPT_MESSAGE')
  })

  test('a record offset delta beyond the batch last offset delta is CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([record('k', 'v'), record('k', 'v')])
    buf.writeInt32BE(0, BatchLayout.LAST_OFFSET_DELTA)
    expect(codeOf(() => decodeRecordBatch(resign(buf)))).toBe('CORRUPT_MESSAGE')
  })

  test('a gzip blob that does not inflate is CORRUPT_MESSAGE with the zlib error as cause', () => {
    const buf = encodeRecordBatch([record('k', 'v')], { compression: 'gzip' })
    buf.fill(0x55, recordStart + 10)
    let thrown: unknown
    try {
      decodeRecordBatch(resign(buf))
    } catch (err) {
      thrown = err
    }
    expect(isTributaryError(thrown, 'CORRUPT_MESSAGE')).toBe(true)
    // zlib's error comes from Node's realm, not Jest's, so check its shape rather than instanceof.
    expect((thrown as Error).message).toMatch(/Cannot decompress gzip records/)
    expect((thrown as Error).cause).toHaveProperty('code', expect.stringMatching(/^Z_/))
  })
})

describe('compression codecs', () => {
  test('a batch naming a valid but unregistered codec is UNSUPPORTED_COMPRESSION_TYPE when its records are read', () => {
    const buf = encodeRecordBatch([record('k', 'v')])
    buf.writeInt16BE(2, BatchLayout.ATTRIBUTES) // snappy
    const batch = RecordBatch.from(resign(buf))
    expect(batch.compression).toBe('snappy')
    expect(codeOf(() => batch.toArray())).toBe('UNSUPPORTED_COMPRESSION_TYPE')
  })

  test('compression ids 5–7 are not codecs: CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([record('k', 'v')])
    buf.writeInt16BE(5, BatchLayout.ATTRIBUTES)
    expect(codeOf(() => RecordBatch.from(resign(buf)))).toBe('CORRUPT_MESSAGE')
  })

  test('a registered codec is used on both sides and named in the attribute bits', () => {
    // A codec from npm may hand back plain Uint8Arrays; decoded keys and values are still Buffers.
    const reverse = (b: Buffer) => new Uint8Array(b).reverse() as unknown as Buffer
    registerCompressionCodec('lz4', { compress: reverse, decompress: reverse })
    const records = [record('k', 'v'), record(null, 'tombstone?', T0 + 1)]
    const batch = RecordBatch.from(encodeRecordBatch(records, { compression: 'lz4' }))
    expect(batch.attributes & 0x07).toBe(3)
    expect(plain(batch).map((r) => r.value)).toEqual(plain(records).map((r) => r.value))
    expect(Buffer.isBuffer(batch.toArray()[0]?.key)).toBe(true)
  })

  test("a codec's own failure on decode becomes CORRUPT_MESSAGE", () => {
    registerCompressionCodec('zstd', {
      compress: (b) => b,
      decompress: () => {
        throw new Error('bad frame')
      },
    })
    expect(codeOf(() => decodeRecordBatch(encodeRecordBatch([record('k', 'v')], { compression: 'zstd' })))).toBe('CORRUPT_MESSAGE')
  })

  test("'none' cannot be replaced, unknown names and codecs without functions are INVALID_CONFIG", () => {
    const identity = { compress: (b: Buffer) => b, decompress: (b: Buffer) => b }
    expect(codeOf(() => registerCompressionCodec('none', identity))).toBe('INVALID_CONFIG')
    expect(codeOf(() => registerCompressionCodec('brotli' as never, identity))).toBe('INVALID_CONFIG')
    expect(codeOf(() => registerCompressionCodec('gzip', {} as never))).toBe('INVALID_CONFIG')
  })
})

describe('filterBatchRecords (compaction)', () => {
  const records = [record('a', '1', T0 + 10), record('b', '2', T0 + 30), record('a', null, T0 + 20), record('c', '3', T0 + 5)]
  const options: EncodeBatchOptions = {
    baseOffset: 100,
    producerId: 42,
    producerEpoch: 3,
    baseSequence: 17,
    partitionLeaderEpoch: 9,
    isTransactional: true,
  }

  test('kept records keep their offsets; the batch keeps its offsets, producer fields and attributes', () => {
    const original = RecordBatch.from(encodeRecordBatch(records, options))
    const filtered = filterBatchRecords(original.buffer, (r) => r.key?.toString() !== 'a')
    const batch = RecordBatch.from(filtered!)
    expect(batch.toArray().map((r) => [r.offset, r.key?.toString(), r.timestamp])).toEqual([
      [101, 'b', T0 + 30],
      [103, 'c', T0 + 5],
    ])
    expect(batch.baseOffset).toBe(100)
    expect(batch.lastOffsetDelta).toBe(3)
    expect(batch.lastSequence).toBe(original.lastSequence)
    expect([batch.producerId, batch.producerEpoch, batch.baseSequence, batch.partitionLeaderEpoch]).toEqual([42, 3, 17, 9])
    expect(batch.attributes).toBe(original.attributes)
    expect(batch.recordsCount).toBe(2)
    // As Kafka's cleaner: base timestamp from the first kept record, max over the kept ones.
    expect([batch.baseTimestamp, batch.maxTimestamp]).toEqual([T0 + 30, T0 + 30])
  })

  test('the filter sees offset, key, tombstone flag and the batch max timestamp', () => {
    const seen: unknown[] = []
    filterBatchRecords(encodeRecordBatch(records, options), (r) => {
      seen.push([r.offset, r.key?.toString(), r.isTombstone, r.timestamp])
      return true
    })
    expect(seen).toEqual([
      [100, 'a', false, T0 + 30],
      [101, 'b', false, T0 + 30],
      [102, 'a', true, T0 + 30],
      [103, 'c', false, T0 + 30],
    ])
  })

  test('keeping everything returns the same Buffer; keeping nothing returns null', () => {
    const buf = encodeRecordBatch(records, options)
    expect(filterBatchRecords(buf, () => true)).toBe(buf)
    expect(filterBatchRecords(buf, () => false)).toBeNull()
  })

  test('a gzip batch stays gzip and can be filtered again', () => {
    const once = filterBatchRecords(encodeRecordBatch(records, { ...options, compression: 'gzip' }), (r) => r.offset !== 101)!
    const twice = RecordBatch.from(filterBatchRecords(once, (r) => r.offset !== 100)!)
    expect(twice.compression).toBe('gzip')
    expect(twice.toArray().map((r) => r.offset)).toEqual([102, 103])
    expect(twice.lastOffset).toBe(103)
  })

  test('under LogAppendTime the broker time survives and every record still reads it', () => {
    const buf = encodeRecordBatch(records, options)
    setLogAppendTime(buf, T0 + 999)
    const batch = RecordBatch.from(filterBatchRecords(buf, (r) => r.offset >= 102)!)
    expect(batch.timestampType).toBe('LogAppendTime')
    expect(batch.maxTimestamp).toBe(T0 + 999)
    expect(batch.toArray().map((r) => r.timestamp)).toEqual([T0 + 999, T0 + 999])
  })

  test('a control batch is returned whole', () => {
    const control = encodeRecordBatch([record('\u0000\u0000\u0000\u0001', null)], { isControl: true, isTransactional: true })
    expect(RecordBatch.from(control).isControl).toBe(true)
    expect(filterBatchRecords(control, () => false)).toBe(control)
  })

  test('a damaged batch is CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch(records, options)
    buf[BatchLayout.HEADER_SIZE]! ^= 1
    expect(codeOf(() => filterBatchRecords(buf, () => true))).toBe('CORRUPT_MESSAGE')
  })
})

describe('setLogAppendTime', () => {
  test('sets bit 3 and the max timestamp, re-signs the CRC, and every record then reads the broker time', () => {
    const buf = encodeRecordBatch([record('a', '1', T0), record('b', '2', T0 + 7)], { compression: 'gzip' })
    setLogAppendTime(buf, T0 + 1000)
    const batch = RecordBatch.from(buf)
    expect(batch.attributes & 0x08).toBe(0x08)
    expect(batch.compression).toBe('gzip')
    expect(batch.timestampType).toBe('LogAppendTime')
    expect([batch.baseTimestamp, batch.maxTimestamp]).toEqual([T0, T0 + 1000])
    expect(batch.toArray().map((r) => r.timestamp)).toEqual([T0 + 1000, T0 + 1000])
  })

  test('a damaged batch is CORRUPT_MESSAGE and is left as it was rather than re-signed', () => {
    const buf = encodeRecordBatch([record('a', '1')])
    buf[BatchLayout.HEADER_SIZE + 3]! ^= 0x10
    const before = Buffer.from(buf)
    expect(codeOf(() => setLogAppendTime(buf, T0))).toBe('CORRUPT_MESSAGE')
    expect(buf.equals(before)).toBe(true)
  })

  test('a time that is not a safe integer is INVALID_TIMESTAMP', () => {
    expect(codeOf(() => setLogAppendTime(encodeRecordBatch([record('a', '1')]), NaN))).toBe('INVALID_TIMESTAMP')
  })
})

describe('readInt64', () => {
  test('reads every int64 as Number(readBigInt64BE) does, without a BigInt', () => {
    const buf = Buffer.alloc(8)
    const edges = [
      0n,
      -1n,
      1n,
      2n ** 31n,
      -(2n ** 31n),
      2n ** 32n - 1n,
      2n ** 53n - 1n,
      2n ** 53n + 1n,
      -(2n ** 53n) - 3n,
      2n ** 63n - 1n,
      -(2n ** 63n),
    ]
    for (const value of edges) {
      buf.writeBigInt64BE(value)
      expect(readInt64(buf, 0)).toBe(Number(buf.readBigInt64BE(0)))
    }
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => {
        buf.writeBigInt64BE(value)
        return readInt64(buf, 0) === Number(buf.readBigInt64BE(0))
      }),
    )
  })
})
