import { TributaryError, errorFromJSON } from './errors'

/*
 * The client/peer wire protocol's framing, shared by the cluster node's server (@tributary/cluster)
 * and the remote client (@tributary/client): length-prefixed frames over a byte stream, each one
 * request or one response.
 *
 *   u32 frameBytes | u32 headerBytes | JSON header | raw buffers
 *
 * Buffers inside the header are replaced by `{ $b: i }` and sent raw after the JSON (so record
 * batches are never base64-encoded), TributaryErrors by `{ $e: toJSON() }`, AbortSignals dropped.
 * Header: request `{ id, m: method, a: args, b: bufferLengths }`, response `{ id, v: value }` or
 * `{ id, e: error }`; a request `{ id, m: '$cancel', a: [requestId] }` may be ignored by servers.
 * Pure: no I/O, only Buffer.
 */

/** MAX_FRAME_BYTES is the default bound of one frame (Kafka's socket.request.max.bytes, 100 MiB); a fetch response is cut to fit under it. */
export const MAX_FRAME_BYTES = 100 * 1024 * 1024

/** WireHeader is one decoded frame: a request (`m`, `a`) or a response (`v` or `e`). */
export interface WireHeader {
  id: number
  m?: string
  a?: unknown
  v?: unknown
  e?: unknown
}

/**
 * encodeFrameChunks packs a header whose values may hold Buffers and TributaryErrors into the
 * chunks of one frame: the prefix and JSON, then each buffer as it is (no copy of the batches, so
 * writing a large fetch response does not hold the event loop for a copy of it).
 */
export function encodeFrameChunks(header: WireHeader): Buffer[] {
  const bufs: Buffer[] = []
  const packed = pack(header, bufs) as Record<string, unknown>
  const json = Buffer.from(JSON.stringify({ ...packed, b: bufs.map((b) => b.length) }))
  const prefix = Buffer.allocUnsafe(8)
  const total = 4 + json.length + bufs.reduce((n, b) => n + b.length, 0)
  prefix.writeUInt32BE(total, 0)
  prefix.writeUInt32BE(json.length, 4)
  return [prefix, json, ...bufs]
}

/** encodeFrame is `encodeFrameChunks` joined into one buffer (small frames). */
export function encodeFrame(header: WireHeader): Buffer {
  return Buffer.concat(encodeFrameChunks(header))
}

/**
 * INCREMENTAL_JOIN_BYTES: once this much of a frame has arrived, its buffer is taken and every
 * later piece is copied into it as it arrives, instead of all at once when the frame completes
 * (joining a 90 MiB frame in one go held the event loop for over a second, mostly the first touch
 * of fresh pages). The buffer is allocated uncommitted (Buffer.allocUnsafe beyond the pool size):
 * its pages are committed as bytes arrive, so memory still follows the bytes received.
 */
const INCREMENTAL_JOIN_BYTES = 1024 * 1024

/**
 * FrameReader turns a byte stream into decoded headers. The length prefix is checked against
 * `maxFrameBytes` before a byte of the frame is kept; a frame inside one chunk is read in place, a
 * small one that spans chunks is joined when complete, a large one is copied into its buffer piece
 * by piece as it arrives (linear in its size, and no long stretch on the event loop).
 * @throws TributaryError INVALID_REQUEST from `push` for a frame over the limit or one that does
 * not decode (the caller should drop the connection: the stream cannot be resynchronised).
 */
export class FrameReader {
  private readonly prefix = Buffer.alloc(4)
  private prefixFilled = 0
  /** Bytes (after the prefix) of the frame being collected; -1 while none is. */
  private frameBytes = -1
  private pieces: Buffer[] = []
  private filled = 0
  private target: Buffer | null = null

  constructor(readonly maxFrameBytes: number = MAX_FRAME_BYTES) {}

  /** bufferedBytes is how many bytes of an incomplete frame are held. */
  get bufferedBytes(): number {
    return this.prefixFilled + this.filled
  }

