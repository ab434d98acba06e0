import { MAX_DECOMPRESSED_BATCH_BYTES } from '@tributary/core'
import { lz4Compress, lz4Decompress } from './lz4'
import { blockInflatedBytes, scanLz4Frames } from './lz4-frame'
import { incompressible, jsonRecords, thrown } from './test-kit'

/**
 * Frames are built by hand here, so that hostile shapes (huge declared sizes, "bombs" of blocks
 * that each inflate to 4 MiB) can be fed to the reader. Layout: lz4-frame.ts.
 */

/** xxh32Small is XXH32 with seed 0 for inputs under 16 bytes: enough for a frame descriptor's checksum. */
function xxh32Small(input: Buffer): number {
  const P1 = 2654435761
  const P2 = 2246822519
  const P3 = 3266489917
  const P4 = 668265263
  const P5 = 374761393
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0
  expect(input.length).toBeLessThan(16)
  let h = (P5 + input.length) >>> 0
  let at = 0
  for (; at + 4 <= input.length; at += 4) h = Math.imul(rotl((h + Math.imul(input.readUInt32LE(at), P3)) >>> 0, 17), P4) >>> 0
  for (; at < input.length; at++) h = Math.imul(rotl((h + Math.imul(input[at] as number, P5)) >>> 0, 11), P1) >>> 0
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

interface FrameOptions {
  flg?: number
  bd?: number
  contentSize?: bigint
}

/** frame assembles one LZ4 frame: header (with a correct checksum), the given blocks, end mark. */
function frame(blocks: Array<{ data: Buffer; stored?: boolean }>, { flg = 0x60, bd = 0x40, contentSize }: FrameOptions = {}): Buffer {
  const descriptor = [Buffer.from([contentSize === undefined ? flg : flg | 0x08, bd])]
  if (contentSize !== undefined) {
    const size = Buffer.alloc(8)
    size.writeBigUInt64LE(contentSize)
    descriptor.push(size)
  }
  const desc = Buffer.concat(descriptor)
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([(xxh32Small(desc) >>> 8) & 0xff])]
  for (const { data, stored } of blocks) {
    const size = Buffer.alloc(4)
    size.writeUInt32LE((data.length | (stored ? 0x8000_0000 : 0)) >>> 0)
    parts.push(size, data)
  }
  parts.push(Buffer.alloc(4))
  return Buffer.concat(parts)
}

/** lengthBytes encodes an LZ4 length extension (after the 15 in a token nibble). */
function lengthBytes(rest: number): number[] {
  const out: number[] = []
  for (; rest >= 255; rest -= 255) out.push(255)
  out.push(rest)
  return out
}

/** runBlock is a compressed block that inflates to `bytes` copies of 'a' (1 literal, one long match, 5 literals). */
function runBlock(bytes: number): Buffer {
  const match = bytes - 1 - 5
  return Buffer.from([0x1f, 0x61, 0x01, 0x00, ...lengthBytes(match - 4 - 15), 0x50, 0x61, 0x61, 0x61, 0x61, 0x61])
}

/** literalBlock is a compressed block holding `data` as literals only. */
function literalBlock(data: Buffer): Buffer {
  const head = data.length >= 15 ? [0xf0, ...lengthBytes(data.length - 15)] : [data.length << 4]
  return Buffer.concat([Buffer.from(head), data])
}

describe('lz4 writer', () => {
  test("writes the frame Kafka's Java client writes: FLG 0x60, BD 0x40, one block per 64 KiB of input, end mark", () => {
    const data = jsonRecords(200_000)
    const f = lz4Compress(data)
    expect(f.subarray(0, 6)).toEqual(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]))
    expect(f[6]).toBe((xxh32Small(Buffer.from([0x60, 0x40])) >>> 8) & 0xff)
    const sizes: number[] = []
    let at = 7
    for (let word = f.readUInt32LE(at); word !== 0; word = f.readUInt32LE(at)) {
      const size = word & 0x7fff_ffff
      sizes.push(word & 0x8000_0000 ? size : blockInflatedBytes(f, at + 4, at + 4 + size, 65536))
      at += 4 + size
    }
    expect(at + 4).toBe(f.length)
    expect(sizes).toEqual([65536, 65536, 65536, data.length - 3 * 65536])
  })

  test('a block that does not shrink is stored uncompressed (high bit of its size)', () => {
    const noise = incompressible(70_000)
    const f = lz4Compress(noise)
    expect(f.readUInt32LE(7)).toBe((0x8000_0000 | 65536) >>> 0)
    expect(f.subarray(11, 11 + 65536).equals(noise.subarray(0, 65536))).toBe(true)
    expect(lz4Decompress(f, noise.length).equals(noise)).toBe(true)
  })
})

