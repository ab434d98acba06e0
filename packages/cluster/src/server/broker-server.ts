import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { TributaryError, type Broker, type Logger } from '@tributary/core'
import { FrameReader, dispatchBrokerCall, encodeFrameChunks, type WireHeader } from '@tributary/core/internal'
import {
  ANONYMOUS_PRINCIPAL,
  ConnectionGate,
  authorizeCall,
  filterResult,
  restrictArgs,
  peerNonce,
  peerProof,
  SaslSession,
  verifyPeerProof,
  type CredentialStore,
} from '@tributary/core/net'
import type { ResolvedClusterSecurity } from '../security'
import { BROKER_ARGS, checkArgs } from './call-checks'
import type { PeerHandler } from './peer-channel'

/** PEER_PURPOSE separates the client port's peer handshake from the Raft port's (see core/net's peer-auth). */
export const PEER_PURPOSE = 'peer-rpc'
/** Methods a connection may call before it authenticated. */
const HANDSHAKE_METHODS = new Set(['$hello', '$peer:auth', '$sasl:handshake', '$sasl:authenticate', '$cancel'])
/** Headroom left in a response frame beside the batches of a fetch (its JSON header); a quarter of a smaller frame. */
const FETCH_HEADROOM_BYTES = 1024 * 1024

/**
 * BrokerServer serves the wire protocol (see core's wire-frames.ts) on a node's listen address:
 * Broker calls from remote clients (@tributary/client's RemoteBroker), and `peer:`-prefixed calls
 * forwarded by other nodes. Requests on one connection run concurrently (a long-polling fetch does
 * not hold up a produce); `$cancel` with a fetch's request id ends that fetch early.
 *
 * Safety (ARCHITECTURE.md, "Safety on the network"):
 * - TLS when configured; the limits of `security.limits` on every connection (connections per
 *   listener and per address, frame size on the prefix, bytes buffered over all connections,
 *   requests in flight, idle, frame and authentication timeouts);
 * - peers prove the cluster secret (`$hello`, `$peer:auth`) before any `peer:` call is served;
 *   with SASL configured, clients authenticate (`$sasl:handshake`, `$sasl:authenticate`) before any
 *   Broker call; the ACL then decides what each principal may do;
 * - every call's arguments are checked against its declared shape before it runs, and a failure
 *   that is not a TributaryError is logged and answered INVALID_REQUEST, never passed on as an
 *   unknown server error; a frame that cannot be read closes its connection with a log line.
 */
export class BrokerServer {
  private readonly connections = new Set<ServerConnection>()
  private readonly gate: ConnectionGate

  private constructor(
    private readonly server: Server,
    readonly broker: Broker,
    readonly peer: PeerHandler,
    readonly security: ResolvedClusterSecurity,
    readonly credentials: CredentialStore | null,
    readonly logger: Logger,
  ) {
    this.gate = new ConnectionGate(security.limits)
    server.on(security.tls === undefined ? 'connection' : 'secureConnection', (s: Socket) => this.accept(s))
    server.on('tlsClientError', (error: Error, s: Socket) =>
      logger.debug('client port: TLS handshake failed', { error: error.message, remote: s.remoteAddress }),
    )
  }

  /** listen binds the client port. @throws Error from the socket when the address cannot be bound. */
  static async listen(
    broker: Broker,
    peer: PeerHandler,
    host: string,
    port: number,
    security: ResolvedClusterSecurity,
    credentials: CredentialStore | null,
    logger: Logger,
  ): Promise<BrokerServer> {
    const server = security.tls === undefined ? createServer() : createTlsServer({ ...security.tls.server })
    const bs = new BrokerServer(server, broker, peer, security, credentials, logger)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    return bs
  }

  get port(): number {
    const a = this.server.address()
    return typeof a === 'object' && a !== null ? a.port : 0
  }

  /** connectionCount is the number of open connections. */
  get connectionCount(): number {
    return this.gate.connections
  }

  private accept(s: Socket): void {
    const address = s.remoteAddress ?? 'unknown'
    const admitted = this.gate.admit(address)
    if (!admitted.ok) {
      this.logger.warn('client port refused a connection', { remote: address, reason: admitted.reason })
      return void s.destroy()
    }
    const c = new ServerConnection(s, this, this.gate)
    this.connections.add(c)
    s.once('close', () => {
      this.connections.delete(c)
      this.gate.release(address)
      c.closed()
    })
  }

