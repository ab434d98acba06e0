import type { Socket } from 'node:net'
import { type Broker, type Logger, TributaryError, withFields } from '@tributary/core'
import { ANONYMOUS_PRINCIPAL, type AclOperation, guardBroker } from '@tributary/core/net'
import { FRAME_SIZE_BYTES, FrameDecoder, writeFrameSize } from '../codec/frame'
import { isKafkaProtocolError } from '../codec/errors'
import type { ApiKey } from '../messages'
import { type KafkaRequest, decodeRequest, decodeRequestHeader, encodeResponse, encodeResponseChunks } from '../protocol'
import type { ConnectionInfo, RequestContext, ServerContext } from './context'
import { SaslSession } from './sasl/sasl-session'
import { NO_RESPONSE, type ServedApi } from './served-api'

/*
 * One client connection. Bytes become frames (FrameDecoder: the size prefix is checked against
 * maxRequestBytes before anything is buffered, and a frame is joined once, when complete); each
 * frame takes a slot in arrival order; slots are answered strictly in that order, whatever order
 * their handlers finish in, because Kafka clients match responses to requests by position
 * (kafka-python raises on any reordering).
 *
 * Handlers run one at a time, as Kafka runs a connection's requests, except the pipelined ones
 * (Produce, Fetch: see ServedApi.pipelined), which let the next request start while they wait.
 * At most maxInFlightPerConnection requests are held (received, not yet answered): beyond that, and
 * while the socket's write buffer is full, the socket is not read, so a client that sends faster
 * than it reads is slowed by TCP rather than growing our memory.
 *
 * A malformed or truncated frame, an unknown API key or version (but ApiVersions, which is answered
 * UNSUPPORTED_VERSION with the v0 body, as Kafka does), or a request other than the SASL exchange
 * before authentication closes this connection with one log line; nothing else is affected.
 */

/** API_VERSIONS_KEY is ApiVersions' key: the one API answered at any version. */
const API_VERSIONS_KEY = 18

/** Slot is one received request, from arrival until its response is written. */
interface Slot {
  /** The frame, until the request is started. */
  frame: Buffer | null
  done: boolean
  /** The response chunks; null for a request that gets no response (acks=0). */
  out: Buffer[] | null
  /** Close the connection once this slot's response is written. */
  closeAfter: string | null
  /** The frame's size, held in the server's request budget until the slot is answered. */
  bytes: number
  /** The frame is a buffer lent by the server's JoinBuffers (a Produce joined from chunks). */
  lent: boolean
}

/** PRODUCE_KEY is Produce's key: the one request joined in lent memory (see JoinBuffers). */
const PRODUCE_KEY = 0

/** ApiTable finds the served API of a key. */
export type ApiTable = ReadonlyMap<number, ServedApi>

/** Connection serves one client socket; it removes itself through `onClosed`. */
export class Connection {
  readonly info: ConnectionInfo
  private readonly decoder: FrameDecoder
  private readonly slots: Slot[] = []
  private readonly waiting: Slot[] = []
  private readonly abort = new AbortController()
  private readonly log: Logger
  private serialBusy = false
  private reading = true
  private closed = false
  private idleTimer: NodeJS.Timeout | null = null
  private authTimer: NodeJS.Timeout | null = null
  private lastActivityMs = Date.now()
  /** Every connection closes its own closed promise; the server awaits them on close. */
  readonly closedPromise: Promise<void>
  private resolveClosed!: () => void