describe('lz4 reader', () => {
  test('hand-built frames decode: stored and compressed blocks, a declared content size', () => {
    const f = frame(
      [{ data: Buffer.from('stored!'), stored: true }, { data: runBlock(1000) }, { data: literalBlock(Buffer.from('tail')) }],
      {
        contentSize: 1011n,
      },
    )
    expect(lz4Decompress(f, 2000).toString()).toBe(`stored!${'a'.repeat(1000)}tail`)
  })

  test('a crafted 4 MiB block is exactly what the scan counts (so the bomb below is a real one)', () => {
    const block = runBlock(4 << 20)
    expect(block.length).toBeLessThan(17_000)
    expect(blockInflatedBytes(block, 0, block.length, 4 << 20)).toBe(4 << 20)
    const out = lz4Decompress(frame([{ data: block }], { bd: 0x70 }), MAX_DECOMPRESSED_BATCH_BYTES)
    expect(out.length).toBe(4 << 20)
    expect(out.every((b) => b === 0x61)).toBe(true)
  })

  test('a 1 MB bomb of 65 blocks × 4 MiB (260 MiB) is CORRUPT_MESSAGE before anything is inflated', () => {
    const bomb = frame(
      Array.from({ length: 65 }, () => ({ data: runBlock(4 << 20) })),
      { bd: 0x70 },
    )
    expect(bomb.length).toBeLessThan(1_100_000)
    const err = thrown(() => lz4Decompress(bomb, MAX_DECOMPRESSED_BATCH_BYTES))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    // Our own check, with the exact count: the native decoder was never called.
    expect(err.message).toMatch(/would inflate to \d+ bytes or more, over the limit of 268435456/)
  })

  test('a declared content size over the limit is refused from the header alone', () => {
    const f = frame([{ data: literalBlock(Buffer.from('x')) }], { contentSize: 1n << 40n })
    expect(thrown(() => lz4Decompress(f, MAX_DECOMPRESSED_BATCH_BYTES)).message).toMatch(/1099511627776 bytes or more/)
  })

  test('many small blocks: the quick bound is over the limit, the exact count is not, and the frame decodes', () => {
    const blocks = Array.from({ length: 40 }, (_, i) => ({ data: literalBlock(Buffer.from(`block ${i};`)) }))
    const f = frame(blocks)
    expect(scanLz4Frames(f, 40 * 65536).bound).toBe(40 * 65536)
    expect(scanLz4Frames(f, 1000).bound).toBeLessThan(400)
    expect(lz4Decompress(f, 1000).toString()).toBe(Array.from({ length: 40 }, (_, i) => `block ${i};`).join(''))
  })

  test('several frames, with skippable frames between, all inflate (the native decoder alone stops after the first)', () => {
    const skippable = Buffer.from([0x5f, 0x2a, 0x4d, 0x18, 0x02, 0x00, 0x00, 0x00, 0xaa, 0xbb])
    const f = Buffer.concat([
      lz4Compress(Buffer.from('one,')),
      skippable,
      frame([{ data: literalBlock(Buffer.from('two')) }]),
      lz4Compress(Buffer.from(',three')),
    ])
    expect(scanLz4Frames(f, 1 << 20).frames).toHaveLength(3)
    expect(lz4Decompress(f, 1 << 20).toString()).toBe('one,two,three')
  })

  test.each([
    ['empty input', Buffer.alloc(0), /no frame/],
    ['trailing bytes after a frame', Buffer.concat([lz4Compress(Buffer.from('ok')), Buffer.from('junk')]), /not an LZ4 frame/],
    ['a truncated skippable frame', Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0x09, 0x00, 0x00, 0x00, 0xaa]), /skippable frame is truncated/],
    ['a wrong magic', Buffer.from('not lz4 at all'), /not an LZ4 frame/],
    ['a truncated header', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60]), /truncated/],
    ['frame version 0', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x20, 0x40, 0x00, 0, 0, 0, 0]), /frame version 0/],
    ['block maximum code 2', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x20, 0x00, 0, 0, 0, 0]), /block maximum size/],
    ['no end mark', frame([{ data: literalBlock(Buffer.from('abc')) }]).subarray(0, -4), /block size is truncated/],
    ['a block larger than the data', frame([{ data: literalBlock(Buffer.from('abc')) }]).subarray(0, -6), /a block is truncated/],
  ])('%s is CORRUPT_MESSAGE', (_what, input, message) => {
    const err = thrown(() => lz4Decompress(input, 1 << 20))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.message).toMatch(message)
  })

  test('a block over the frame block maximum, or inflating past it, is CORRUPT_MESSAGE', () => {
    const oversized = frame([{ data: Buffer.alloc(65537), stored: true }])
    expect(thrown(() => lz4Decompress(oversized, 1 << 20)).message).toMatch(/over the frame's block maximum 65536/)
    const tooLong = frame([{ data: runBlock(70_000) }])
    // Within the quick bound the native decoder finds it; past it, the exact scan does.
    expect(thrown(() => lz4Decompress(tooLong, 1 << 16)).code).toBe('CORRUPT_MESSAGE')
    expect(thrown(() => lz4Decompress(tooLong, 1000)).message).toMatch(/past the frame's block maximum 65536/)
  })

  test('a bad header checksum or a bad block is CORRUPT_MESSAGE from the native decoder, wrapped', () => {
    const good = frame([{ data: literalBlock(Buffer.from('hello')) }])
    const badChecksum = Buffer.from(good)
    badChecksum[6] = (badChecksum[6] as number) ^ 0xff
    const err = thrown(() => lz4Decompress(badChecksum, 1 << 20))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.cause).toHaveProperty('message', expect.stringMatching(/HeaderChecksum/))
    // A match pointing before the start of the output.
    const badOffset = frame([{ data: Buffer.from([0x10, 0x61, 0x09, 0x00, 0x50, 0x61, 0x61, 0x61, 0x61, 0x61]) }])
    expect(thrown(() => lz4Decompress(badOffset, 1 << 20)).code).toBe('CORRUPT_MESSAGE')
  })
})
