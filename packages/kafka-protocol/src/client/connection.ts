import { type Socket, connect as netConnect } from 'node:net'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import { type Clock, type TimerHandle, TributaryError } from '@tributary/core'
import { FrameDecoder } from '../codec/frame'
import type { ApiKey, RequestInput, ResponseBodies } from '../messages'
import { decodeResponse, encodeRequestChunks, readResponseCorrelationId } from '../protocol'
import { ApiVersionTable } from './api-versions'
import { negotiateApiVersions } from './handshake'
import type { ResolvedKafkaClientOptions } from './options'
import { authenticate } from './sasl/authenticate'

/** RequestOptions tune one request. */
export interface RequestOptions {
  /** The version to send (default: the highest both sides support, see ApiVersionTable). */
  version?: number
  /** Send at most this version. */
  maxVersion?: number
  /** How long the broker may legitimately hold the request (fetch maxWaitMs, produce timeoutMs), added to the timeout. */
  extraWaitMs?: number
  /** The broker sends no answer (Produce with acks=0): resolve once written. */
  noResponse?: boolean
}

/** Response is a decoded answer and the version it was sent at. */
export interface Response<K extends ApiKey> {
  version: number
  body: ResponseBodies[K]
}

interface Pending {
  correlationId: number
  apiKey: ApiKey
  version: number
  resolve(value: Response<ApiKey>): void
  reject(error: unknown): void
  timer: TimerHandle
}

interface Queued {
  start(): void
  fail(error: TributaryError): void
}

/** The software name and version of ApiVersions v3+ (Kafka checks them against [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?). */
export const CLIENT_SOFTWARE = Object.freeze({ name: 'tributary', version: '0.1.0' })

/**
 * KafkaConnection is one TCP (or TLS) connection to one Kafka broker.
 *
 * - `KafkaConnection.open` connects, negotiates versions (ApiVersions) and authenticates (SASL),
 *   each bounded by its timeout; the connection is usable once it resolves.
 * - Requests are pipelined, at most `maxInFlightRequests` unanswered; up to `maxQueuedRequests`
 *   more wait for a slot in order, and beyond that a call fails at once with REQUEST_TIMED_OUT
 *   (retriable). Kafka answers a connection's requests in the order it got them, so answers are
 *   matched first in, first out, and an answer whose correlation id is not the oldest request's
 *   closes the connection (CORRUPT_MESSAGE): the stream can no longer be trusted.
 * - Every request has a timer (`requestTimeoutMs` + the wait it asks for). When it fires the call
 *   fails with REQUEST_TIMED_OUT and the connection is closed, as Kafka's Java client does: a
 *   late answer would otherwise arrive for a request nobody waits for, in front of the others.
 * - A lost connection fails every unanswered and queued call with NETWORK_EXCEPTION (retriable);
 *   `onClosed` tells the owner first, so that retries go to a fresh connection and metadata is refreshed.
 * - The socket holds the process open only while a request is unanswered (an idle client lets
 *   Node exit, as the rest of Tributary's timers do).
 * - A SASL session with a lifetime (KIP-368) is retired before it expires: `usable` turns false,
 *   the owner opens a new connection, and this one closes once its last answer is in.
 */
