import { createServer, connect, type Server, type Socket } from 'node:net'
import { checkInt, checkMs, checkObject, invalidConfig, stripUndefined } from '@tributary/core/internal'
import type { Message, NodeId } from '../core/types'
import { encodedMessageBytes, readMessage, writeMessage } from './codec'
import type { InboundHandler, Transport } from './transport'

/*
 * Wire format. A connection carries frames in one direction (each node dials its peers):
 *   frame  = u32 byteLength (of what follows) | u32 recordCount | record*
 *   record = u16 groupIdBytes | groupId (utf-8) | message (see codec.ts)
 * Everything queued for one peer during one event-loop turn goes out as one frame, so the
 * heartbeats of many groups between the same two nodes share a frame and a syscall.
 */

/** PeerAddress is where a peer listens. */
export interface PeerAddress {
  readonly host: string
  readonly port: number
}

/** TcpTransportOptions configures a TcpTransport; every limit has a finite default. */
export interface TcpTransportOptions {
  readonly id: NodeId
  /** host to listen on. Default '127.0.0.1'. */
  readonly host?: string
  /** port to listen on; 0 picks an ephemeral port. Default 0. */
  readonly port?: number
  readonly peers?: Readonly<Record<number, PeerAddress>>
  /** maxQueueBytes: bytes queued per peer (while disconnected or slow) before messages are dropped. Default 16 MiB. */
  readonly maxQueueBytes?: number
  /** maxFrameBytes: largest frame accepted from a peer; larger ones close the connection. Default 256 MiB. */
  readonly maxFrameBytes?: number
  /** reconnectMinMs / reconnectMaxMs: exponential reconnect backoff bounds. Defaults 50 ms and 2,000 ms. */
  readonly reconnectMinMs?: number
  readonly reconnectMaxMs?: number
}

/** TCP_TRANSPORT_DEFAULTS holds the default of every optional TcpTransport option. */
export const TCP_TRANSPORT_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxQueueBytes: 16 * 1024 * 1024,
  maxFrameBytes: 256 * 1024 * 1024,
  reconnectMinMs: 50,
  reconnectMaxMs: 2000,
})

/**
 * resolveTcpTransportOptions merges the defaults and checks every option (limits as integers,
 * backoffs within Node's timer limit).
 * @throws TributaryError INVALID_CONFIG with the option's path.
 */
export function resolveTcpTransportOptions(options: TcpTransportOptions): Required<Omit<TcpTransportOptions, 'peers'>> {
  const o = checkObject(options, 'options', ['id', 'peers', ...Object.keys(TCP_TRANSPORT_DEFAULTS)])
  const r = { ...TCP_TRANSPORT_DEFAULTS, ...stripUndefined(o) } as Required<TcpTransportOptions>
  checkInt(r.id, 'options.id', 1)
  if (typeof r.host !== 'string' || r.host === '') throw invalidConfig('options.host', 'must be a non-empty string')
  checkInt(r.port, 'options.port', 0, 65535)
  checkInt(r.maxQueueBytes, 'options.maxQueueBytes', 1)
  checkInt(r.maxFrameBytes, 'options.maxFrameBytes', 1)
  checkMs(r.reconnectMinMs, 'options.reconnectMinMs', 1)
  checkMs(r.reconnectMaxMs, 'options.reconnectMaxMs', r.reconnectMinMs)
  const { peers: _, ...resolved } = r
  return resolved
}

/** TcpTransport sends Raft messages over TCP with length-prefixed binary frames. */
export class TcpTransport implements Transport {
  private handler: InboundHandler = () => {}
  private readonly peers = new Map<NodeId, Peer>()
  private readonly inbound = new Set<Socket>()
  private closed = false
  /** Messages dropped because a queue was full (for observability). */
  dropped = 0

  private constructor(
    readonly options: Required<Omit<TcpTransportOptions, 'peers'>>,
    private readonly server: Server,
  ) {}

