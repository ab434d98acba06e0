import { connect, type Socket } from 'node:net'
import { TributaryError, type Clock, type TimerHandle } from '@tributary/core'
import { FrameReader, encodeFrame, type WireHeader } from '@tributary/core/internal'
import type { ResolvedConnectOptions } from './options'

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
 * NodeConnection is one TCP connection to one cluster node, speaking the wire protocol of
 * `@tributary/core`'s wire-frames (the protocol the cluster node's BrokerServer serves).
 *
 * - It connects lazily, on the first call (or `connect()`), and again on the first call after a
 *   loss. A refused connection throws LEADER_NOT_AVAILABLE (retriable) with the socket error as cause.
 * - A lost connection fails every unanswered request with LEADER_NOT_AVAILABLE (retriable: the
 *   client's retry loop sends it again). A produce that was applied before the loss is
 *   deduplicated by the idempotent producer. `onLost` runs before those requests fail, so the
 *   owner can route their retries elsewhere.
 * - An error the node itself answers with CLIENT_CLOSED means the node is shutting down, not this
 *   client: it arrives as LEADER_NOT_AVAILABLE (retriable), so a failover looks like one.
 * - Bounded: at most `maxInFlightRequests` unanswered requests; up to `maxQueuedRequests` more
 *   wait for a slot, and beyond that a call fails at once with REQUEST_TIMED_OUT (retriable).
 * - Every request has a timer: `requestTimeoutMs` plus the wait the request itself asks for;
 *   when it fires the call fails with REQUEST_TIMED_OUT and a late answer is ignored.
 */
export class NodeConnection {
  /** address is 'host:port', the key this connection is known by. */
  readonly address: string
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private readonly pending = new Map<number, Pending>()
  private readonly queue: Queued[] = []
  /** Requests that took a slot and are not yet in `pending` (connecting). */
  private starting = 0
  private nextId = 1
  private closed = false

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: ResolvedConnectOptions,
    private readonly clock: Clock,
    private readonly onLost: (connection: NodeConnection) => void = () => undefined,
  ) {
    this.address = `${host}:${port}`
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
   * call sends one request and resolves with its answer.
   * @param extraWaitMs how long the server may legitimately hold the request (added to the timeout).
   * @param signal aborting sends a `$cancel` for the request; its (early) answer still resolves the call.
   * @throws TributaryError from the server; LEADER_NOT_AVAILABLE when the node cannot be reached or
   * the connection is lost; REQUEST_TIMED_OUT; CLIENT_CLOSED after close.
   */
  async call(method: string, args: unknown[], extraWaitMs = 0, signal?: AbortSignal): Promise<unknown> {
    this.assertOpen()
    await this.slot()
    let socket: Socket
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
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.requestTimeoutMs + extraWaitMs
      const timer = this.clock.setTimeout(() => {
        if (!this.pending.delete(id)) return
        signal?.removeEventListener('abort', onAbort)
        reject(
          new TributaryError('REQUEST_TIMED_OUT', `${method} to ${this.address} got no answer within ${timeoutMs} ms`, {
            details: { broker: this.address },
          }),
        )
        this.release()
      }, timeoutMs)
      const onAbort = (): void => {
        if (this.pending.has(id) && this.socket === socket) socket.write(encodeFrame({ id: this.nextId++, m: '$cancel', a: [id] }))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const settle = (): void => {
        timer.cancel()
        signal?.removeEventListener('abort', onAbort)
        this.release()
      }
      this.pending.set(id, {
        resolve: (v) => (settle(), resolve(v)),
        reject: (e) => (settle(), reject(e)),
        timer,
      })
      socket.write(encodeFrame({ id, m: method, a: args }))
      if (signal?.aborted) onAbort()
    })
  }

  /** slot waits until fewer than maxInFlightRequests requests are unanswered. */
  private slot(): Promise<void> {
    if (this.pending.size + this.starting < this.options.maxInFlightRequests && this.queue.length === 0) {
      this.starting++
      return Promise.resolve()
    }
    if (this.queue.length >= this.options.maxQueuedRequests) {
      return Promise.reject(
        new TributaryError(
          'REQUEST_TIMED_OUT',
          `more than ${this.options.maxQueuedRequests} requests are waiting to be sent to ${this.address}`,
          { retriable: true },
        ),
      )
    }
    return new Promise((resolve, reject) => this.queue.push({ start: () => (this.starting++, resolve()), fail: reject }))
  }

  private release(): void {
    const next = this.queue.shift()
    if (next !== undefined) next.start()
  }

  private socketOrConnect(): Promise<Socket> {
    if (this.socket !== null) return Promise.resolve(this.socket)
    this.connecting ??= this.open().finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  private async open(): Promise<Socket> {
    try {
      const s = await this.openSocket()
      this.assertOpen(s)
      this.socket = s
      return s
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'CLIENT_CLOSED') throw error
      throw new TributaryError('LEADER_NOT_AVAILABLE', `the broker at ${this.address} cannot be reached`, {
        cause: error,
        details: { broker: this.address },
      })
    }
  }

  private openSocket(): Promise<Socket> {
    const { host, port } = this
    return new Promise((resolve, reject) => {
      const s = connect({ host, port })
      s.setNoDelay(true)
      const timer = this.clock.setTimeout(
        () => s.destroy(new Error(`connect to ${this.address} timed out after ${this.options.connectTimeoutMs} ms`)),
        this.options.connectTimeoutMs,
      )
      let connected = false
      s.once('connect', () => {
        connected = true
        timer.cancel()
        resolve(s)
      })
      const reader = new FrameReader()
      s.on('data', (chunk) => {
        try {
          reader.push(chunk, (h) => this.settle(h))
        } catch (error) {
          s.destroy(error as Error)
        }
      })
      let lastError: unknown
      s.on('error', (e) => (lastError = e))
      s.once('close', () => {
        timer.cancel()
        if (!connected) reject(lastError ?? new Error(`connection to ${this.address} closed`))
        else this.lost(s, lastError)
      })
    })
  }

  private lost(s: Socket, cause: unknown): void {
    if (this.socket !== s) return
    this.socket = null
    // The owner hears first, so that the retries these failures cause go to another node.
    if (!this.closed) this.onLost(this)
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending)
      p.reject(
        new TributaryError('LEADER_NOT_AVAILABLE', `the connection to ${this.address} was lost`, {
          cause,
          details: { broker: this.address },
        }),
      )
  }

  private settle(h: WireHeader): void {
    const p = this.pending.get(h.id)
    if (p === undefined) return // timed out, or the answer to a $cancel
    this.pending.delete(h.id)
    if (h.e === undefined) p.resolve(h.v)
    else if (h.e instanceof TributaryError && h.e.code === 'CLIENT_CLOSED')
      p.reject(
        new TributaryError('LEADER_NOT_AVAILABLE', `the broker at ${this.address} is shutting down: ${h.e.message}`, {
          cause: h.e,
          details: { broker: this.address },
        }),
      )
    else p.reject(h.e)
  }

  private assertOpen(s?: Socket): void {
    if (!this.closed) return
    s?.destroy()
    throw new TributaryError('CLIENT_CLOSED', 'the connection to the cluster is closed')
  }

  /** close fails every pending and queued call with CLIENT_CLOSED and drops the connection. */
  close(): void {
    if (this.closed) return
    this.closed = true
    const error = new TributaryError('CLIENT_CLOSED', 'the connection to the cluster is closed')
    for (const q of this.queue.splice(0)) q.fail(error)
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(error)
    this.socket?.destroy()
    this.socket = null
  }
}
