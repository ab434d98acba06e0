import { MAX_DECOMPRESSED_BATCH_BYTES } from '@tributary/core'
import * as binding from 'zstd-napi/binding'
import { jsonRecords, thrown } from './test-kit'
import { zstdCompress, zstdDecompress } from './zstd'

/** unsizedFrame compresses `data` into a frame that does not declare its content size (streaming writers do this). */
function unsizedFrame(data: Buffer, checksum = false): Buffer {
  const cctx = new binding.CCtx()
  cctx.setParameter(binding.CParameter.contentSizeFlag, 0)
  cctx.setParameter(binding.CParameter.checksumFlag, checksum ? 1 : 0)
  const out = Buffer.alloc(binding.compressBound(data.length))
  const frame = out.subarray(0, cctx.compress2(out, data))
  expect(binding.getFrameContentSize(frame)).toBeNull()
  return frame
}

/** sizedHeader is a frame that declares `size` bytes of content and holds one raw byte. */
function sizedHeader(size: bigint): Buffer {
  const fcs = Buffer.alloc(8)
  fcs.writeBigUInt64LE(size)
  // Magic; descriptor 0xE0 (8-byte content size, single segment); one last raw block of 1 byte.
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]), fcs, Buffer.from([0x09, 0x00, 0x00, 0x61])])
}

describe('zstd', () => {
  test('writes one frame that declares its content size, at level 3', () => {
    const data = jsonRecords(50_000)
    const frame = zstdCompress(data)
    expect(frame.readUInt32LE(0)).toBe(0xfd2fb528)
    expect(binding.getFrameContentSize(frame)).toBe(data.length)
  })

  test('frames without a content size are inflated in bounded steps, several frames in a row too', () => {
    const data = jsonRecords(1_500_000)
    expect(zstdDecompress(unsizedFrame(data), data.length).equals(data)).toBe(true)
    const two = Buffer.concat([unsizedFrame(Buffer.from('one,'), true), zstdCompress(Buffer.from('two'))])
    expect(zstdDecompress(two, 100).toString()).toBe('one,two')
    const skippable = Buffer.from([0x53, 0x2a, 0x4d, 0x18, 0x03, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03])
    expect(zstdDecompress(Buffer.concat([zstdCompress(Buffer.from('a')), skippable, zstdCompress(Buffer.from('b'))]), 10).toString()).toBe(
      'ab',
    )
    expect(zstdDecompress(Buffer.concat([unsizedFrame(Buffer.from('a')), skippable]), 10).toString()).toBe('a')
  })

  test('a declared content size over the limit is CORRUPT_MESSAGE from the header alone', () => {
    const err = thrown(() => zstdDecompress(sizedHeader(1n << 40n), MAX_DECOMPRESSED_BATCH_BYTES))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.message).toMatch(/would inflate to 1099511627776 bytes or more/)
  })

  test('a frame that lies about its size is CORRUPT_MESSAGE', () => {
    expect(thrown(() => zstdDecompress(sizedHeader(5n), 100)).code).toBe('CORRUPT_MESSAGE')
  })

  test('a bomb without a declared size stops at the limit: 64 MiB from a few KB, refused at 1 MiB', () => {
    const bomb = unsizedFrame(Buffer.alloc(64 << 20))
    expect(bomb.length).toBeLessThan(10_000)
    const err = thrown(() => zstdDecompress(bomb, 1 << 20))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.message).toMatch(/over the limit of 1048576/)
  })

  test.each([
    ['empty input', Buffer.alloc(0)],
    ['not zstd', Buffer.from('definitely not a zstd frame')],
    ['a truncated frame with a content size', zstdCompress(jsonRecords(10_000)).subarray(0, -5)],
    ['a truncated frame without one', unsizedFrame(jsonRecords(10_000)).subarray(0, -5)],
    ['a frame cut inside its header', zstdCompress(Buffer.from('x')).subarray(0, 5)],
    ['trailing garbage after a frame', Buffer.concat([zstdCompress(Buffer.from('ok')), Buffer.from('junk')])],
  ])('%s is CORRUPT_MESSAGE', (_what, input) => {
    expect(thrown(() => zstdDecompress(input, 1 << 20)).code).toBe('CORRUPT_MESSAGE')
  })

  test('a content checksum mismatch is CORRUPT_MESSAGE', () => {
    const frame = Buffer.from(unsizedFrame(Buffer.from('checked content'), true))
    frame[frame.length - 1] = (frame[frame.length - 1] as number) ^ 0xff
    expect(thrown(() => zstdDecompress(frame, 1 << 20)).code).toBe('CORRUPT_MESSAGE')
  })
})