export class KafkaConnection {
  readonly address: string
  private readonly decoder: FrameDecoder
  private readonly inFlight: Pending[] = []
  private readonly queue: Queued[] = []
  /** Requests holding a slot: sent and unanswered, plus those being written. */
  private slots = 0
  private nextCorrelationId = 0
  private closedError: TributaryError | null = null
  private retiring = false
  private retireTimer: TimerHandle | null = null
  private refd = true
  /** versions is what this broker serves (set during open). */
  versions: ApiVersionTable = new ApiVersionTable([])

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
    private readonly options: ResolvedKafkaClientOptions,
    private readonly clock: Clock,
    private readonly onClosed: (connection: KafkaConnection, error: TributaryError) => void,
  ) {
    this.address = `${host}:${port}`
    this.decoder = new FrameDecoder({ maxFrameBytes: options.maxResponseBytes })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    let lastError: unknown
    socket.on('error', (error) => (lastError = error))
    socket.once('close', () => this.fail(networkError(`the connection to ${this.address} was lost`, this.address, lastError)))
    this.idleRef()
  }

  /**
   * open connects to a broker, negotiates API versions and authenticates.
   * @throws TributaryError NETWORK_EXCEPTION (retriable) when the broker cannot be reached or the
   * connection drops during the handshake; REQUEST_TIMED_OUT when the handshake takes too long;
   * SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE from SASL.
   */
  static async open(
    host: string,
    port: number,
    options: ResolvedKafkaClientOptions,
    clock: Clock,
    onClosed: (connection: KafkaConnection, error: TributaryError) => void = () => undefined,
  ): Promise<KafkaConnection> {
    const socket = await openSocket(host, port, options, clock)
    const connection = new KafkaConnection(socket, host, port, options, clock, onClosed)
    const timer = clock.setTimeout(
      () =>
        connection.close(
          new TributaryError(
            'REQUEST_TIMED_OUT',
            `${connection.address} did not finish its handshake within ${options.authenticationTimeoutMs} ms`,
            {
              details: { broker: connection.address },
            },
          ),
        ),
      options.authenticationTimeoutMs,
    )
    try {
      connection.versions = await negotiateApiVersions(connection)
      if (options.sasl !== null) {
        const { sessionLifetimeMs } = await authenticate(connection, options.sasl)
        if (sessionLifetimeMs > 0) connection.retireAfter(sessionLifetimeMs)
      }
      return connection
    } catch (error) {
      // Whatever failed (a refused login, a handshake past its timeout), the connection is not kept.
      connection.close(error instanceof TributaryError ? error : undefined)
      throw error
    } finally {
      timer.cancel()
    }
  }

  /** usable tells whether new requests may be sent here (open and not retiring). */
  get usable(): boolean {
    return this.closedError === null && !this.retiring
  }

  /** closed tells whether the connection is closed. */
  get closed(): boolean {
    return this.closedError !== null
  }

  /** pending is the number of requests holding or waiting for a slot. */
  get pending(): number {
    return this.slots + this.queue.length
  }

  /**
   * request sends one request and resolves with its decoded answer.
   * @throws TributaryError UNSUPPORTED_VERSION when the broker does not serve the API;
   * NETWORK_EXCEPTION when the connection is lost; REQUEST_TIMED_OUT; CORRUPT_MESSAGE for an
   * answer that cannot be decoded; CLIENT_CLOSED after close.
   */
  async request<K extends ApiKey>(apiKey: K, body: RequestInput<K>, options: RequestOptions = {}): Promise<Response<K>> {
    if (this.closedError !== null) throw this.closedError
    const version = options.version ?? this.versions.version(apiKey, options.maxVersion)
    await this.slot()
    if (this.closedError !== null) {
      this.release()
      throw this.closedError
    }
    const correlationId = this.nextCorrelationId
    this.nextCorrelationId = (this.nextCorrelationId + 1) | 0
    let chunks: Buffer[]
    try {
      chunks = encodeRequestChunks(apiKey, version, { correlationId, clientId: this.options.clientId }, body)
    } catch (error) {
      this.release()
      throw error
    }
    if (options.noResponse) return this.writeOnly(chunks, version) as Promise<Response<K>>
    return new Promise<Response<K>>((resolve, reject) => {
      const timeoutMs = this.options.requestTimeoutMs + (options.extraWaitMs ?? 0)
      const timer = this.clock.setTimeout(() => this.timedOut(correlationId, apiKey, timeoutMs), Math.min(timeoutMs, 2_147_483_647))
      this.inFlight.push({ correlationId, apiKey, version, resolve: resolve as Pending['resolve'], reject, timer })
      this.idleRef()
      this.write(chunks)
    })
  }

  /** close fails every unanswered and queued call (CLIENT_CLOSED unless `error` says why) and drops the socket. */
  close(error?: TributaryError): void {
    this.fail(error ?? new TributaryError('CLIENT_CLOSED', `the connection to ${this.address} is closed`))
  }

  /** retireAfter makes the connection unusable for new requests after `ms`, closing it once idle. */
  retireAfter(ms: number): void {
    this.retireTimer?.cancel()
    // Re-authentication (KIP-368) is done by replacing the connection a little before the broker expires the session.
    this.retireTimer = this.clock.setTimeout(() => this.retire(), Math.max(0, Math.floor(ms * 0.85)))
  }

  private retire(): void {
    this.retiring = true
    if (this.pending === 0) this.close()
  }

  private write(chunks: Buffer[]): void {
    if (chunks.length === 1) {
      this.socket.write(chunks[0] as Buffer)
      return
    }
    this.socket.cork()
    for (const c of chunks) this.socket.write(c)
    this.socket.uncork()
  }

  private writeOnly(chunks: Buffer[], version: number): Promise<Response<ApiKey>> {
    return new Promise((resolve, reject) => {
      const last = chunks.length - 1
      this.socket.cork()
      chunks.forEach((c, i) =>
        this.socket.write(
          c,
          i === last
            ? (error) => {
                this.release()
                if (error) reject(networkError(`writing to ${this.address} failed`, this.address, error))
                else resolve({ version, body: {} as never })
              }
            : undefined,
        ),
      )
      this.socket.uncork()
    })
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[]
    try {
      frames = this.decoder.push(chunk)
    } catch (error) {
      this.fail(corrupt(`${this.address} sent a frame over maxResponseBytes`, this.address, error))
      return
    }
    for (const frame of frames) {
      if (this.closedError !== null) return
      this.onFrame(frame)
    }
  }

  private onFrame(frame: Buffer): void {
    const head = this.inFlight[0]
    let correlationId: number
    try {
      correlationId = readResponseCorrelationId(frame)
    } catch (error) {
      this.fail(corrupt(`${this.address} sent a frame too short for a header`, this.address, error))
      return
    }
    if (head === undefined || head.correlationId !== correlationId) {
      this.fail(
        corrupt(`${this.address} answered correlation id ${correlationId}, expected ${head?.correlationId ?? 'none'}`, this.address),
      )
      return
    }
    this.inFlight.shift()
    head.timer.cancel()
    this.release()
    try {
      const { body } = decodeResponse(head.apiKey, head.version, frame)
      head.resolve({ version: head.version, body })
    } catch (error) {
      head.reject(error)
    }
    if (this.retiring && this.pending === 0) this.close()
    this.idleRef()
  }

  private timedOut(correlationId: number, apiKey: number, timeoutMs: number): void {
    const i = this.inFlight.findIndex((p) => p.correlationId === correlationId)
    if (i < 0) return
    const [p] = this.inFlight.splice(i, 1)
    p?.reject(
      new TributaryError('REQUEST_TIMED_OUT', `API ${apiKey} to ${this.address} got no answer within ${timeoutMs} ms`, {
        details: { broker: this.address },
      }),
    )
    this.release()
    this.fail(networkError(`the connection to ${this.address} was closed after a request timed out`, this.address))
  }

  private slot(): Promise<void> {
    if (this.slots < this.options.maxInFlightRequests && this.queue.length === 0) {
      this.slots++
      return Promise.resolve()
    }
    if (this.queue.length >= this.options.maxQueuedRequests) {
      return Promise.reject(
        new TributaryError('REQUEST_TIMED_OUT', `more than ${this.options.maxQueuedRequests} requests are waiting for ${this.address}`, {
          retriable: true,
          details: { broker: this.address },
        }),
      )
    }
    return new Promise((resolve, reject) => this.queue.push({ start: () => (this.slots++, resolve()), fail: reject }))
  }

  private release(): void {
    this.slots--
    const next = this.queue.shift()
    if (next !== undefined) next.start()
  }

  /** idleRef keeps the process alive only while a request is unanswered. */
  private idleRef(): void {
    const want = this.inFlight.length > 0
    if (want === this.refd) return
    this.refd = want
    if (want) this.socket.ref()
    else this.socket.unref()
  }

  private fail(error: TributaryError): void {
    if (this.closedError !== null) return
    this.closedError = error
    this.retireTimer?.cancel()
    this.socket.destroy()
    this.onClosed(this, error)
    const pending = this.inFlight.splice(0)
    for (const p of pending) {
      p.timer.cancel()
      p.reject(error)
    }
    for (const q of this.queue.splice(0)) q.fail(error)
    this.slots = 0
  }
}

