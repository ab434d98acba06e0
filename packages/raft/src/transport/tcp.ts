import { createServer, connect, type Server, type Socket } from 'node:net'
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls'
import { isLoggerInput, toLogger, type Logger } from '@tributary/core'
import { checkInt, checkMs, checkObject, invalidConfig, stripUndefined } from '@tributary/core/internal'
import {
  ConnectionGate,
  PEER_NONCE_BYTES,
  PEER_PROOF_BYTES,
  peerNonce,
  peerProof,
  resolveListenerLimits,
  resolveTlsServerOptions,
  verifyPeerProof,
  type ListenerLimits,
  type ResolvedListenerLimits,
  type TlsClientOptions,
  type TlsServerOptions,
} from '@tributary/core/net'
import type { Message, NodeId } from '../core/types'
import { encodedMessageBytes, readMessage, writeMessage } from './codec'
import { checkMessage } from './message-checks'
import type { InboundHandler, Transport } from './transport'

/*
 * Wire format. A connection carries frames in one direction (each node dials its peers), after
 * the peer handshake when a cluster secret is set (see core/net's peer-auth: the acceptor's nonce,
 * the dialer's id, nonce and proof, the acceptor's proof):
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

/** TcpTransportTls turns TLS on: the listener's certificate, and what the dialing side trusts (and presents). */
export interface TcpTransportTls {
  readonly server: TlsServerOptions
  readonly client: TlsClientOptions
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
  /** maxFrameBytes: largest frame accepted from a peer, checked on its length prefix; larger ones close the connection. Default 100 MiB. */
  readonly maxFrameBytes?: number
  /** reconnectMinMs / reconnectMaxMs: exponential reconnect backoff bounds. Defaults 50 ms and 2,000 ms. */
  readonly reconnectMinMs?: number
  readonly reconnectMaxMs?: number
  /** limits: connections, buffered bytes and timeouts of the listener (see ListenerLimits). Default core's LISTENER_LIMIT_DEFAULTS. */
  readonly limits?: ListenerLimits
  /** tls: serve and dial over TLS. Default none. */
  readonly tls?: TcpTransportTls
  /**
   * secret: the cluster secret. With it, every connection starts with an HMAC challenge–response
   * both ways (core/net's peer-auth) and carries messages only from the node it proved to be.
   * Default none (no authentication: bind loopback only).
   */
  readonly secret?: string
  /** isKnownPeer: whether a node id belongs to the cluster; messages from others are refused. Default: the configured peers. */
  readonly isKnownPeer?: (id: NodeId) => boolean
  /** logger: where refused connections and messages are logged. Default core's default logger. */
  readonly logger?: Logger
}

/** TCP_TRANSPORT_DEFAULTS holds the default of every optional scalar TcpTransport option. */
export const TCP_TRANSPORT_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxQueueBytes: 16 * 1024 * 1024,
  maxFrameBytes: 100 * 1024 * 1024,
  reconnectMinMs: 50,
  reconnectMaxMs: 2000,
})

/** ResolvedTcpTransportOptions are the options a TcpTransport runs on. */
export interface ResolvedTcpTransportOptions {
  readonly id: NodeId
  readonly host: string
  readonly port: number
  readonly maxQueueBytes: number
  readonly maxFrameBytes: number
  readonly reconnectMinMs: number
  readonly reconnectMaxMs: number
  readonly limits: ResolvedListenerLimits
  readonly tls: TcpTransportTls | undefined
  readonly secret: string | undefined
  readonly isKnownPeer: ((id: NodeId) => boolean) | undefined
  readonly logger: Logger
}

/** The secret's shortest length: an HMAC key guessable by brute force protects nothing. */
const MIN_SECRET_CHARS = 16
/** A frame this far along is copied into its own buffer as it arrives (see InboundConnection). */
const INCREMENTAL_JOIN_BYTES = 1024 * 1024
/** The handshake's purpose string (see core/net's peer-auth): a proof for the Raft port is worthless elsewhere. */
const PURPOSE = 'raft'
/** The dialer's handshake message: node id, its nonce, its proof. */
const DIALER_HELLO_BYTES = 4 + PEER_NONCE_BYTES + PEER_PROOF_BYTES