  /** listen opens the server socket; the transport is ready to send and receive when it resolves. */
  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const resolved = resolveTcpTransportOptions(options)
    const server = createServer()
    const t = new TcpTransport(resolved, server)
    server.on('connection', (s) => t.accept(s))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(resolved.port, resolved.host, () => resolve())
    })
    for (const [id, addr] of Object.entries(options.peers ?? {})) t.setPeer(Number(id), addr)
    return t
  }

  /** port is the port actually bound (useful with port 0). */
  get port(): number {
    const addr = this.server.address()
    return typeof addr === 'object' && addr !== null ? addr.port : 0
  }

  /** setPeer adds or moves a peer. */
  setPeer(id: NodeId, addr: PeerAddress): void {
    this.peers.get(id)?.close()
    this.peers.set(id, new Peer(addr, this))
  }

  send(groupId: string, message: Message): void {
    if (this.closed) return
    const peer = this.peers.get(message.to)
    if (peer === undefined) return
    const gid = Buffer.from(groupId, 'utf8')
    const record = Buffer.allocUnsafe(2 + gid.byteLength + encodedMessageBytes(message))
    record.writeUInt16LE(gid.byteLength, 0)
    gid.copy(record, 2)
    writeMessage(message, record, 2 + gid.byteLength)
    if (!peer.enqueue(record)) this.dropped++
  }

  onMessage(handler: InboundHandler): void {
    this.handler = handler
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true)
    this.inbound.add(socket)
    const reader = new FrameReader(this.options.maxFrameBytes, (frame) => this.onFrame(frame))
    socket.on('data', (chunk: Buffer) => {
      if (!reader.push(chunk)) socket.destroy()
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.inbound.delete(socket))
  }

  private onFrame(frame: Buffer): void {
    let pos = 4
    const count = frame.readUInt32LE(0)
    for (let i = 0; i < count; i++) {
      const len = frame.readUInt16LE(pos)
      const groupId = frame.toString('utf8', pos + 2, pos + 2 + len)
      const { message, end } = readMessage(frame, pos + 2 + len)
      pos = end
      this.handler(groupId, message)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const p of this.peers.values()) p.close()
    for (const s of this.inbound) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/**
 * FrameReader splits a byte stream into frames; returns false on a frame over the limit. Chunks
 * of a large frame are kept as they arrive and joined once, when the frame is complete (joining
 * on every chunk would copy a frame of n chunks n times).
 */
class FrameReader {
  private chunks: Buffer[] = []
  private buffered = 0
  /** Bytes (header included) of the frame being collected; -1 until its header is in. */
  private frameBytes = -1
  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {}

  push(chunk: Buffer): boolean {
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.buffered < 4) return true
        const len = this.head().readUInt32LE(0)
        if (len > this.maxFrameBytes) return false
        this.frameBytes = 4 + len
      }
      if (this.buffered < this.frameBytes) return true
      const all = this.head()
      const frame = all.subarray(4, this.frameBytes)
      const rest = all.subarray(this.frameBytes)
      this.chunks = rest.byteLength > 0 ? [rest] : []
      this.buffered = rest.byteLength
      this.frameBytes = -1
      try {
        this.onFrame(frame)
      } catch {
        return false // a corrupt frame: drop the connection, the peer will reconnect
      }
    }
  }

  /** head joins the buffered chunks into one (a no-op when there is one). */
  private head(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)]
    return this.chunks[0] as Buffer
  }
}

/** Peer is the outbound side towards one node: a bounded queue, one socket, reconnect with backoff. */
class Peer {
  private socket: Socket | undefined
  private connected = false
  private queue: Buffer[] = []
  private queuedBytes = 0
  private flushScheduled = false
  private backoffMs: number
  private retryTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly addr: PeerAddress,
    private readonly owner: TcpTransport,
  ) {
    this.backoffMs = owner.options.reconnectMinMs
  }

  enqueue(record: Buffer): boolean {
    const pending = this.queuedBytes + (this.socket?.writableLength ?? 0)
    if (pending + record.byteLength > this.owner.options.maxQueueBytes) return false
    this.queue.push(record)
    this.queuedBytes += record.byteLength
    if (this.socket === undefined && this.retryTimer === undefined) this.dial()
    else if (this.connected && !this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.flush())
    }
    return true
  }

  private dial(): void {
    if (this.closed) return
    const socket = connect(this.addr.port, this.addr.host)
    socket.setNoDelay(true)
    this.socket = socket
    socket.on('connect', () => {
      this.connected = true
      this.backoffMs = this.owner.options.reconnectMinMs
      this.flush()
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.onClose(socket))
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return
    this.socket = undefined
    this.connected = false
    if (this.closed) return
    // Messages queued for a dead connection are stale by the time it is back; Raft resends.
    this.queue = []
    this.queuedBytes = 0
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (this.queuedBytes > 0 || !this.closed) this.dial()
    }, this.backoffMs)
    this.retryTimer.unref()
    this.backoffMs = Math.min(this.backoffMs * 2, this.owner.options.reconnectMaxMs)
  }

  private flush(): void {
    this.flushScheduled = false
    if (!this.connected || this.socket === undefined || this.queue.length === 0) return
    const header = Buffer.allocUnsafe(8)
    header.writeUInt32LE(4 + this.queuedBytes, 0)
    header.writeUInt32LE(this.queue.length, 4)
    this.socket.write(Buffer.concat([header, ...this.queue]))
    this.queue = []
    this.queuedBytes = 0
  }

  close(): void {
    this.closed = true
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.socket?.destroy()
  }
}
