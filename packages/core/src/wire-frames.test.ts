import { TributaryError } from './errors'
import { FrameReader, MAX_FRAME_BYTES, encodeFrame, type WireHeader } from './wire-frames'

describe('wire frames', () => {
  test('a header round-trips with Buffers sent raw and TributaryErrors rebuilt with their code', () => {
    const header: WireHeader = {
      id: 7,
      v: [
        {
          topic: 't',
          batches: [Buffer.from('one'), Buffer.from('two')],
          error: new TributaryError('NOT_LEADER_OR_FOLLOWER', 'moved', { details: { leader: 2 } }),
        },
      ],
    }
    const frame = encodeFrame(header)
    // The raw bytes follow the JSON unencoded.
    expect(frame.includes(Buffer.from('onetwo'))).toBe(true)
    const out: WireHeader[] = []
    new FrameReader().push(frame, (h) => out.push(h))
    const [r] = out[0]!.v as Array<{ topic: string; batches: Buffer[]; error: TributaryError }>
    expect(r?.batches.map((b) => b.toString())).toEqual(['one', 'two'])
    expect(r?.error).toBeInstanceOf(TributaryError)
    expect(r?.error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER', retriable: true, details: { leader: 2 } })
  })

  test('frames split across chunks and several frames in one chunk are all decoded in order', () => {
    const bytes = Buffer.concat([1, 2, 3].map((id) => encodeFrame({ id, m: 'fetch', a: [{ data: Buffer.alloc(id * 10, id) }] })))
    const ids: number[] = []
    const reader = new FrameReader()
    for (let i = 0; i < bytes.length; i += 7) reader.push(bytes.subarray(i, i + 7), (h) => ids.push(h.id))
    expect(ids).toEqual([1, 2, 3])
  })

  test('an AbortSignal is dropped and a frame over MAX_FRAME_BYTES is refused', () => {
    const out: WireHeader[] = []
    new FrameReader().push(encodeFrame({ id: 1, a: [{ signal: new AbortController().signal, maxWaitMs: 5 }] }), (h) => out.push(h))
    expect(out[0]?.a).toEqual([{ maxWaitMs: 5 }])
    const huge = Buffer.alloc(8)
    huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 0)
    expect(() => new FrameReader().push(huge, () => undefined)).toThrow(TributaryError)
  })

  test('a large frame split into socket-sized chunks, with small frames around it, decodes whole', () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 3)
    for (let i = 0; i < big.length; i += 997) big[i] = i % 251
    const stream = Buffer.concat([
      encodeFrame({ id: 1, v: 'before' }),
      encodeFrame({ id: 2, v: { batch: big } }),
      encodeFrame({ id: 3, v: 'after' }),
    ])
    for (const size of [1, 3, 65536, 1 << 20]) {
      const reader = new FrameReader()
      const got: WireHeader[] = []
      // 1-byte chunks only around the edges, to keep the test quick.
      for (let pos = 0; pos < stream.length; ) {
        const n = size === 1 && pos > 64 && pos < stream.length - 64 ? 65536 : size
        reader.push(stream.subarray(pos, pos + n), (h) => got.push(h))
        pos += n
      }
      expect(got.map((h) => h.id)).toEqual([1, 2, 3])
      expect((got[1]?.v as { batch?: Buffer } | undefined)?.batch?.equals(big)).toBe(true)
      expect(got[2]?.v).toBe('after')
      expect(reader.bufferedBytes).toBe(0)
    }
  })
})