  push(chunk: Buffer, onFrame: (h: WireHeader) => void): void {
    let pos = 0
    const end = chunk.length
    while (pos < end) {
      if (this.frameBytes < 0) {
        let total: number
        if (this.prefixFilled === 0 && end - pos >= 4) {
          total = chunk.readUInt32BE(pos)
          pos += 4
        } else {
          const take = Math.min(4 - this.prefixFilled, end - pos)
          chunk.copy(this.prefix, this.prefixFilled, pos, pos + take)
          this.prefixFilled += take
          pos += take
          if (this.prefixFilled < 4) return
          this.prefixFilled = 0
          total = this.prefix.readUInt32BE(0)
        }
        if (total > this.maxFrameBytes)
          throw new TributaryError('INVALID_REQUEST', `frame of ${total} bytes exceeds ${this.maxFrameBytes}`, {
            details: { frameBytes: total, maxFrameBytes: this.maxFrameBytes },
          })
        if (end - pos >= total) {
          const frame = chunk.subarray(pos, pos + total)
          pos += total
          onFrame(decodeFrame(frame))
        } else this.frameBytes = total
        continue
      }
      const take = Math.min(this.frameBytes - this.filled, end - pos)
      const piece = chunk.subarray(pos, pos + take)
      if (this.target !== null) this.target.set(piece, this.filled)
      else this.pieces.push(piece)
      this.filled += take
      pos += take
      if (this.filled === this.frameBytes) {
        const frame = this.target ?? Buffer.concat(this.pieces, this.frameBytes)
        this.frameBytes = -1
        this.pieces = []
        this.filled = 0
        this.target = null
        onFrame(decodeFrame(frame))
      } else if (this.target === null && this.filled >= INCREMENTAL_JOIN_BYTES) {
        this.target = Buffer.allocUnsafe(this.frameBytes)
        let at = 0
        for (const p of this.pieces) {
          this.target.set(p, at)
          at += p.length
        }
        this.pieces = []
      }
    }
  }
}

/**
 * decodeFrame reads one frame's header and buffers, checking its structure: a JSON object with a
 * safe-integer id, a string method and an argument list if present, buffer lengths that add up to
 * the frame. @throws TributaryError INVALID_REQUEST.
 */
function decodeFrame(frame: Buffer): WireHeader {
  const bad = (why: string): TributaryError => new TributaryError('INVALID_REQUEST', `malformed frame: ${why}`)
  if (frame.length < 4) throw bad('shorter than its header length')
  const jsonBytes = frame.readUInt32BE(0)
  if (jsonBytes > frame.length - 4) throw bad('header longer than the frame')
  let raw: WireHeader & { b?: unknown }
  try {
    raw = JSON.parse(frame.subarray(4, 4 + jsonBytes).toString('utf8')) as WireHeader & { b: number[] }
  } catch {
    throw bad('header is not JSON')
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('header is not an object')
  if (!Number.isSafeInteger(raw.id)) throw bad('id is not an integer')
  if (raw.m !== undefined && typeof raw.m !== 'string') throw bad('method is not a string')
  if (raw.a !== undefined && !Array.isArray(raw.a)) throw bad('arguments are not a list')
  const lengths = raw.b ?? []
  if (!Array.isArray(lengths) || lengths.some((n) => !Number.isSafeInteger(n) || (n as number) < 0))
    throw bad('buffer lengths are not a list of sizes')
  const bufs: Buffer[] = []
  let pos = 4 + jsonBytes
  for (const len of lengths as number[]) {
    if (pos + len > frame.length) throw bad('buffers longer than the frame')
    // A small buffer is copied, so that a kept batch does not pin the whole frame; one that is
    // most of the frame is kept as it is (it pins at most as much again, and a large produce is
    // not copied twice while the event loop waits).
    bufs.push(len * 2 >= frame.length ? frame.subarray(pos, pos + len) : Buffer.from(frame.subarray(pos, pos + len)))
    pos += len
  }
  try {
    return unpack(raw, bufs) as WireHeader
  } catch {
    throw bad('nested too deeply')
  }
}

function pack(v: unknown, bufs: Buffer[]): unknown {
  if (v instanceof Uint8Array) {
    bufs.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength))
    return { $b: bufs.length - 1 }
  }
  if (v instanceof TributaryError) return { $e: v.toJSON() }
  if (v instanceof Error) return { $e: { code: 'UNKNOWN_SERVER_ERROR', message: v.message } }
  if (Array.isArray(v)) return v.map((x) => pack(x, bufs))
  if (v !== null && typeof v === 'object') {
    if (typeof AbortSignal !== 'undefined' && v instanceof AbortSignal) return undefined
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = pack(x, bufs)
    return out
  }
  return v
}

function unpack(v: unknown, bufs: Buffer[]): unknown {
  if (Array.isArray(v)) return v.map((x) => unpack(x, bufs))
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (typeof o.$b === 'number') return bufs[o.$b]
    if (o.$e !== undefined) {
      const e = o.$e as { code?: unknown; message?: unknown; retriable?: unknown; details?: unknown } | null
      const details = e?.details
      return errorFromJSON({
        code: String(e?.code),
        message: String(e?.message),
        retriable: typeof e?.retriable === 'boolean' ? e.retriable : undefined,
        details:
          details !== null && typeof details === 'object' && !Array.isArray(details)
            ? (unpack(details, bufs) as Record<string, unknown>)
            : undefined,
      })
    }
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(o)) out[k] = unpack(x, bufs)
    return out
  }
  return v
}
