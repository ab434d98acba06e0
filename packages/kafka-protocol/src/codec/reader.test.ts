import { isKafkaProtocolError } from './errors'
import { Reader } from './reader'
import { Writer, sizeOfUvarint } from './writer'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const reader = (s: string) => new Reader(hex(s))

function failure(fn: () => unknown): { code: string; path: string; message: string } {
  try {
    fn()
  } catch (err) {
    if (!isKafkaProtocolError(err)) throw err
    return { code: err.code, path: err.path, message: err.message }
  }
  throw new Error('expected a KafkaProtocolError')
}

describe('Reader primitives', () => {
  test('fixed-width integers are big-endian and signed where Kafka says so', () => {
    const r = reader('ff 8000 7fffffff ffff fffffffe 0000000000000001')
    expect(r.int8('a')).toBe(-1)
    expect(r.int16('b')).toBe(-32768)
    expect(r.int32('c')).toBe(2147483647)
    expect(r.uint16('d')).toBe(65535)
    expect(r.uint32('e')).toBe(4294967294)
    expect(r.int64('f')).toBe(1)
    expect(r.remaining).toBe(0)
  })

  test('int64 reads the whole safe range exactly and refuses anything beyond it', () => {
    expect(reader('ffffffffffffffff').int64('x')).toBe(-1)
    expect(reader('001fffffffffffff').int64('x')).toBe(Number.MAX_SAFE_INTEGER)
    expect(reader('ffe0000000000001').int64('x')).toBe(Number.MIN_SAFE_INTEGER)
    expect(failure(() => reader('0020000000000000').int64('topics[].offset'))).toMatchObject({
      code: 'INVALID_REQUEST',
      path: 'topics[].offset',
    })
    expect(failure(() => reader('7fffffffffffffff').int64('x')).message).toContain('9223372036854775807')
  })

  test('a bool is true for any non-zero byte', () => {
    const r = reader('00 01 02 ff')
    expect([r.bool('a'), r.bool('a'), r.bool('a'), r.bool('a')]).toEqual([false, true, true, true])
  })

  test('uuids read in canonical lowercase form', () => {
    expect(reader('0123456789abcdef0123456789ABCDEF').uuid('id')).toBe('01234567-89ab-cdef-0123-456789abcdef')
  })

  test('unsigned varints: 1 to 5 bytes, no zig-zag; a sixth byte is an error', () => {
    expect(reader('00').uvarint('v')).toBe(0)
    expect(reader('7f').uvarint('v')).toBe(127)
    expect(reader('8001').uvarint('v')).toBe(128)
    expect(reader('ffffffff0f').uvarint('v')).toBe(4294967295)
    expect(failure(() => reader('ffffffffff01').uvarint('v')).message).toContain('longer than 5 bytes')
    expect(failure(() => reader('ff').uvarint('v')).message).toContain('truncated')
  })

  test('uvarint sizes agree with the writer', () => {
    for (const v of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 4294967295]) {
      const w = new Writer(Buffer.alloc(5))
      w.uvarint(v)
      expect(w.pos).toBe(sizeOfUvarint(v))
      expect(new Reader(w.buf, 0, w.pos).uvarint('v')).toBe(v)
    }
  })
})

describe('Reader strings, bytes and arrays', () => {
  test('STRING / NULLABLE_STRING use an int16 length with -1 for null', () => {
    expect(reader('0003 616263').string('s')).toBe('abc')
    expect(reader('0000').string('s')).toBe('')
    expect(reader('ffff').nstring('s')).toBeNull()
    expect(failure(() => reader('ffff').string('group.id'))).toMatchObject({ path: 'group.id' })
    expect(failure(() => reader('fffe').nstring('s')).message).toContain('negative length')
  })

  test('compact strings use uvarint N+1: 0x00 is null and 0x01 is empty', () => {
    expect(reader('00').ncstring('s')).toBeNull()
    expect(reader('01').ncstring('s')).toBe('')
    expect(reader('01').cstring('s')).toBe('')
    expect(reader('04 616263').cstring('s')).toBe('abc')
    expect(failure(() => reader('00').cstring('s')).message).toContain('null in a non-nullable field')
  })

  test('strings decode as UTF-8', () => {
    const text = 'héllo ✓ 🐟'
    const bytes = Buffer.from(text)
    const r = new Reader(Buffer.concat([Buffer.from([0, bytes.length]), bytes]))
    expect(r.string('s')).toBe(text)
  })

  test('bytes are views of the input, not copies', () => {
    const buf = hex('00000003 010203')
    const out = new Reader(buf).bytes('b')
    expect(out).toEqual(Buffer.from([1, 2, 3]))
    expect(out.buffer).toBe(buf.buffer)
    expect(reader('ffffffff').nbytes('b')).toBeNull()
    expect(reader('00').ncbytes('b')).toBeNull()
    expect(reader('01').ncbytes('b')).toEqual(Buffer.alloc(0))
  })

  test('array counts: -1 / 0x00 are null, and 0 / 0x01 are empty', () => {
    expect(reader('ffffffff').arrayLength('a', 4)).toBe(-1)
    expect(reader('00000000').arrayLength('a', 4)).toBe(0)
    expect(reader('00').compactArrayLength('a', 4)).toBe(-1)
    expect(reader('01').compactArrayLength('a', 4)).toBe(0)
  })

  test('absurd lengths fail against the remaining bytes before anything is allocated', () => {
    // 2^31-1 bytes / elements announced in a 10-byte buffer.
    expect(failure(() => reader('7fffffff 000000000000').bytes('records'))).toMatchObject({ path: 'records' })
    expect(failure(() => reader('7fffffff 000000000000').arrayLength('topics', 1)).message).toContain('cannot fit')
    expect(failure(() => reader('ffffffff07 0000').compactArrayLength('topics', 1)).message).toContain('cannot fit')
    // Elements of at least 8 bytes: 2 of them cannot fit in 15 bytes.
    expect(failure(() => new Reader(Buffer.concat([hex('00000002'), Buffer.alloc(15)])).arrayLength('a', 8)).message).toContain(
      'cannot fit',
    )
  })

  test('responses fail with CORRUPT_MESSAGE instead of INVALID_REQUEST', () => {
    expect(failure(() => new Reader(hex('00'), 0, 1, 'CORRUPT_MESSAGE').int32('x')).code).toBe('CORRUPT_MESSAGE')
  })

  test('unknown tagged fields are skipped whole', () => {
    const r = reader('02 05 02 abcd 1f 00 ee')
    r.skipTaggedFields('t')
    expect(r.int8('after')).toBe(-18)
  })
})
