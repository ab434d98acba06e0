import type { Clock } from '@tributary/core'
import { checkInt, checkObject, invalidConfig } from '../options'

/** ConnectOptions configure `Tributary.connect`: a client of a cluster over TCP, hosting no node. */
export interface ConnectOptions {
  /** brokers: cluster nodes' client addresses, 'host:port'; the first reachable one is used, the next on connection loss. Required, non-empty. */
  brokers: string[]
  /** clientId: sent with group requests. Default 'tributary'. */
  clientId?: string
  /** clock: time for timeouts, retries and heartbeats. Default the system clock. */
  clock?: Clock
  /** connectTimeoutMs: how long one address may take to accept a connection, in ms. Default 10,000. */
  connectTimeoutMs?: number
  /** requestTimeoutMs: how long a request may wait for its answer, in ms, on top of the wait it asks for (a fetch's maxWaitMs, a produce's timeoutMs, a join's rebalanceTimeoutMs). Default 30,000. */
  requestTimeoutMs?: number
  /** maxInFlightRequests: requests sent and not yet answered, at most. Default 1,024. */
  maxInFlightRequests?: number
  /** maxQueuedRequests: requests waiting for an in-flight slot, at most; more fail at once with REQUEST_TIMED_OUT (retriable). Default 10,000. */
  maxQueuedRequests?: number
}

/** ResolvedConnectOptions have every default filled in. */
export interface ResolvedConnectOptions {
  readonly brokers: ReadonlyArray<{ host: string; port: number }>
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly maxInFlightRequests: number
  readonly maxQueuedRequests: number
}

/** CONNECT_DEFAULTS are the defaults of `Tributary.connect`'s network options. */
export const CONNECT_DEFAULTS = Object.freeze({ connectTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxInFlightRequests: 1024, maxQueuedRequests: 10_000 })

const KNOWN = ['brokers', 'clientId', 'clock', 'connectTimeoutMs', 'requestTimeoutMs', 'maxInFlightRequests', 'maxQueuedRequests'] as const

/**
 * resolveConnectOptions checks `Tributary.connect` options (clientId and clock are checked by
 * the entry point's own resolver).
 * @throws TributaryError INVALID_CONFIG with the option's path.
 */
export function resolveConnectOptions(options: ConnectOptions): ResolvedConnectOptions {
  const o = checkObject(options, 'connect', KNOWN)
  if (!Array.isArray(o.brokers) || o.brokers.length === 0) throw invalidConfig('connect.brokers', "must be a non-empty array of 'host:port'")
  const brokers = o.brokers.map((b: unknown, i) => parseAddress(b, `connect.brokers[${i}]`))
  const int = (key: keyof typeof CONNECT_DEFAULTS): number => (o[key] === undefined ? CONNECT_DEFAULTS[key] : checkInt(o[key], `connect.${key}`, 1))
  return {
    brokers,
    connectTimeoutMs: int('connectTimeoutMs'),
    requestTimeoutMs: int('requestTimeoutMs'),
    maxInFlightRequests: int('maxInFlightRequests'),
    maxQueuedRequests: int('maxQueuedRequests'),
  }
}

function parseAddress(address: unknown, path: string): { host: string; port: number } {
  const m = typeof address === 'string' ? /^(.+):(\d+)$/.exec(address) : null
  const port = Number(m?.[2])
  if (!m || !Number.isInteger(port) || port <= 0 || port > 65535) throw invalidConfig(path, `must be 'host:port', got ${String(address)}`)
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port }
}
