import { connect, type Socket } from 'node:net'
import { FrameReader, TributaryError, encodeFrame, type Clock, type TimerHandle, type WireHeader } from '@tributary/core'
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
 * ClusterConnection is one TCP connection to a cluster, speaking the wire protocol of
 * `@tributary/core`'s wire-frames (the protocol the cluster node's BrokerServer serves).
 *
 * - It connects lazily to the listed addresses in turn, starting after the one last used, and
 *   uses the first that accepts. When every address fails it throws LEADER_NOT_AVAILABLE
 *   (retriable) with the last socket error as cause.
 * - A lost connection fails every unanswered request with LEADER_NOT_AVAILABLE (retriable: the
 *   client's retry loop sends it again, and the next call connects to the next address). A
 *   produce that was applied before the loss is deduplicated by the idempotent producer.
 * - Bounded: at most `maxInFlightRequests` unanswered requests; up to `maxQueuedRequests` more
 *   wait for a slot, and beyond that a call fails at once with REQUEST_TIMED_OUT (retriable).
 * - Every request has a timer: `requestTimeoutMs` plus the wait the request itself asks for;
 *   when it fires the call fails with REQUEST_TIMED_OUT and a late answer is ignored.
 */
export class ClusterConnection {
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private readonly pending = new Map<number, Pending>()
  private readonly queue: Queued[] = []
  private nextId = 1
  /** Index of the address to try first on the next connect. */
  private nextAddress = 0
  private closed = false

  constructor(private readonly options: ResolvedConnectOptions, private readonly clock: Clock) {}

  /**
   * call sends one request and resolves with its answer.
   * @param extraWaitMs how long the server may legitimately hold the request (added to the timeout).
   * @param signal aborting sends a `$cancel` for the request; its (early) answer still resolves the call.
   * @throws TributaryError from the server; LEADER_NOT_AVAILABLE when no node can be reached or
   * the connection is lost; REQUEST_TIMED_OUT; CLIENT_CLOSED after close.
   */
  async call(method: string, args: unknown[], extraWaitMs = 0, signal?: AbortSignal): Promise<unknown> {
    this.assertOpen()
    await this.slot()
    const socket = await this.connect()
    this.assertOpen()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (!this.pending.delete(id)) return
        reject(new TributaryError('REQUEST_TIMED_OUT', `${method} got no answer within ${this.options.requestTimeoutMs + extraWaitMs} ms`))
        this.release()
      }, this.options.requestTimeoutMs + extraWaitMs)
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
      return Promise.reject(new TributaryError('REQUEST_TIMED_OUT', `more than ${this.options.maxQueuedRequests} requests are waiting to be sent`, { retriable: true }))
    }
    return new Promise((resolve, reject) => this.queue.push({ start: () => (this.starting++, resolve()), fail: reject }))
  }

  /** Requests that took a slot and are not yet in `pending` (connecting). */
  private starting = 0

  private release(): void {
    const next = this.queue.shift()
    if (next !== undefined) next.start()
  }

  private connect(): Promise<Socket> {
    // The slot taken in `slot()` moves into `pending` right after this resolves (same tick).
    const done = <T>(p: Promise<T>): Promise<T> =>
      p.then(
        (v) => (this.starting--, v),
        (e: unknown) => {
          this.starting--
          this.release()
          throw e
        },
      )
    if (this.socket !== null) return done(Promise.resolve(this.socket))
    this.connecting ??= this.connectAny().finally(() => {
      this.connecting = null
    })
    return done(this.connecting)
  }

  /** connectAny tries every address once, starting at `nextAddress`. */
  private async connectAny(): Promise<Socket> {
    const addresses = this.options.brokers
    let lastError: unknown
    for (let i = 0; i < addresses.length; i++) {
      const index = (this.nextAddress + i) % addresses.length
      const a = addresses[index] as { host: string; port: number }
      try {
        const s = await this.open(a.host, a.port)
        this.assertOpen(s)
        // After a loss, start with the next address: the node we used may be the one that died.
        this.nextAddress = (index + 1) % addresses.length
        this.socket = s
        return s
      } catch (error) {
        if (error instanceof TributaryError && error.code === 'CLIENT_CLOSED') throw error
        lastError = error
      }
    }
    const list = addresses.map((a) => `${a.host}:${a.port}`).join(', ')
    throw new TributaryError('LEADER_NOT_AVAILABLE', `no broker of ${list} can be reached`, { cause: lastError, details: { brokers: list } })
  }

  private open(host: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port })
      s.setNoDelay(true)
      const timer = this.clock.setTimeout(() => s.destroy(new Error(`connect to ${host}:${port} timed out after ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs)
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
        if (!connected) reject(lastError ?? new Error(`connection to ${host}:${port} closed`))
        else this.lost(s, host, port, lastError)
      })
    })
  }

  private lost(s: Socket, host: string, port: number, cause: unknown): void {
    if (this.socket !== s) return
    this.socket = null
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(new TributaryError('LEADER_NOT_AVAILABLE', `the connection to ${host}:${port} was lost`, { cause }))
  }

  private settle(h: WireHeader): void {
    const p = this.pending.get(h.id)
    if (p === undefined) return // timed out, or the answer to a $cancel
    this.pending.delete(h.id)
    if (h.e !== undefined) p.reject(h.e)
    else p.resolve(h.v)
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
