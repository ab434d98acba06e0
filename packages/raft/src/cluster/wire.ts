import { connect, type Socket } from 'node:net'
import { TributaryError, errorFromJSON } from '@tributary/core'

/**
 * The client/peer wire protocol: length-prefixed frames over TCP, each one request or one
 * response. A frame is `u32 frameBytes | u32 headerBytes | JSON header | raw buffers`; Buffers
 * inside the value are replaced by `{ $b: i }` and sent raw after the header (so record batches
 * are never base64-encoded), TributaryErrors by `{ $e: toJSON() }`.
 *
 * Header: request `{ id, m: method, a: args, b: bufferLengths }`, response `{ id, v: value }` or
 * `{ id, e: error }`. The same format is spoken by @tributary/client's RemoteBroker (a copy of
 * this file lives in packages/client/src/remote/wire.ts; keep them in step).
 */

/** MAX_FRAME_BYTES bounds one frame (a fetch response is bounded by its maxBytes). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024

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

/** FrameReader turns a byte stream into decoded headers. */
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

/**
 * WireConnection is the calling side: one socket to one address, connected lazily, with
 * requests matched to responses by id. A lost connection fails every pending call with a
 * retriable LEADER_NOT_AVAILABLE; the next call reconnects.
 */
export class WireConnection {
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  private nextId = 1
  private closed = false

  constructor(readonly host: string, readonly port: number) {}

  async call(method: string, args: unknown[]): Promise<unknown> {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the connection is closed')
    const socket = await this.connect()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      socket.write(encodeFrame({ id, m: method, a: args }))
    })
  }

  private connect(): Promise<Socket> {
    if (this.socket !== null) return Promise.resolve(this.socket)
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port })
      s.setNoDelay(true)
      const reader = new FrameReader()
      s.once('connect', () => {
        this.socket = s
        this.connecting = null
        resolve(s)
      })
      s.on('data', (chunk) => {
        try {
          reader.push(chunk, (h) => this.settle(h))
        } catch {
          s.destroy()
        }
      })
      s.on('error', () => undefined)
      s.once('close', () => {
        if (this.socket === s) this.socket = null
        if (this.connecting !== null && this.socket === null) {
          this.connecting = null
          reject(this.unreachable())
        }
        for (const p of this.pending.values()) p.reject(this.unreachable())
        this.pending.clear()
      })
    })
    return this.connecting
  }

  private settle(h: WireHeader): void {
    const p = this.pending.get(h.id)
    if (p === undefined) return
    this.pending.delete(h.id)
    if (h.e !== undefined) p.reject(h.e)
    else p.resolve(h.v)
  }

  private unreachable(): TributaryError {
    return new TributaryError('LEADER_NOT_AVAILABLE', `${this.host}:${this.port} cannot be reached`)
  }

  async close(): Promise<void> {
    this.closed = true
    this.socket?.destroy()
  }
}
