import { checkInt, checkObject, invalidConfig } from '../option-checks'

/*
 * The limits every listener applies to its connections (Kafka's socket.request.max.bytes,
 * max.connections, max.connections.per.ip, connections.max.idle.ms), resolved once, and the
 * counters that enforce the connection limits.
 */

/** ListenerLimits bound one listener's connections; every field has a finite default. */
export interface ListenerLimits {
  /** maxFrameBytes: the largest frame accepted, checked on its length prefix before anything is buffered, in bytes. Default 104,857,600 (100 MiB, Kafka's socket.request.max.bytes). */
  maxFrameBytes?: number
  /** maxConnections: open connections at once; more are closed at once. Default 4,096. */
  maxConnections?: number
  /** maxConnectionsPerAddress: open connections from one source address (Kafka's max.connections.per.ip). Default 256. */
  maxConnectionsPerAddress?: number
  /** maxBufferedBytes: bytes of incomplete frames held over all connections; a connection that would pass it is closed, in bytes. Default 536,870,912 (512 MiB). */
  maxBufferedBytes?: number
  /** idleTimeoutMs: a connection with no request in flight and nothing received for this long is closed, in ms. Default 600,000 (Kafka's connections.max.idle.ms). */
  idleTimeoutMs?: number
  /** frameTimeoutMs: a frame once begun must arrive whole within this time (slowloris), in ms. Default 30,000. */
  frameTimeoutMs?: number
  /** authenticationTimeoutMs: with authentication on, a connection not authenticated within this time is closed, in ms. Default 10,000. */
  authenticationTimeoutMs?: number
  /** maxInFlightRequests: requests one connection may have unanswered; the socket is not read beyond it. Default 1,024. */
  maxInFlightRequests?: number
}

/** ResolvedListenerLimits has every limit filled in. */
export type ResolvedListenerLimits = Readonly<Required<ListenerLimits>>

/** LISTENER_LIMIT_DEFAULTS are the defaults of ListenerLimits. */
export const LISTENER_LIMIT_DEFAULTS: ResolvedListenerLimits = Object.freeze({
  maxFrameBytes: 100 * 1024 * 1024,
  maxConnections: 4096,
  maxConnectionsPerAddress: 256,
  maxBufferedBytes: 512 * 1024 * 1024,
  idleTimeoutMs: 600_000,
  frameTimeoutMs: 30_000,
  authenticationTimeoutMs: 10_000,
  maxInFlightRequests: 1024,
})

const MAX_TIMER = 2_147_483_647

/**
 * resolveListenerLimits checks the limits at `path` and fills in the defaults.
 * @throws TributaryError INVALID_CONFIG naming the option (`<path>.maxFrameBytes`).
 */
export function resolveListenerLimits(value: unknown, path: string): ResolvedListenerLimits {
  const o = checkObject(value, path, Object.keys(LISTENER_LIMIT_DEFAULTS)) as ListenerLimits
  const d = LISTENER_LIMIT_DEFAULTS
  const r = {
    maxFrameBytes: checkInt(o.maxFrameBytes ?? d.maxFrameBytes, `${path}.maxFrameBytes`, 1024, 2 ** 31 - 1),
    maxConnections: checkInt(o.maxConnections ?? d.maxConnections, `${path}.maxConnections`, 1, 1_000_000),
    maxConnectionsPerAddress: checkInt(
      o.maxConnectionsPerAddress ?? d.maxConnectionsPerAddress,
      `${path}.maxConnectionsPerAddress`,
      1,
      1_000_000,
    ),
    maxBufferedBytes: checkInt(o.maxBufferedBytes ?? d.maxBufferedBytes, `${path}.maxBufferedBytes`, 1024, Number.MAX_SAFE_INTEGER),
    idleTimeoutMs: checkInt(o.idleTimeoutMs ?? d.idleTimeoutMs, `${path}.idleTimeoutMs`, 1, MAX_TIMER),
    frameTimeoutMs: checkInt(o.frameTimeoutMs ?? d.frameTimeoutMs, `${path}.frameTimeoutMs`, 1, MAX_TIMER),
    authenticationTimeoutMs: checkInt(
      o.authenticationTimeoutMs ?? d.authenticationTimeoutMs,
      `${path}.authenticationTimeoutMs`,
      1,
      MAX_TIMER,
    ),
    maxInFlightRequests: checkInt(o.maxInFlightRequests ?? d.maxInFlightRequests, `${path}.maxInFlightRequests`, 1, 1_000_000),
  }
  if (r.maxBufferedBytes < r.maxFrameBytes)
    throw invalidConfig(`${path}.maxBufferedBytes`, `must be at least maxFrameBytes (${r.maxFrameBytes})`)
  return Object.freeze(r)
}

/**
 * ConnectionGate counts a listener's open connections, in total and per source address, and the
 * bytes of incomplete frames its connections hold; a listener asks it before accepting a
 * connection and before buffering more of a frame.
 */
export class ConnectionGate {
  private total = 0
  private readonly byAddress = new Map<string, number>()
  private buffered = 0

  constructor(readonly limits: ResolvedListenerLimits) {}

  /** admit counts a new connection from `address`, or returns why it must be refused. */
  admit(address: string): { ok: true } | { ok: false; reason: string } {
    if (this.total >= this.limits.maxConnections)
      return { ok: false, reason: `the listener has ${this.total} connections (maxConnections)` }
    const n = this.byAddress.get(address) ?? 0
    if (n >= this.limits.maxConnectionsPerAddress)
      return { ok: false, reason: `${address} has ${n} connections (maxConnectionsPerAddress)` }
    this.total++
    this.byAddress.set(address, n + 1)
    return { ok: true }
  }

  /** release uncounts a connection admitted from `address`. */
  release(address: string): void {
    this.total--
    const n = (this.byAddress.get(address) ?? 1) - 1
    if (n <= 0) this.byAddress.delete(address)
    else this.byAddress.set(address, n)
  }

  /** reserve takes `bytes` of the shared buffer budget; false when it is spent (close that connection). */
  reserve(bytes: number): boolean {
    if (this.buffered + bytes > this.limits.maxBufferedBytes) return false
    this.buffered += bytes
    return true
  }

  /** unreserve gives buffer budget back. */
  unreserve(bytes: number): void {
    this.buffered = Math.max(0, this.buffered - bytes)
  }

  /** connections is the number of open connections. */
  get connections(): number {
    return this.total
  }

  /** bufferedBytes is the bytes of incomplete frames held now. */
  get bufferedBytes(): number {
    return this.buffered
  }
}