  constructor(
    private readonly socket: Socket,
    private readonly server: ServerContext,
    private readonly apis: ApiTable,
    id: number,
    private readonly onClosed: (c: Connection) => void,
  ) {
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve))
    const remoteHost = socket.remoteAddress ?? 'unknown'
    const remote = `${remoteHost}:${socket.remotePort ?? 0}`
    this.log = withFields(server.logger, { connection: id, remote })
    const { options, credentials } = server
    const sasl =
      options.sasl !== undefined && credentials !== null
        ? new SaslSession(options.sasl.mechanisms, credentials, options.sasl.scramIterations)
        : null
    this.info = { id, remote, remoteHost, log: this.log, signal: this.abort.signal, sasl }
    this.decoder = new FrameDecoder({ maxFrameBytes: options.maxRequestBytes, joinInto: this.joinInto })
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => this.updateReading())
    socket.on('error', (error) => this.close('socket error', 'debug', { error: error.message }))
    socket.on('close', () => this.close('closed by the client', 'debug'))
    this.armIdleTimer()
    if (sasl !== null) {
      this.authTimer = setTimeout(() => {
        if (!sasl.authenticated)
          this.close('not authenticated in time', 'warn', { authenticationTimeoutMs: options.authenticationTimeoutMs })
      }, options.authenticationTimeoutMs)
    }
  }

  /** close ends the connection now (pending responses are dropped) and logs why at `level`. */
  close(reason: string, level: 'warn' | 'info' | 'debug' = 'info', fields?: Record<string, unknown>, graceful = false): void {
    if (this.closed) return
    this.closed = true
    this.log[level](`closed a connection: ${reason}`, fields)
    if (this.idleTimer !== null) clearTimeout(this.idleTimer)
    if (this.authTimer !== null) clearTimeout(this.authTimer)
    this.abort.abort()
    for (const slot of this.slots) this.server.budget.release(slot.bytes)
    // Requests never started hand their lent buffers back (nothing read them).
    for (const slot of this.waiting) if (slot.lent && slot.frame !== null) this.server.joinBuffers?.give(slot.frame)
    // So does a partial frame being joined in a lent buffer.
    if (this.lentFrame !== null) this.server.joinBuffers?.give(this.lentFrame)
    this.lentFrame = null
    this.server.budget.forget(this.onBudgetFree)
    this.slots.length = 0
    this.waiting.length = 0
    // Graceful: what was written still reaches the client (an error response before the close).
    if (graceful) this.socket.end(() => this.socket.destroy())
    else this.socket.destroy()
    this.onClosed(this)
    this.resolveClosed()
  }

  // ---- reading ------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.lastActivityMs = Date.now()
    let frames: Buffer[]
    try {
      frames = this.decoder.push(chunk)
    } catch (error) {
      if (this.lentFrame !== null) this.server.joinBuffers?.give(this.lentFrame)
      this.lentFrame = null
      this.close('bad frame size', 'warn', { error: (error as Error).message })
      return
    }
    // A large frame is joined as it arrives (see FrameDecoder): its lent buffer may come back several chunks later.
    const lentFrame = this.lentFrame
    for (const frame of frames) {
      const lent = lentFrame !== null && frame === lentFrame
      if (lent) this.lentFrame = null
      const slot: Slot = { frame, done: false, out: null, closeAfter: null, bytes: frame.length, lent }
      this.server.budget.take(slot.bytes)
      this.slots.push(slot)
      this.waiting.push(slot)
    }
    this.pump()
    this.updateReading()
  }

  /** The frame the decoder last joined in a lent buffer, until onData makes its slot. */
  private lentFrame: Buffer | null = null

  /**
   * joinInto lends a buffer for a Produce request that spans chunks, when the server has a pool:
   * the request is handled, and the broker copies its batches out, before the buffer is given back.
   */
  private readonly joinInto = (size: number, firstPiece: Buffer): Buffer | undefined => {
    const pool = this.server.joinBuffers
    if (pool === null || firstPiece.length < 2 || firstPiece.readInt16BE(0) !== PRODUCE_KEY) return undefined
    // A raw SASL token (SaslHandshake v0) has no header: its first bytes may look like Produce's key.
    if (this.info.sasl !== null && !this.info.sasl.authenticated) return undefined
    const frame = pool.take(size)
    if (frame !== undefined) this.lentFrame = frame
    return frame
  }

  private readonly onBudgetFree = (): void => this.updateReading()

  /** updateReading pauses the socket while too many requests are held or writes are backed up. */
  private updateReading(): void {
    if (this.closed) return
    const { budget } = this.server
    const want = this.slots.length < this.server.options.maxInFlightPerConnection && !this.socket.writableNeedDrain && !budget.exhausted
    if (budget.exhausted) budget.whenFree(this.onBudgetFree)
    if (want === this.reading) return
    this.reading = want
    if (want) this.socket.resume()
    else this.socket.pause()
  }

  private armIdleTimer(): void {
    const { idleTimeoutMs } = this.server.options
    const wait = Math.max(1, this.lastActivityMs + idleTimeoutMs - Date.now())
    this.idleTimer = setTimeout(() => {
      if (this.closed) return
      const idle = Date.now() - this.lastActivityMs >= idleTimeoutMs && this.slots.length === 0
      if (idle) this.close('idle', 'debug', { idleTimeoutMs })
      else this.armIdleTimer()
    }, wait)
    this.idleTimer.unref()
  }

  // ---- running requests ---------------------------------------------------------------------

  /** pump starts waiting requests in arrival order: all pipelined ones, and one serial one at a time. */
  private pump(): void {
    while (!this.closed && !this.serialBusy && this.waiting.length > 0) {
      const slot = this.waiting.shift() as Slot
      const frame = slot.frame as Buffer
      slot.frame = null
      this.start(slot, frame)
      // A lent frame is a Produce: its handler issued the broker call, which copied the batches.
      if (slot.lent) this.server.joinBuffers?.give(frame)
    }
  }

  private start(slot: Slot, frame: Buffer): void {
    const sasl = this.info.sasl
    if (sasl !== null && sasl.state === 'raw') {
      // Never lent before authentication (see joinInto); copied all the same, as the token outlives this call.
      return this.runSerial(this.rawSaslToken(slot, slot.lent ? Buffer.from(frame) : frame))
    }
    let header: ReturnType<typeof decodeRequestHeader>['header']
    try {
      header = decodeRequestHeader(frame).header
    } catch (error) {
      return this.close('malformed request header', 'warn', { error: (error as Error).message })
    }
    const { apiKey, apiVersion, correlationId } = header
    const served = this.apis.get(apiKey)
    if (apiKey === API_VERSIONS_KEY && served !== undefined && apiVersion > served.maxVersion) {
      // Kafka answers a too-new ApiVersions with its v0 body, listing only itself, so the client retries lower.
      const body = { errorCode: 35, apiKeys: [{ apiKey: API_VERSIONS_KEY, minVersion: served.minVersion, maxVersion: served.maxVersion }] }
      return this.finish(slot, [encodeResponse(API_VERSIONS_KEY, 0, correlationId, body)])
    }
    if (served === undefined || apiVersion < served.minVersion || apiVersion > served.maxVersion) {
      return this.close('unsupported API key or version', 'warn', { apiKey, apiVersion })
    }
    if (apiVersion < served.refusedBelow) {
      return this.close(`${served.api.name} v${apiVersion} is not served (advertised for compatibility only)`, 'warn', {
        apiKey,
        apiVersion,
      })
    }
    if (sasl !== null && !sasl.authenticated && !served.beforeAuthentication) {
      return this.close(`${served.api.name} before SASL authentication`, 'warn', { apiKey, apiVersion })
    }
    let req: KafkaRequest
    try {
      req = decodeRequest(frame)
    } catch (error) {
      return this.close(`malformed ${served.api.name} v${apiVersion} request`, 'warn', {
        error: (error as Error).message,
        path: isKafkaProtocolError(error) ? error.details.path : undefined,
      })
    }
    let answer: Promise<unknown>
    try {
      answer = (served.handle as (r: KafkaRequest, c: RequestContext) => Promise<unknown>)(req, this.handlerContext(slot))
    } catch (error) {
      answer = Promise.reject(error)
    }
    const settled = answer.then(
      (body) => this.respond(slot, served, apiVersion, correlationId, body),
      (error) => this.handlerFailed(served, error),
    )
    // A pipelined request's broker call is already issued: the loop in pump() starts the next one.
    if (!served.pipelined) this.runSerial(settled)
  }

  private runSerial(work: Promise<void>): void {
    this.serialBusy = true
    work.finally(() => {
      this.serialBusy = false
      this.pump()
    })
  }

  /** The broker as the authenticated principal may use it (see RequestContext.broker), made once it is known. */
  private guarded: { principal: string; broker: Broker } | null = null

  /** handlerContext gives a handler the principal's view of the broker, and lets it close the connection after its response. */
  private handlerContext(slot: Slot): RequestContext {
    const principal = this.info.sasl?.principal ?? ANONYMOUS_PRINCIPAL
    if (this.guarded?.principal !== principal)
      this.guarded = { principal, broker: guardBroker(this.server.broker, this.server.options.acl, principal) }
    const { acl } = this.server.options
    const may = (operation: AclOperation, resource: string) => acl === undefined || acl.allows(principal, operation, resource)
    return {
      server: this.server,
      connection: this.info,
      broker: this.guarded.broker,
      principal,
      may,
      refusal: (operation, topic) =>
        may(operation, topic)
          ? null
          : new TributaryError('TOPIC_AUTHORIZATION_FAILED', `${principal} may not ${operation} on topic ${topic}`, {
              details: { principal, operation, resource: topic },
            }),
      closeAfterResponse: (reason: string) => {
        slot.closeAfter = reason
      },
    }
  }

  private respond(slot: Slot, served: ServedApi, version: number, correlationId: number, body: unknown): void {
    if (this.closed) return
    if (body === NO_RESPONSE) return this.finish(slot, null)
    let out: Buffer[]
    try {
      out = encodeResponseChunks(served.api.key as ApiKey, version, correlationId, body as never)
    } catch (error) {
      this.log.error(`could not encode a ${served.api.name} v${version} response`, { error, stack: (error as Error).stack })
      return this.close('server error', 'warn')
    }
    this.finish(slot, out)
  }

  private handlerFailed(served: ServedApi, error: unknown): void {
    if (this.closed) return
    if (error instanceof TributaryError) return this.close(`${served.api.name}: ${error.message}`, 'warn', { code: error.code })
    this.log.error(`${served.api.name} handler failed`, { error, stack: (error as Error)?.stack })
    this.close('server error', 'warn')
  }

  /**
   * rawSaslToken answers one token of a SaslHandshake v0 exchange: bare size-prefixed frames both
   * ways, no Kafka header. A failed exchange closes the connection without an answer, as Kafka does.
   */
  private async rawSaslToken(slot: Slot, token: Buffer): Promise<void> {
    const sasl = this.info.sasl as SaslSession
    try {
      const { response } = await sasl.step(token)
      const prefix = Buffer.allocUnsafe(FRAME_SIZE_BYTES)
      writeFrameSize(prefix, 0, response.length)
      this.finish(slot, [prefix, response])
      if (sasl.authenticated) this.authenticated()
    } catch (error) {
      this.close('SASL authentication failed', 'warn', { error: (error as Error).message })
    }
  }

  /** authenticated is called once the SASL exchange succeeds. */
  authenticated(): void {
    if (this.authTimer !== null) clearTimeout(this.authTimer)
    this.authTimer = null
    this.log.debug('authenticated', { principal: this.info.sasl?.principal })
  }

  // ---- writing ------------------------------------------------------------------------------

  private finish(slot: Slot, out: Buffer[] | null): void {
    if (this.closed) return
    slot.done = true
    slot.out = out
    this.flush()
  }

  /** flush writes every finished response at the head of the queue, in arrival order. */
  private flush(): void {
    let wrote = false
    while (!this.closed && this.slots.length > 0 && (this.slots[0] as Slot).done) {
      const slot = this.slots.shift() as Slot
      this.server.budget.release(slot.bytes)
      if (slot.out !== null) {
        if (!wrote) this.socket.cork()
        wrote = true
        for (const chunk of slot.out) this.socket.write(chunk)
      }
      if (slot.closeAfter !== null) {
        if (wrote) this.socket.uncork()
        return this.close(slot.closeAfter, 'warn', undefined, true)
      }
    }
    if (wrote) this.socket.uncork()
    if (this.info.sasl?.authenticated && this.authTimer !== null) this.authenticated()
    this.updateReading()
  }
}
