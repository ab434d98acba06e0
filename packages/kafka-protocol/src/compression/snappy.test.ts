import { MAX_DECOMPRESSED_BATCH_BYTES } from '@tributary/core'
import {
  XERIAL_BLOCK_BYTES,
  XERIAL_HEADER_BYTES,
  rawUncompressedLength,
  snappyCompress,
  snappyCompressRaw,
  snappyDecompress,
} from './snappy'
import { jsonRecords, thrown } from './test-kit'

const XERIAL_HEADER = Buffer.from('82534e415050590000000001' + '00000001', 'hex')

/** xerial frames raw snappy blocks as snappy-java's SnappyOutputStream does. */
function xerial(...blocks: Buffer[]): Buffer {
  return Buffer.concat([
    XERIAL_HEADER,
    ...blocks.flatMap((b) => {
      const length = Buffer.alloc(4)
      length.writeInt32BE(b.length)
      return [length, b]
    }),
  ])
}

/** xerialBlocks splits a xerial stream into its raw blocks (after checking the header). */
function xerialBlocks(stream: Buffer): Buffer[] {
  expect(stream.subarray(0, XERIAL_HEADER_BYTES)).toEqual(XERIAL_HEADER)
  const blocks: Buffer[] = []
  for (let at = XERIAL_HEADER_BYTES; at < stream.length; ) {
    const length = stream.readInt32BE(at)
    blocks.push(stream.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  return blocks
}

describe('snappy writer: the xerial framing of the Java client', () => {
  test('header 82 53 4E 41 50 50 59 00, version 1, compat 1, then length-prefixed raw blocks of 32 KiB of input', () => {
    const data = jsonRecords(100_000)
    const blocks = xerialBlocks(snappyCompress(data))
    expect(blocks).toHaveLength(Math.ceil(data.length / XERIAL_BLOCK_BYTES))
    blocks.forEach((block, i) => {
      const plain = data.subarray(i * XERIAL_BLOCK_BYTES, (i + 1) * XERIAL_BLOCK_BYTES)
      expect(rawUncompressedLength(block)).toBe(plain.length)
      // Each block is plain raw snappy, readable by any raw decoder.
      expect(snappyDecompress(block, plain.length).equals(plain)).toBe(true)
    })
  })

  test('empty input is the header alone, which reads back as empty', () => {
    expect(snappyCompress(Buffer.alloc(0))).toEqual(XERIAL_HEADER)
    expect(snappyDecompress(XERIAL_HEADER, 0)).toHaveLength(0)
  })
})

describe('snappy reader', () => {
  test('reads raw snappy (librdkafka) and xerial (Java, kafka-python), told apart by the magic', () => {
    const data = jsonRecords(70_000)
    expect(snappyDecompress(snappyCompressRaw(data), data.length).equals(data)).toBe(true)
    expect(snappyDecompress(snappyCompress(data), data.length).equals(data)).toBe(true)
    const a = snappyCompressRaw(Buffer.from('first '))
    const b = snappyCompressRaw(Buffer.from('second'))
    expect(snappyDecompress(xerial(a, b), 100).toString()).toBe('first second')
    // Two streams back to back, as snappy-java also reads them.
    expect(snappyDecompress(Buffer.concat([xerial(a), xerial(b)]), 100).toString()).toBe('first second')
  })

  test('a raw block declaring 4 GiB in six bytes is CORRUPT_MESSAGE from its length alone', () => {
    const hostile = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])
    expect(rawUncompressedLength(hostile)).toBe(0xffff_ffff)
    const err = thrown(() => snappyDecompress(hostile, MAX_DECOMPRESSED_BATCH_BYTES))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    // Our own check (the native decoder would have said something else): nothing was allocated.
    expect(err.message).toMatch(/would inflate to 4294967295 bytes or more, over the limit of 268435456/)
  })

  test('xerial blocks whose declared sizes add up past the limit are refused before any is inflated', () => {
    const block = snappyCompressRaw(Buffer.alloc(XERIAL_BLOCK_BYTES))
    const stream = xerial(...Array.from({ length: 10 }, () => block))
    expect(snappyDecompress(stream, 10 * XERIAL_BLOCK_BYTES)).toHaveLength(10 * XERIAL_BLOCK_BYTES)
    expect(thrown(() => snappyDecompress(stream, 100_000)).message).toMatch(
      /would inflate to 131072 bytes or more, over the limit of 100000/,
    )
    // Many blocks each declaring 4 GiB.
    const hostile = xerial(...Array.from({ length: 3 }, () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])))
    expect(thrown(() => snappyDecompress(hostile, MAX_DECOMPRESSED_BATCH_BYTES)).code).toBe('CORRUPT_MESSAGE')
  })

  const good = snappyCompressRaw(Buffer.from('hello hello hello'))
  test.each([
    ['empty input', Buffer.alloc(0), /ends inside its length/],
    ['a length varint longer than 32 bits', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), /not a 32-bit varint/],
    ['a raw block shorter than it says', good.subarray(0, good.length - 2), /snappy/],
    ['a raw block with garbage', Buffer.from([0x10, 0xff, 0xff, 0xff]), /snappy/],
    ['a truncated xerial header', XERIAL_HEADER.subarray(0, 12), /xerial header is truncated/],
    ['a truncated xerial block length', Buffer.concat([XERIAL_HEADER, Buffer.from([0, 0])]), /block length is truncated/],
    ['a xerial block longer than the data', xerial(good).subarray(0, -1), /does not fit the data/],
    ['a negative xerial block length', Buffer.concat([XERIAL_HEADER, Buffer.from([0xff, 0xff, 0xff, 0xfe])]), /does not fit the data/],
    ['a xerial block that inflates to other than it declares', xerial(Buffer.from([0x05, 0x08, 0x61, 0x62, 0x63])), /snappy/],
  ])('%s is CORRUPT_MESSAGE', (_what, input, message) => {
    const err = thrown(() => snappyDecompress(input, 1 << 20))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.message).toMatch(message)
  })
})
