import { connect, type Socket } from 'node:net'
import { TributaryError } from '@tributary/core'
import { FrameReader, MAX_FRAME_BYTES, encodeFrame, type WireHeader } from '@tributary/core/internal'

/**
 * The client/peer wire protocol over TCP. The frame codec lives in @tributary/core
 * (`wire-frames.ts`), shared with @tributary/client's RemoteBroker; this file adds the calling
 * side that nodes use to reach each other.
 */

export { MAX_FRAME_BYTES, encodeFrame, FrameReader, type WireHeader }

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

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

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
