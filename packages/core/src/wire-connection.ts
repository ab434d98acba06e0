import type { Clock, TimerHandle } from './clock'
import { TributaryError } from './errors'
import { MAX_TIMER_MS } from './option-checks'
import { FrameReader, encodeFrame, encodeFrameChunks, type WireHeader } from './wire-frames'
import type { RpcArgs, RpcMethod, RpcResult } from './wire-rpc'

/**
 * WireSocket is the little of a TCP socket a WireConnection uses; `net.Socket` is one. Core opens
 * no socket itself: the caller injects a dialer, as it injects a Clock and a Storage.
 */
export interface WireSocket {
  write(data: Buffer): unknown
  destroy(error?: Error): unknown
  setNoDelay(noDelay?: boolean): unknown
  /** cork and uncork, when the socket has them, gather a frame's chunks into one send. */
  cork?(): void
  uncork?(): void
  // biome-ignore lint/suspicious/noExplicitAny: an event listener of any shape, as Node's EventEmitter takes.
  on(event: 'connect' | 'secureConnect' | 'data' | 'error' | 'close', listener: (...args: any[]) => void): unknown
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  once(event: 'connect' | 'secureConnect' | 'data' | 'error' | 'close', listener: (...args: any[]) => void): unknown
}

/** WireDialer opens a connection to host:port (e.g. `(host, port) => net.connect({ host, port })`). */
export type WireDialer = (host: string, port: number) => WireSocket

/** WireConnectionOptions configure one WireConnection. */
export interface WireConnectionOptions {
  readonly host: string
  readonly port: number
  readonly dial: WireDialer
  readonly clock: Clock
  /** requestTimeoutMs bounds each request, on top of the wait the request itself asks for. */
  readonly requestTimeoutMs: number
  /** connectTimeoutMs bounds opening the connection. */
  readonly connectTimeoutMs: number
  /** maxInFlightRequests bounds the requests sent and not yet answered. */
  readonly maxInFlightRequests: number
  /** maxQueuedRequests bounds the requests waiting for an in-flight slot; beyond it a call fails at once. */
  readonly maxQueuedRequests: number
  /** methodPrefix is put before every method name on the wire (a cluster node's peer calls use 'peer:'). */
  readonly methodPrefix?: string
  /** details are added to the details of the errors this connection raises (e.g. the peer's node id). */
  readonly details?: Readonly<Record<string, unknown>>
  /** onLost is told when an open connection drops, before its unanswered requests fail. */
  readonly onLost?: () => void
  /**
   * handshake runs on every new connection before any call is sent on it (SASL, the peer
   * challenge–response): `call` sends a request on that connection and resolves with its answer.
   * A failure closes the connection and fails the calls waiting for it with that error.
   */
  readonly handshake?: (call: (method: string, args: readonly unknown[]) => Promise<unknown>) => Promise<void>
  /** secure: the dialer makes TLS sockets; the connection is open once the TLS handshake is done ('secureConnect'). Default false. */
  readonly secure?: boolean
  /** maxResponseBytes bounds one response frame. Default MAX_RESPONSE_BYTES (256 MiB). */
  readonly maxResponseBytes?: number
}

/** MAX_RESPONSE_BYTES bounds a response frame by default: above any fetch a server answers (cut to its frame limit) plus one batch. */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024

/** Errors of a handshake that a new connection would not cure: they reach the caller as they are. */
const FINAL_HANDSHAKE_ERRORS = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'CLUSTER_AUTHORIZATION_FAILED',
])

/** CallOptions are a call's own wait and cancellation. */
export interface CallOptions {
  /** extraWaitMs: how long the server may legitimately hold the request (a long poll), added to the timeout. */
  readonly extraWaitMs?: number
  /** signal: aborting sends a `$cancel` for the request; its (early) answer still resolves the call. */
  readonly signal?: AbortSignal
}

interface Pending {
  resolve(v: unknown): void
  reject(e: unknown): void
  timer: TimerHandle
}

interface Queued {
  start(): void
  fail(e: TributaryError): void
}