/** networkError is a lost or refused connection: NETWORK_EXCEPTION, retriable, naming the broker. */
export function networkError(message: string, address: string, cause?: unknown): TributaryError {
  const why = cause instanceof Error ? `: ${cause.message}` : ''
  return new TributaryError('NETWORK_EXCEPTION', `${message}${why}`, { cause, details: { broker: address } })
}

function corrupt(message: string, address: string, cause?: unknown): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', message, { cause, details: { broker: address } })
}

/** openSocket connects TCP (and TLS) with the connection timeout. */
function openSocket(host: string, port: number, options: ResolvedKafkaClientOptions, clock: Clock): Promise<Socket> {
  const address = `${host}:${port}`
  return new Promise((resolve, reject) => {
    const tls = options.ssl
    const socket: Socket =
      tls === null
        ? netConnect({ host, port })
        : tlsConnect({
            host,
            port,
            ...(tls as ConnectionOptions),
            // SNI must be a host name, never an IP address (RFC 6066).
            servername: tls.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host),
          })
    socket.setNoDelay(true)
    const timer = clock.setTimeout(
      () => socket.destroy(new Error(`connecting took longer than ${options.connectionTimeoutMs} ms`)),
      options.connectionTimeoutMs,
    )
    const onError = (error: Error): void => {
      timer.cancel()
      socket.destroy()
      reject(tlsOrNetworkError(address, error))
    }
    socket.once('error', onError)
    socket.once(tls === null ? 'connect' : 'secureConnect', () => {
      timer.cancel()
      socket.off('error', onError)
      resolve(socket)
    })
  })
}

/** Certificate failures will not heal by retrying: they are NETWORK_EXCEPTION, but not retriable. */
const TLS_VERIFY_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_|HOSTNAME|ALTNAME|ERR_SSL|EPROTO/

function tlsOrNetworkError(address: string, error: Error & { code?: string }): TributaryError {
  if (error.code !== undefined && TLS_VERIFY_ERRORS.test(error.code)) {
    return new TributaryError('NETWORK_EXCEPTION', `TLS to ${address} failed: ${error.message}`, {
      cause: error,
      retriable: false,
      details: { broker: address, tlsCode: error.code },
    })
  }
  return networkError(`cannot connect to ${address}`, address, error)
}