/**
 * resolveTcpTransportOptions merges the defaults and checks every option (limits as integers,
 * backoffs within Node's timer limit).
 * @throws TributaryError INVALID_CONFIG with the option's path.
 */
export function resolveTcpTransportOptions(options: TcpTransportOptions): ResolvedTcpTransportOptions {
  const o = checkObject(options, 'options', [
    'id',
    'peers',
    'limits',
    'tls',
    'secret',
    'isKnownPeer',
    'logger',
    ...Object.keys(TCP_TRANSPORT_DEFAULTS),
  ]) as unknown as TcpTransportOptions
  const r = { ...TCP_TRANSPORT_DEFAULTS, ...stripUndefined(o) }
  checkInt(r.id, 'options.id', 1)
  if (typeof r.host !== 'string' || r.host === '') throw invalidConfig('options.host', 'must be a non-empty string')
  checkInt(r.port, 'options.port', 0, 65535)
  checkInt(r.maxQueueBytes, 'options.maxQueueBytes', 1)
  checkInt(r.maxFrameBytes, 'options.maxFrameBytes', 1024)
  checkMs(r.reconnectMinMs, 'options.reconnectMinMs', 1)
  checkMs(r.reconnectMaxMs, 'options.reconnectMaxMs', r.reconnectMinMs)
  const limits = resolveListenerLimits({ maxFrameBytes: r.maxFrameBytes, ...o.limits }, 'options.limits')
  if (o.secret !== undefined && (typeof o.secret !== 'string' || o.secret.length < MIN_SECRET_CHARS))
    throw invalidConfig('options.secret', `must be a string of at least ${MIN_SECRET_CHARS} characters`)
  if (o.tls !== undefined) {
    resolveTlsServerOptions(o.tls?.server, 'options.tls.server')
    if (o.tls.client === null || typeof o.tls.client !== 'object') throw invalidConfig('options.tls.client', 'must be node:tls options')
  }
  if (o.isKnownPeer !== undefined && typeof o.isKnownPeer !== 'function') throw invalidConfig('options.isKnownPeer', 'must be a function')
  if (o.logger !== undefined && !isLoggerInput(o.logger)) throw invalidConfig('options.logger', 'must be a logger')
  return {
    id: r.id as NodeId,
    host: r.host,
    port: r.port,
    maxQueueBytes: r.maxQueueBytes,
    maxFrameBytes: limits.maxFrameBytes,
    reconnectMinMs: r.reconnectMinMs,
    reconnectMaxMs: r.reconnectMaxMs,
    limits,
    tls: o.tls,
    secret: o.secret,
    isKnownPeer: o.isKnownPeer,
    logger: toLogger(o.logger),
  }
}

/**
 * TcpTransport sends Raft messages over TCP (or TLS) with length-prefixed binary frames. Inbound
 * connections are bounded (ListenerLimits: connections in total and per address, frame size on
 * the prefix, buffered bytes over all connections, a frame's arrival time, idle time) and, with a
 * secret, authenticated before any frame is read; every message is checked (checkMessage) before
 * a group sees it. A connection that breaks a rule is closed with one log line.
 */
export class TcpTransport implements Transport {
  private handler: InboundHandler = () => {}
  private readonly peers = new Map<NodeId, Peer>()
  private readonly inbound = new Set<Socket>()
  private readonly gate: ConnectionGate
  private closed = false
  /** Messages dropped because a queue was full (for observability). */
  dropped = 0
  /** Connections and messages refused (for observability and tests). */
  refused = 0

  private constructor(
    readonly options: ResolvedTcpTransportOptions,
    private readonly server: Server,
  ) {
    this.gate = new ConnectionGate(options.limits)
  }

  /** listen opens the server socket; the transport is ready to send and receive when it resolves. */
  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const resolved = resolveTcpTransportOptions(options)
    const server = resolved.tls === undefined ? createServer() : createTlsServer({ ...resolved.tls.server })
    const t = new TcpTransport(resolved, server)
    server.on(resolved.tls === undefined ? 'connection' : 'secureConnection', (s: Socket) => t.accept(s))
    server.on('tlsClientError', (error: Error, s: Socket) =>
      t.options.logger.debug('Raft listener: TLS handshake failed', { error: error.message, remote: s.remoteAddress }),
    )
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