/**
 * WireConnection is one connection to one node, speaking the wire frames (wire-frames.ts) with
 * calls typed by the interface `T` it is created for (`BrokerRpc` for clients, a cluster's peer
 * interface for nodes). It is the one connection class of Tributary: the remote client's and the
 * cluster peer channel's.
 *
 * - It connects lazily, on the first call (or `connect()`), and again on the first call after a
 *   loss; opening is bounded by `connectTimeoutMs`. A refused connection throws
 *   LEADER_NOT_AVAILABLE (retriable) with the socket error as cause.
 * - A lost connection fails every unanswered request with LEADER_NOT_AVAILABLE (retriable).
 *   `onLost` runs before, so that the owner can route their retries elsewhere.
 * - An answer CLIENT_CLOSED means the node is shutting down, not this caller: it arrives as
 *   LEADER_NOT_AVAILABLE (retriable), so a failover looks like one.
 * - Bounded: at most `maxInFlightRequests` unanswered requests; up to `maxQueuedRequests` more
 *   wait for a slot, and beyond that a call fails at once with REQUEST_TIMED_OUT (retriable).
 * - Every request has a timer: `requestTimeoutMs` plus the wait it asks for (both within Node's
 *   timer limit); when it fires the call fails with REQUEST_TIMED_OUT and a late answer is ignored.
 */
export class WireConnection<T> {
  /** address is 'host:port', the key this connection is known by. */
  readonly address: string
  private socket: WireSocket | null = null
  private connecting: Promise<WireSocket> | null = null
  private readonly pending = new Map<number, Pending>()
  private readonly queue: Queued[] = []
  /** Requests that took a slot and are not yet in `pending` (connecting). */
  private starting = 0
  private nextId = 1
  private closed = false
  /** The new socket whose handshake is running (not yet `socket`). */
  private handshaking: WireSocket | null = null

  constructor(private readonly options: WireConnectionOptions) {
    this.address = `${options.host}:${options.port}`
  }

  /** idle tells whether no request is unanswered or waiting (the connection may be dropped). */
  get idle(): boolean {
    return this.pending.size === 0 && this.queue.length === 0 && this.starting === 0
  }

  /**
   * connect opens the connection unless it is open already.
   * @throws TributaryError LEADER_NOT_AVAILABLE when the node cannot be reached; CLIENT_CLOSED after close.
   */
  async connect(): Promise<void> {
    this.assertOpen()
    await this.socketOrConnect()
  }

  /**
   * call sends one request and resolves with its answer, typed by `T`.
   * @throws TributaryError from the server; LEADER_NOT_AVAILABLE when the node cannot be reached or
   * the connection is lost; REQUEST_TIMED_OUT; CLIENT_CLOSED after close.
   */
  async call<K extends RpcMethod<T>>(method: K, args: RpcArgs<T, K>, options: CallOptions = {}): Promise<RpcResult<T, K>> {
    this.assertOpen()
    await this.slot()
    let socket: WireSocket
    try {
      socket = await this.socketOrConnect()
      this.assertOpen()
    } catch (error) {
      this.starting--
      this.release()
      throw error
    }
    // The slot taken in `slot()` moves into `pending` in this same tick.
    this.starting--
    return this.send(socket, `${this.options.methodPrefix ?? ''}${method}`, args, options) as Promise<RpcResult<T, K>>
  }

