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

/** MAX_FRAME_BYTES bounds one frame (a fetch response is bounded by its maxBytes). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024

/** WireHeader is one decoded frame: a request (`m`, `a`) or a response (`v` or `e`). */
export interface WireHeader {
  id: number
  m?: string
  a?: unknown
  v?: unknown
  e?: unknown
}

/** encodeFrame packs a header whose values may hold Buffers and TributaryErrors. */
export function encodeFrame(header: WireHeader): Buffer {
  const bufs: Buffer[] = []
  const packed = pack(header, bufs) as Record<string, unknown>
  const json = Buffer.from(JSON.stringify({ ...packed, b: bufs.map((b) => b.length) }))
  const prefix = Buffer.allocUnsafe(8)
  const total = 4 + json.length + bufs.reduce((n, b) => n + b.length, 0)
  prefix.writeUInt32BE(total, 0)
  prefix.writeUInt32BE(json.length, 4)
  return Buffer.concat([prefix, json, ...bufs])
}

/**
 * FrameReader turns a byte stream into decoded headers.
 * @throws TributaryError INVALID_REQUEST from `push` for a frame over MAX_FRAME_BYTES (the
 * caller should drop the connection: the stream cannot be resynchronised).
 */
export class FrameReader {
  private pending: Buffer[] = []
  private pendingBytes = 0

  push(chunk: Buffer, onFrame: (h: WireHeader) => void): void {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    for (;;) {
      if (this.pendingBytes < 4) return
      if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending)]
      const buf = this.pending[0] as Buffer
      const total = buf.readUInt32BE(0)
      if (total > MAX_FRAME_BYTES) throw new TributaryError('INVALID_REQUEST', `frame of ${total} bytes exceeds ${MAX_FRAME_BYTES}`)
      if (buf.length < 4 + total) return
      const frame = buf.subarray(4, 4 + total)
      const rest = buf.subarray(4 + total)
      this.pending = rest.length > 0 ? [rest] : []
      this.pendingBytes = rest.length
      onFrame(decodeFrame(frame))
    }
  }
}

function decodeFrame(frame: Buffer): WireHeader {
  const jsonBytes = frame.readUInt32BE(0)
  const raw = JSON.parse(frame.subarray(4, 4 + jsonBytes).toString('utf8')) as WireHeader & { b: number[] }
  const bufs: Buffer[] = []
  let pos = 4 + jsonBytes
  for (const len of raw.b) {
    // A copy, so that a kept batch does not pin the whole frame.
    bufs.push(Buffer.from(frame.subarray(pos, pos + len)))
    pos += len
  }
  return unpack(raw, bufs) as WireHeader
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
    if (o.$e !== undefined) return errorFromJSON(o.$e as { code: string; message: string })
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(o)) out[k] = unpack(x, bufs)
    return out
  }
  return v
}
