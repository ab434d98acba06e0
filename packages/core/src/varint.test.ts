import fc from 'fast-check'
import { isTributaryError } from './errors'
import { sizeOfVarint, sizeOfVarlong, VarintReader, writeVarint, writeVarlong } from './varint'

/** Reference zig-zag varlong in BigInt, written from the spec independently of varint.ts. */
function referenceVarlong(value: bigint): number[] {
  let z = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  const out: number[] = []
  while (z > 0x7fn) {
    out.push(Number(z & 0x7fn) | 0x80)
    z >>= 7n
  }
  out.push(Number(z))
  return out
}

function varintBytes(value: number): number[] {
  const buf = Buffer.alloc(10)
  return [...buf.subarray(0, writeVarint(buf, value, 0))]
}

function varlongBytes(value: number): number[] {
  const buf = Buffer.alloc(10)
  return [...buf.subarray(0, writeVarlong(buf, value, 0))]
}

function reader(bytes: number[]): VarintReader {
  return new VarintReader(Buffer.from(bytes))
}

function expectCorrupt(fn: () => unknown): void {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(isTributaryError(thrown, 'CORRUPT_MESSAGE')).toBe(true)
}

// Kafka's ByteUtilsTest.testVarintSerde (kafka-facts §2.2).
const KAFKA_VARINT_VECTORS: Array<[number, number[]]> = [
  [0, [0x00]],
  [-1, [0x01]],
  [1, [0x02]],
  [63, [0x7e]],
  [-64, [0x7f]],
  [64, [0x80, 0x01]],
  [-65, [0x81, 0x01]],
  [8191, [0xfe, 0x7f]],
  [8192, [0x80, 0x80, 0x01]],
  [1048576, [0x80, 0x80, 0x80, 0x01]],
  [134217728, [0x80, 0x80, 0x80, 0x80, 0x01]],
  [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
  [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
]

describe('varint (int32)', () => {
  test.each(KAFKA_VARINT_VECTORS)('%d encodes to the bytes Kafka writes and decodes back', (value, bytes) => {
    expect(varintBytes(value)).toEqual(bytes)
    expect(sizeOfVarint(value)).toBe(bytes.length)
    const r = reader(bytes)
    expect(r.readVarint()).toBe(value)
    expect(r.pos).toBe(bytes.length)
  })

  test('the size changes exactly at each 7-bit boundary, for both signs', () => {
    for (let bits = 6; bits <= 27; bits += 7) {
      const edge = 2 ** bits
      expect(sizeOfVarint(edge - 1)).toBe(sizeOfVarint(edge) - 1)
      expect(sizeOfVarint(-edge)).toBe(sizeOfVarint(-edge - 1) - 1)
    }
  })

  test('any int32 round-trips and its size matches what is written', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        const bytes = varintBytes(value)
        expect(bytes.length).toBe(sizeOfVarint(value))
        expect(bytes).toEqual(referenceVarlong(BigInt(value)))
        expect(reader(bytes).readVarint()).toBe(value)
      }),
    )
  })

  test('a varint whose 5th byte still has the continuation bit is CORRUPT_MESSAGE, as in Kafka', () => {
    expectCorrupt(() => reader([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).readVarint())
  })

  test('a varint cut short by the reader end is CORRUPT_MESSAGE, never a read past it', () => {
    expectCorrupt(() => reader([]).readVarint())
    expectCorrupt(() => reader([0x80]).readVarint())
    const r = new VarintReader(Buffer.from([0x80, 0x01]), 0, 1)
    expectCorrupt(() => r.readVarint())
  })

  test('writes land at the given position and return the next one', () => {
    const buf = Buffer.alloc(8, 0xaa)
    expect(writeVarint(buf, 64, 3)).toBe(5)
    expect([...buf]).toEqual([0xaa, 0xaa, 0xaa, 0x80, 0x01, 0xaa, 0xaa, 0xaa])
  })
})

describe('varlong (int64 within ±2^53)', () => {
  const boundaries = [
    0,
    -1,
    1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32,
    -(2 ** 32),
    17179869184,
    2 ** 52,
    -(2 ** 52),
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    -(2 ** 53),
    1_700_000_000_000,
    -1_700_000_000_000,
  ]

  test('17179869184 encodes to 80 80 80 80 80 01 (kafka-facts §2.2)', () => {
    expect(varlongBytes(17179869184)).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
  })

  test.each(boundaries)('%d matches the BigInt reference encoding and round-trips', (value) => {
    const bytes = varlongBytes(value)
    expect(bytes).toEqual(referenceVarlong(BigInt(value)))
    expect(sizeOfVarlong(value)).toBe(bytes.length)
    expect(reader(bytes).readVarlong()).toBe(value)
  })

  test('any safe integer round-trips, byte-identical to the reference', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer()), (value) => {
        const bytes = varlongBytes(value)
        expect(bytes).toEqual(referenceVarlong(BigInt(value)))
        expect(sizeOfVarlong(value)).toBe(bytes.length)
        const r = reader(bytes)
        expect(r.readVarlong()).toBe(value)
        expect(r.pos).toBe(bytes.length)
      }),
    )
  })

  test('a varlong a JS number cannot hold exactly is CORRUPT_MESSAGE, not a rounded value', () => {
    expectCorrupt(() => reader(referenceVarlong(2n ** 53n)).readVarlong())
    expectCorrupt(() => reader(referenceVarlong(-(2n ** 63n))).readVarlong())
    expect(reader(referenceVarlong(-(2n ** 53n))).readVarlong()).toBe(-(2 ** 53))
  })

  test('a varlong longer than 10 bytes, or truncated, is CORRUPT_MESSAGE', () => {
    expectCorrupt(() => reader([...Array(10).fill(0xff), 0x01]).readVarlong())
    expectCorrupt(() => reader([0xff, 0xff]).readVarlong())
  })

  test('writeVarlong refuses a value outside ±2^53 instead of writing a wrong one', () => {
    expect(() => writeVarlong(Buffer.alloc(10), 2 ** 60, 0)).toThrow(RangeError)
    expect(() => writeVarlong(Buffer.alloc(10), 1.5, 0)).toThrow(RangeError)
  })
})

describe('VarintReader byte fields', () => {
  test('readNullableBytes returns a view for a length, null for -1', () => {
    const buf = Buffer.from([0x06, 0x61, 0x62, 0x63, 0x01])
    const r = new VarintReader(buf)
    const bytes = r.readNullableBytes('key')
    expect(bytes?.toString()).toBe('abc')
    expect(bytes?.buffer).toBe(buf.buffer)
    expect(r.readNullableBytes('value')).toBeNull()
    expect(r.remaining).toBe(0)
  })

  test('a length below -1 or past the end is CORRUPT_MESSAGE', () => {
    expectCorrupt(() => reader([0x03]).readNullableBytes('key')) // -2
    expectCorrupt(() => reader([0x08, 0x61]).readNullableBytes('key')) // 4 bytes, 1 left
  })

  test('readInt8 is signed and bounded', () => {
    const r = reader([0xff, 0x7f])
    expect(r.readInt8()).toBe(-1)
    expect(r.readInt8()).toBe(127)
    expectCorrupt(() => r.readInt8())
  })
})