  private send(
    socket: WireSocket,
    method: string,
    args: readonly unknown[],
    { extraWaitMs = 0, signal }: CallOptions,
    counted = true,
  ): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timeoutMs = Math.min(MAX_TIMER_MS, this.options.requestTimeoutMs + extraWaitMs)
      const timer = this.options.clock.setTimeout(() => {
        if (!this.pending.delete(id)) return
        signal?.removeEventListener('abort', onAbort)
        reject(this.error('REQUEST_TIMED_OUT', `${method} to ${this.address} got no answer within ${timeoutMs} ms`))
        if (counted) this.release()
      }, timeoutMs)
      const onAbort = (): void => {
        if (this.pending.has(id) && this.socket === socket) socket.write(encodeFrame({ id: this.nextId++, m: '$cancel', a: [id] }))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const settle = (): void => {
        timer.cancel()
        signal?.removeEventListener('abort', onAbort)
        if (counted) this.release()
      }
      this.pending.set(id, {
        resolve: (v) => (settle(), resolve(v)),
        reject: (e) => (settle(), reject(e)),
        timer,
      })
      // The batches are written as they are (no copy into one buffer: a large produce does not hold the event loop).
      socket.cork?.()
      for (const chunk of encodeFrameChunks({ id, m: method, a: args })) socket.write(chunk)
      socket.uncork?.()
      if (signal?.aborted) onAbort()
    })
  }

  /** slot waits until fewer than maxInFlightRequests requests are unanswered. */
  private slot(): Promise<void> {
    const { maxInFlightRequests, maxQueuedRequests } = this.options
    if (this.pending.size + this.starting < maxInFlightRequests && this.queue.length === 0) {
      this.starting++
      return Promise.resolve()
    }
    if (this.queue.length >= maxQueuedRequests)
      return Promise.reject(
        this.error('REQUEST_TIMED_OUT', `more than ${maxQueuedRequests} requests are waiting to be sent to ${this.address}`),
      )
    return new Promise((resolve, reject) => this.queue.push({ start: () => (this.starting++, resolve()), fail: reject }))
  }

  private release(): void {
    this.queue.shift()?.start()
  }

  private socketOrConnect(): Promise<WireSocket> {
    if (this.socket !== null) return Promise.resolve(this.socket)
    this.connecting ??= this.open().finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  private async open(): Promise<WireSocket> {
    try {
      const s = await this.openSocket()
      this.assertOpen(s)
      const { handshake } = this.options
      if (handshake !== undefined) {
        this.handshaking = s
        try {
          await handshake((method, args) => this.send(s, method, args, {}, false))
        } catch (error) {
          s.destroy()
          throw error
        } finally {
          this.handshaking = null
        }
        this.assertOpen(s)
      }
      this.socket = s
      return s
    } catch (error) {
      if (error instanceof TributaryError && (error.code === 'CLIENT_CLOSED' || FINAL_HANDSHAKE_ERRORS.has(error.code))) throw error
      throw this.error('LEADER_NOT_AVAILABLE', `the node at ${this.address} cannot be reached`, error)
    }
  }

  private openSocket(): Promise<WireSocket> {
    const { host, port, dial, clock, connectTimeoutMs } = this.options
    return new Promise((resolve, reject) => {
      const s = dial(host, port)
      s.setNoDelay(true)
      const timer = clock.setTimeout(
        () => s.destroy(new Error(`connect to ${this.address} timed out after ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      )
      let connected = false
      s.once(this.options.secure === true ? 'secureConnect' : 'connect', () => {
        connected = true
        timer.cancel()
        resolve(s)
      })
      const reader = new FrameReader(this.options.maxResponseBytes ?? MAX_RESPONSE_BYTES)
      s.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk, (h) => this.settle(h))
        } catch (error) {
          // A bad frame: the stream cannot be resynchronised, so the connection goes.
          s.destroy(error as Error)
        }
      })
      let lastError: unknown
      s.on('error', (e: unknown) => (lastError = e))
      s.once('close', () => {
        timer.cancel()
        if (!connected) reject(lastError ?? new Error(`connection to ${this.address} closed`))
        else this.lost(s, lastError)
      })
    })
  }

  private lost(s: WireSocket, cause: unknown): void {
    // A connection lost during its handshake fails the handshake's request (the only one sent on it).
    if (this.handshaking === s) {
      for (const p of [...this.pending.values()])
        p.reject(this.error('LEADER_NOT_AVAILABLE', `the connection to ${this.address} was lost`, cause))
      this.pending.clear()
      return
    }
    if (this.socket !== s) return
    this.socket = null
    // The owner hears first, so that the retries these failures cause go to another node.
    if (!this.closed) this.options.onLost?.()
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(this.error('LEADER_NOT_AVAILABLE', `the connection to ${this.address} was lost`, cause))
  }

  private settle(h: WireHeader): void {
    const p = this.pending.get(h.id)
    if (p === undefined) return // timed out, or the answer to a $cancel
    this.pending.delete(h.id)
    if (h.e === undefined) p.resolve(h.v)
    else if (h.e instanceof TributaryError && h.e.code === 'CLIENT_CLOSED')
      p.reject(this.error('LEADER_NOT_AVAILABLE', `the node at ${this.address} is shutting down: ${h.e.message}`, h.e))
    else p.reject(h.e)
  }

  private error(code: 'LEADER_NOT_AVAILABLE' | 'REQUEST_TIMED_OUT', message: string, cause?: unknown): TributaryError {
    return new TributaryError(code, message, {
      ...(cause === undefined ? {} : { cause }),
      retriable: true,
      details: { broker: this.address, ...this.options.details },
    })
  }

  private assertOpen(s?: WireSocket): void {
    if (!this.closed) return
    s?.destroy()
    throw new TributaryError('CLIENT_CLOSED', `the connection to ${this.address} is closed`)
  }

  /** close fails every pending and queued call with CLIENT_CLOSED and drops the connection. */
  close(): void {
    if (this.closed) return
    this.closed = true
    const error = new TributaryError('CLIENT_CLOSED', `the connection to ${this.address} is closed`)
    for (const q of this.queue.splice(0)) q.fail(error)
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(error)
    this.socket?.destroy()
    this.socket = null
  }
}
