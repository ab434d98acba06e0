import { createRandom } from '@tributary/core/testing'
import { isKafkaProtocolError } from './errors'
import { FrameDecoder, readFrameSize, writeFrameSize } from './frame'

function frameOf(payload: Buffer): Buffer {
  const out = Buffer.alloc(4 + payload.length)
  writeFrameSize(out, 0, payload.length)
  payload.copy(out, 4)
  return out
}

describe('FrameDecoder', () => {
  const payloads = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(300, 9), Buffer.from('last')]
  const stream = Buffer.concat(payloads.map(frameOf))

  test('splits a stream cut at every byte offset into the same frames', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder()
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]
      expect(frames).toEqual(payloads)
      expect(d.bufferedBytes).toBe(0)
    }
  })

  test('splits a stream delivered in random small chunks', () => {
    const random = createRandom(42)
    for (let round = 0; round < 50; round++) {
      const d = new FrameDecoder()
      const frames: Buffer[] = []
      for (let pos = 0; pos < stream.length; ) {
        const n = 1 + random.int(40)
        frames.push(...d.push(stream.subarray(pos, pos + n)))
        pos += n
      }
      expect(frames).toEqual(payloads)
    }
  })

  test('joinInto chooses where a split frame is joined; undefined means fresh memory', () => {
    const scratch = Buffer.alloc(400)
    const asked: Array<[number, number]> = []
    const d = new FrameDecoder({
      joinInto: (size, first) => {
        asked.push([size, first[0] as number])
        return size === 300 ? scratch.subarray(0, size) : undefined
      },
    })
    const frames: Buffer[] = []
    for (let pos = 0; pos < stream.length; pos += 7) frames.push(...d.push(stream.subarray(pos, pos + 7)))
    expect(frames).toEqual(payloads)
    expect(asked).toEqual([
      [5, 'f'.charCodeAt(0)],
      [300, 9],
      [4, 'l'.charCodeAt(0)],
    ])
    // The 300-byte frame lies in the scratch buffer; the other split frame in memory of its own.
    expect(frames[2]?.buffer).toBe(scratch.buffer)
    expect(frames[0]?.buffer).not.toBe(scratch.buffer)
    const wrong = new FrameDecoder({ joinInto: () => Buffer.alloc(1) })
    expect(() => [...wrong.push(stream.subarray(0, 6)), ...wrong.push(stream.subarray(6))]).toThrow(RangeError)
  })

  test('a frame inside one chunk is a view of it; a split frame is joined once', () => {
    const chunk = frameOf(Buffer.from('abc'))
    const [frame] = new FrameDecoder().push(chunk)
    expect(frame!.buffer).toBe(chunk.buffer)
  })

  test('holds only the bytes received, not the size announced', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1 << 30 })
    expect(d.push(Buffer.from([0x3f, 0xff, 0xff, 0xff, 1, 2, 3]))).toEqual([])
    expect(d.bufferedBytes).toBe(3)
  })

  test('a size over the maximum or negative is refused before buffering', () => {
    for (const prefix of [
      [0x00, 0x00, 0x04, 0x01],
      [0xff, 0xff, 0xff, 0xff],
      [0x7f, 0xff, 0xff, 0xff],
    ]) {
      const d = new FrameDecoder({ maxFrameBytes: 1024 })
      let error: unknown
      try {
        d.push(Buffer.from(prefix))
      } catch (err) {
        error = err
      }
      expect(isKafkaProtocolError(error, 'INVALID_REQUEST')).toBe(true)
      expect(d.bufferedBytes).toBe(0)
    }
    expect(readFrameSize(Buffer.from([0, 0, 4, 0]), 0, 1024)).toBe(1024)
  })

  test('a large frame is copied into its buffer as it arrives, not all at once when it completes', () => {
    const random = createRandom(7)
    const payload = Buffer.alloc(6 * 1024 * 1024)
    for (let i = 0; i < payload.length; i += 4096) payload[i] = random.int(256)
    const stream = Buffer.concat([frameOf(payload), frameOf(Buffer.from('next'))])
    for (const lend of [false, true]) {
      const lent = Buffer.alloc(payload.length)
      let askedAt = -1
      let pushed = 0
      const d = new FrameDecoder({
        maxFrameBytes: 1 << 30,
        joinInto: (size) => {
          askedAt = pushed
          return lend && size === payload.length ? lent : undefined
        },
      })
      const frames: Buffer[] = []
      for (let pos = 0; pos < stream.length; pos += 65536) {
        pushed = pos
        frames.push(...d.push(stream.subarray(pos, pos + 65536)))
        // Memory follows what arrived: the frame's buffer is taken once 1 MiB is in, then filled piece by piece.
        if (pos < 1024 * 1024) expect(askedAt).toBe(-1)
      }
      expect(askedAt).toBeGreaterThanOrEqual(1024 * 1024 - 65536)
      expect(askedAt).toBeLessThan(1024 * 1024 + 65536)
      expect(frames).toHaveLength(2)
      expect(frames[0]?.equals(payload)).toBe(true)
      expect(frames[1]?.toString()).toBe('next')
      if (lend) expect(frames[0]?.buffer).toBe(lent.buffer)
      expect(d.bufferedBytes).toBe(0)
    }
  })
})