  /** connectionCount is the number of open inbound connections. */
  get connectionCount(): number {
    return this.gate.connections
  }

  /** setPeer adds or moves a peer. */
  setPeer(id: NodeId, addr: PeerAddress): void {
    this.peers.get(id)?.close()
    this.peers.set(id, new Peer(id, addr, this))
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

  /** isKnownPeer tells whether messages from `id` are accepted. */
  isKnownPeer(id: NodeId): boolean {
    return this.options.isKnownPeer?.(id) ?? this.peers.has(id)
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown'
    if (this.closed) return void socket.destroy()
    const admitted = this.gate.admit(address)
    if (!admitted.ok) {
      this.refused++
      this.options.logger.warn('Raft listener refused a connection', { remote: address, reason: admitted.reason })
      return void socket.destroy()
    }
    this.inbound.add(socket)
    socket.setNoDelay(true)
    const conn = new InboundConnection(socket, this, this.gate, (groupId, m) => this.handler(groupId, m))
    socket.on('error', () => socket.destroy())
    socket.once('close', () => {
      this.inbound.delete(socket)
      this.gate.release(address)
      conn.closed()
    })
  }

  /** @internal A connection broke a rule: count and log it. */
  reject(remote: string, reason: string, fields: Record<string, unknown> = {}): void {
    this.refused++
    this.options.logger.warn(`Raft listener closed a connection: ${reason}`, { remote, ...fields })
  }

  async close(): Promise<void> {
    this.closed = true
    for (const p of this.peers.values()) p.close()
    for (const s of this.inbound) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/**
 * InboundConnection reads one peer's connection: the handshake (with a secret), then frames.
 * Frames are collected chunk by chunk and joined once, when complete (linear in their size); a
 * large one (INCREMENTAL_JOIN_BYTES) is copied into its buffer as its chunks arrive instead, so
 * that no single join holds the event loop (a 90 MiB AppendEntries took over a second); the
 * prefix is checked before anything of a frame is buffered, and the bytes held count against the
 * listener's shared budget. A frame must arrive whole within frameTimeoutMs and the connection
 * must not stay silent for idleTimeoutMs (slowloris, abandoned sockets).
 */
class InboundConnection {
  private readonly remote: string
  private state: 'auth' | 'open' | 'closed'
  private authenticatedAs: number | undefined
  private nonceA: Buffer | null = null
  private hello = Buffer.alloc(0)
  private chunks: Buffer[] = []
  private buffered = 0
  /** Bytes (prefix included) of the frame being collected; -1 until its prefix is in. */
  private frameBytes = -1
  /** A large frame's buffer (prefix included), filled as its chunks arrive; null while none is. */
  private target: Buffer | null = null
  private targetFilled = 0
  private reserved = 0
  private frameTimer: NodeJS.Timeout | null = null
  private idleTimer: NodeJS.Timeout | null = null
  private authTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly socket: Socket,
    private readonly owner: TcpTransport,
    private readonly gate: ConnectionGate,
    private readonly deliver: InboundHandler,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`
    const { secret, limits } = owner.options
    this.state = secret === undefined ? 'open' : 'auth'
    if (secret !== undefined) {
      this.nonceA = peerNonce()
      socket.write(this.nonceA)
      this.authTimer = setTimeout(() => this.fail('not authenticated in time'), limits.authenticationTimeoutMs)
    }
    this.touch()
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return
    this.touch()
    if (this.state === 'auth') {
      const need = DIALER_HELLO_BYTES - this.hello.byteLength
      this.hello = Buffer.concat([this.hello, chunk.subarray(0, need)])
      if (this.hello.byteLength < DIALER_HELLO_BYTES) return
      if (!this.authenticate()) return
      chunk = chunk.subarray(need)
      if (chunk.byteLength === 0) return
    }
    this.onFrameBytes(chunk)
  }

  /** authenticate checks the dialer's proof and answers with ours. */
  private authenticate(): boolean {
    const secret = this.owner.options.secret as string
    const id = this.hello.readUInt32BE(0)
    const nonceD = this.hello.subarray(4, 4 + PEER_NONCE_BYTES)
    const proof = this.hello.subarray(4 + PEER_NONCE_BYTES)
    const nonceA = this.nonceA as Buffer
    if (!verifyPeerProof(proof, secret, 'dialer', PURPOSE, nonceA, nonceD, id) || !this.owner.isKnownPeer(id)) {
      this.fail('peer authentication failed', { claimedNodeId: id })
      return false
    }
    if (this.authTimer !== null) clearTimeout(this.authTimer)
    this.socket.write(peerProof(secret, 'acceptor', PURPOSE, nonceA, nonceD, id))
    this.authenticatedAs = id
    this.state = 'open'
    return true
  }

  private onFrameBytes(chunk: Buffer): void {
    const { maxFrameBytes, frameTimeoutMs } = this.owner.options.limits
    if (!this.gate.reserve(chunk.byteLength)) return this.fail('the listener holds too many bytes of incomplete frames')
    this.reserved += chunk.byteLength
    let more = chunk
    if (this.target !== null) {
      const take = Math.min(chunk.byteLength, this.frameBytes - this.targetFilled)
      this.target.set(chunk.subarray(0, take), this.targetFilled)
      this.targetFilled += take
      this.buffered += take
      more = chunk.subarray(take)
      if (this.targetFilled === this.frameBytes) {
        const frame = this.target.subarray(4)
        this.target = null
        this.targetFilled = 0
        this.buffered = 0
        this.frameBytes = -1
        if (!this.onFrame(frame)) return
      }
    }
    if (more.byteLength > 0) {
      this.chunks.push(more)
      this.buffered += more.byteLength
    }
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.buffered < 4) break
        const len = this.head().readUInt32LE(0)
        if (len > maxFrameBytes) return this.fail('frame over maxFrameBytes', { frameBytes: len, maxFrameBytes })
        this.frameBytes = 4 + len
      }
      if (this.buffered < this.frameBytes) {
        if (this.target === null && this.buffered >= INCREMENTAL_JOIN_BYTES) {
          this.target = Buffer.allocUnsafe(this.frameBytes)
          for (const c of this.chunks) {
            this.target.set(c, this.targetFilled)
            this.targetFilled += c.byteLength
          }
          this.chunks = []
        }
        break
      }
      const all = this.head()
      const frame = all.subarray(4, this.frameBytes)
      const rest = all.subarray(this.frameBytes)
      this.chunks = rest.byteLength > 0 ? [rest] : []
      this.buffered = rest.byteLength
      this.frameBytes = -1
      if (!this.onFrame(frame)) return
    }
    this.gate.unreserve(this.reserved - this.buffered)
    this.reserved = this.buffered
    // A frame begun must arrive whole in time: a peer trickling bytes cannot hold the connection.
    if (this.buffered > 0 && this.frameTimer === null)
      this.frameTimer = setTimeout(() => this.fail('a frame did not arrive in time', { frameTimeoutMs }), frameTimeoutMs)
    else if (this.buffered === 0 && this.frameTimer !== null) {
      clearTimeout(this.frameTimer)
      this.frameTimer = null
    }
  }

  /** onFrame decodes and checks every message of a frame before any is delivered; false when the connection was closed. */
  private onFrame(frame: Buffer): boolean {
    const records: Array<{ groupId: string; message: Message }> = []
    try {
      let pos = 4
      const count = frame.readUInt32LE(0)
      for (let i = 0; i < count; i++) {
        const len = frame.readUInt16LE(pos)
        if (pos + 2 + len > frame.byteLength) throw new RangeError('truncated group id')
        const groupId = frame.toString('utf8', pos + 2, pos + 2 + len)
        const { message, end } = readMessage(frame, pos + 2 + len)
        pos = end
        const why = checkMessage(message, {
          self: this.owner.options.id,
          isKnownPeer: (id) => this.owner.isKnownPeer(id),
          authenticatedAs: this.authenticatedAs,
        })
        if (why !== null) {
          this.fail(`refused a Raft message: ${why}`, { group: groupId, type: message.type, from: message.from, term: message.term })
          return false
        }
        records.push({ groupId, message })
      }
      if (pos !== frame.byteLength) throw new RangeError('trailing bytes after the last message')
    } catch (error) {
      this.fail('malformed frame', { error: (error as Error).message })
      return false
    }
    for (const r of records) this.deliver(r.groupId, r.message)
    return true
  }

  /** head joins the buffered chunks into one (a no-op when there is one). */
  private head(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)]
    return this.chunks[0] as Buffer
  }

  private touch(): void {
    const { idleTimeoutMs } = this.owner.options.limits
    if (this.idleTimer !== null) this.idleTimer.refresh()
    else this.idleTimer = setTimeout(() => this.fail('idle', { idleTimeoutMs }), idleTimeoutMs)
  }

  private fail(reason: string, fields: Record<string, unknown> = {}): void {
    if (this.state === 'closed') return
    this.owner.reject(this.remote, reason, fields)
    this.socket.destroy()
    this.closed()
  }

  /** closed releases what the connection held (its timers, its share of the buffer budget). */
  closed(): void {
    this.state = 'closed'
    for (const t of [this.frameTimer, this.idleTimer, this.authTimer]) if (t !== null) clearTimeout(t)
    this.gate.unreserve(this.reserved)
    this.reserved = 0
    this.chunks = []
    this.buffered = 0
    this.target = null
    this.targetFilled = 0
  }
}

/**
 * Peer is the outbound side towards one node: a bounded queue, one socket, reconnect with
 * backoff. With a secret, nothing is sent before the handshake proved both sides (the acceptor
 * proves it holds the secret too, so a node that is not the cluster's receives nothing).
 */
class Peer {
  private socket: Socket | undefined
  private connected = false
  private handshake = Buffer.alloc(0)
  private nonceD: Buffer | null = null
  private queue: Buffer[] = []
  private queuedBytes = 0
  private flushScheduled = false
  private backoffMs: number
  private retryTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly id: NodeId,
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
    const { tls, secret } = this.owner.options
    const socket =
      tls === undefined
        ? connect(this.addr.port, this.addr.host)
        : tlsConnect({ host: this.addr.host, port: this.addr.port, ...tls.client })
    socket.setNoDelay(true)
    this.socket = socket
    this.handshake = Buffer.alloc(0)
    this.nonceD = null
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => {
      if (secret === undefined) this.opened()
    })
    socket.on('data', (chunk: Buffer) => {
      if (secret !== undefined && !this.connected) this.onHandshake(socket, chunk, secret)
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.onClose(socket))
  }

  private opened(): void {
    this.connected = true
    this.backoffMs = this.owner.options.reconnectMinMs
    this.flush()
  }

  /** onHandshake answers the acceptor's nonce with our proof, then checks the acceptor's. */
  private onHandshake(socket: Socket, chunk: Buffer, secret: string): void {
    this.handshake = Buffer.concat([this.handshake, chunk])
    const selfId = this.owner.options.id
    if (this.nonceD === null) {
      if (this.handshake.byteLength < PEER_NONCE_BYTES) return
      const nonceA = this.handshake.subarray(0, PEER_NONCE_BYTES)
      this.nonceD = peerNonce()
      const hello = Buffer.alloc(4)
      hello.writeUInt32BE(selfId)
      socket.write(Buffer.concat([hello, this.nonceD, peerProof(secret, 'dialer', PURPOSE, nonceA, this.nonceD, selfId)]))
    }
    if (this.handshake.byteLength < PEER_NONCE_BYTES + PEER_PROOF_BYTES) return
    const nonceA = this.handshake.subarray(0, PEER_NONCE_BYTES)
    const proof = this.handshake.subarray(PEER_NONCE_BYTES, PEER_NONCE_BYTES + PEER_PROOF_BYTES)
    if (!verifyPeerProof(proof, secret, 'acceptor', PURPOSE, nonceA, this.nonceD, selfId)) {
      this.owner.reject(`${this.addr.host}:${this.addr.port}`, 'the node at a peer address did not prove the cluster secret', {
        nodeId: this.id,
      })
      socket.destroy()
      return
    }
    this.opened()
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
    // One vectored write, no copy: a large AppendEntries is not joined into fresh memory first.
    this.socket.cork()
    this.socket.write(header)
    for (const m of this.queue) this.socket.write(m)
    this.socket.uncork()
    this.queue = []
    this.queuedBytes = 0
  }

  close(): void {
    this.closed = true
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.socket?.destroy()
  }
}