  /** @internal The largest fetch response this listener sends (within its frame limit). */
  get maxFetchBytes(): number {
    const { maxFrameBytes } = this.security.limits
    return maxFrameBytes - Math.min(FETCH_HEADROOM_BYTES, Math.floor(maxFrameBytes / 4))
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** ServerConnection is one connection to the client port: its frames, its identity and its bounds. */
class ServerConnection {
  private readonly reader: FrameReader
  private readonly remote: string
  private readonly log: Logger
  /** Long-polling fetches of this connection by request id, so that a `$cancel` can end one. */
  private readonly fetches = new Map<number, AbortController>()
  private inFlight = 0
  private reserved = 0
  private paused = false
  private done = false
  private nonce: Buffer | null = null
  private sasl: SaslSession | null = null
  /** The SASL principal (or ANONYMOUS without SASL), once known. */
  private principal: string | null
  /** The node this connection proved to be, once it did. */
  private peerId: number | null = null
  private frameTimer: NodeJS.Timeout | null = null
  private idleTimer: NodeJS.Timeout | null = null
  private authTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly s: Socket,
    private readonly server: BrokerServer,
    private readonly gate: ConnectionGate,
  ) {
    this.remote = `${s.remoteAddress}:${s.remotePort}`
    this.log = server.logger
    const { limits, sasl } = server.security
    this.reader = new FrameReader(limits.maxFrameBytes)
    this.principal = sasl === undefined ? ANONYMOUS_PRINCIPAL : null
    s.setNoDelay(true)
    s.on('data', (chunk: Buffer) => this.onData(chunk))
    s.on('drain', () => this.updateReading())
    s.on('error', () => undefined)
    this.touch()
    if (sasl !== undefined)
      this.authTimer = setTimeout(() => {
        if (this.principal === null && this.peerId === null)
          this.fail('not authenticated in time', { authenticationTimeoutMs: limits.authenticationTimeoutMs })
      }, limits.authenticationTimeoutMs)
  }

  private onData(chunk: Buffer): void {
    if (this.done) return
    this.touch()
    try {
      this.reader.push(chunk, (h) => void this.serve(h))
    } catch (error) {
      return this.fail('bad frame', { error: (error as Error).message })
    }
    // The bytes of an incomplete frame count against the listener's shared budget.
    const held = this.reader.bufferedBytes
    if (held > this.reserved) {
      if (!this.gate.reserve(held - this.reserved))
        return this.fail('the listener holds too many bytes of incomplete frames', { bufferedBytes: held })
    } else if (held < this.reserved) this.gate.unreserve(this.reserved - held)
    this.reserved = held
    this.armFrameTimer(held > 0)
  }

  /** armFrameTimer: a frame once begun must arrive whole within frameTimeoutMs (slowloris). */
  private armFrameTimer(partial: boolean): void {
    const { frameTimeoutMs } = this.server.security.limits
    if (partial && this.frameTimer === null)
      this.frameTimer = setTimeout(() => this.fail('a frame did not arrive in time', { frameTimeoutMs }), frameTimeoutMs)
    else if (!partial && this.frameTimer !== null) {
      clearTimeout(this.frameTimer)
      this.frameTimer = null
    }
  }

  private touch(): void {
    const { idleTimeoutMs } = this.server.security.limits
    if (this.idleTimer !== null) return void this.idleTimer.refresh()
    this.idleTimer = setTimeout(() => this.onIdle(), idleTimeoutMs)
  }

  private onIdle(): void {
    // A long poll in flight is not idleness: look again later.
    if (this.inFlight > 0) return void this.idleTimer?.refresh()
    this.fail('idle', { idleTimeoutMs: this.server.security.limits.idleTimeoutMs }, 'debug')
  }

  /** updateReading stops reading while too many requests are in flight or replies back up. */
  private updateReading(): void {
    if (this.done) return
    const { maxInFlightRequests, maxFrameBytes } = this.server.security.limits
    const want = this.inFlight < maxInFlightRequests && this.s.writableLength < maxFrameBytes
    if (want === !this.paused) return
    this.paused = !want
    if (want) this.s.resume()
    else this.s.pause()
  }

  private async serve(h: WireHeader): Promise<void> {
    const method = h.m ?? ''
    // `$cancel` ends a long-polling fetch early (the client's AbortSignal); it has no answer.
    if (method === '$cancel') return void this.fetches.get(Number((h.a as unknown[])?.[0]))?.abort()
    this.inFlight++
    this.updateReading()
    // JSON has no undefined: a null argument means "not given", so the method's defaults apply.
    const args = (Array.isArray(h.a) ? h.a : []).map((a: unknown) => (a === null ? undefined : a))
    let reply: WireHeader
    let closeAfter: string | null = null
    try {
      reply = { id: h.id, v: await this.call(h.id, method, args) }
    } catch (error) {
      if (error instanceof TributaryError) {
        reply = { id: h.id, e: error }
        if (error.code === 'SASL_AUTHENTICATION_FAILED' || error.code === 'CLUSTER_AUTHORIZATION_FAILED') closeAfter = error.message
      } else {
        // A bug reached by this request's input, or an input no check caught: logged whole, answered as a bad request.
        this.log.error(`client port: ${method} failed unexpectedly`, {
          remote: this.remote,
          error: String(error),
          stack: (error as Error)?.stack,
        })
        reply = {
          id: h.id,
          e: new TributaryError('INVALID_REQUEST', `${method} could not be served: ${(error as Error)?.message ?? error}`),
        }
      }
    } finally {
      this.inFlight--
    }
    this.write(reply)
    if (closeAfter !== null) this.fail(closeAfter, {}, 'warn', true)
    this.updateReading()
  }

  private write(reply: WireHeader): void {
    if (this.done || this.s.destroyed) return
    const chunks = encodeFrameChunks(reply)
    this.s.cork()
    for (const c of chunks) this.s.write(c)
    this.s.uncork()
  }

  /** call authenticates, checks and runs one request. */
  private async call(id: number, method: string, sent: unknown[]): Promise<unknown> {
    let args = sent
    if (HANDSHAKE_METHODS.has(method)) return this.handshake(method, args)
    if (method.startsWith('peer:')) {
      if (this.server.security.clusterSecret !== undefined && this.peerId === null)
        throw new TributaryError('CLUSTER_AUTHORIZATION_FAILED', `${method} needs a connection authenticated as a cluster peer`)
      if (method === 'peer:fetch') this.capFetch(args)
      return this.server.peer(method.slice(5), args, { peerId: this.peerId ?? undefined })
    }
    const kinds = BROKER_ARGS[method]
    if (kinds === undefined) throw new TributaryError('INVALID_REQUEST', `unknown method ${method.slice(0, 100)}`)
    const principal = this.principal
    if (principal === null && this.peerId === null)
      throw new TributaryError('SASL_AUTHENTICATION_FAILED', `${method} before SASL authentication`)
    checkArgs(method, args, kinds)
    if (principal !== null) {
      authorizeCall(this.server.security.acl, principal, method, args)
      args = restrictArgs(this.server.security.acl, principal, method, args)
    }
    if ((method === 'metadata' || method === 'listGroups') && principal !== null)
      return filterResult(this.server.security.acl, principal, method, args, await dispatchBrokerCall(this.server.broker, method, args))
    if (method !== 'fetch') return dispatchBrokerCall(this.server.broker, method, args)
    this.capFetch(args)
    const controller = new AbortController()
    this.fetches.set(id, controller)
    args[0] = { ...(args[0] as object), signal: controller.signal }
    try {
      return await dispatchBrokerCall(this.server.broker, method, args)
    } finally {
      this.fetches.delete(id)
    }
  }

  /**
   * capFetch cuts a fetch's byte limits to what fits in one response frame of this listener, so
   * that no valid option makes a fetch impossible (the broker still answers at least one batch).
   * Values that are not numbers are left for the broker's own checks to refuse.
   */
  private capFetch(args: unknown[]): void {
    const request = args[0] as { maxBytes?: unknown; partitions?: unknown } | undefined
    if (request === null || typeof request !== 'object') return
    const cap = this.server.maxFetchBytes
    const capped: Record<string, unknown> = { ...request }
    if (typeof request.maxBytes === 'number' && request.maxBytes > cap) capped.maxBytes = cap
    if (request.maxBytes === undefined) capped.maxBytes = Math.min(cap, 52_428_800)
    if (Array.isArray(request.partitions))
      capped.partitions = request.partitions.map((p: unknown) =>
        p !== null &&
        typeof p === 'object' &&
        typeof (p as { maxBytes?: unknown }).maxBytes === 'number' &&
        (p as { maxBytes: number }).maxBytes > cap
          ? { ...(p as object), maxBytes: cap }
          : p,
      )
    args[0] = capped
  }

  /** handshake serves the calls that come before authentication. */
  private async handshake(method: string, args: unknown[]): Promise<unknown> {
    const { security, credentials } = this.server
    switch (method) {
      case '$hello':
        this.nonce ??= peerNonce()
        return { nonce: this.nonce, mechanisms: security.sasl?.mechanisms ?? [], peerAuth: security.clusterSecret !== undefined }
      case '$peer:auth': {
        const [nodeId, nonceD, proof] = args
        const secret = security.clusterSecret
        if (secret === undefined) throw new TributaryError('SECURITY_DISABLED', 'this node has no cluster secret')
        if (this.nonce === null || !Number.isSafeInteger(nodeId) || !Buffer.isBuffer(nonceD) || !Buffer.isBuffer(proof))
          throw new TributaryError('CLUSTER_AUTHORIZATION_FAILED', 'peer authentication needs $hello, then [nodeId, nonce, proof]')
        if (!verifyPeerProof(proof, secret, 'dialer', PEER_PURPOSE, this.nonce, nonceD, nodeId as number))
          throw new TributaryError('CLUSTER_AUTHORIZATION_FAILED', `node ${nodeId} did not prove the cluster secret`)
        this.peerId = nodeId as number
        this.authenticated()
        return { proof: peerProof(secret, 'acceptor', PEER_PURPOSE, this.nonce, nonceD, nodeId as number) }
      }
      case '$sasl:handshake': {
        if (security.sasl === undefined || credentials === null) throw new TributaryError('SECURITY_DISABLED', 'this node has no SASL')
        this.sasl ??= new SaslSession(security.sasl.mechanisms, credentials, security.sasl.scramIterations)
        this.sasl.handshake(String(args[0]), 1)
        return { mechanisms: this.sasl.offered }
      }
      case '$sasl:authenticate': {
        if (this.sasl === null) throw new TributaryError('ILLEGAL_SASL_STATE', 'SASL tokens before $sasl:handshake')
        const token = args[0]
        if (!Buffer.isBuffer(token)) throw new TributaryError('SASL_AUTHENTICATION_FAILED', 'a SASL token must be bytes')
        const step = await this.sasl.step(token)
        if (this.sasl.authenticated) {
          this.principal = this.sasl.principal
          this.authenticated()
        }
        return { token: step.response, done: step.done }
      }
      default:
        throw new TributaryError('INVALID_REQUEST', `unknown method ${method}`)
    }
  }

  private authenticated(): void {
    if (this.authTimer !== null) clearTimeout(this.authTimer)
    this.authTimer = null
    this.log.debug('client port: authenticated', { remote: this.remote, principal: this.principal, peer: this.peerId })
  }

  /** fail closes the connection (after what was written, when graceful) with one log line. */
  private fail(reason: string, fields: Record<string, unknown> = {}, level: 'warn' | 'debug' = 'warn', graceful = false): void {
    if (this.done) return
    this.log[level](`client port closed a connection: ${reason}`, { remote: this.remote, ...fields })
    if (graceful) {
      this.done = true
      this.s.end(() => this.s.destroy())
    } else this.destroy()
  }

  destroy(): void {
    this.done = true
    this.s.destroy()
  }

  /** closed releases what the connection held. */
  closed(): void {
    this.done = true
    for (const t of [this.frameTimer, this.idleTimer, this.authTimer]) if (t !== null) clearTimeout(t)
    for (const c of this.fetches.values()) c.abort()
    this.gate.unreserve(this.reserved)
    this.reserved = 0
  }
}
