import type { Clock, LoggerInput, LogLevel } from '@tributary/core'
import { MAX_TIMER_MS, parseHostPort } from '@tributary/core/internal'
import { type TlsClientOptions, resolveTlsClientOptions } from '@tributary/core/net'
import { checkInt, checkObject, invalidConfig } from '../options'

/** ConnectOptions configure `Tributary.connect`: a client of a cluster over TCP, hosting no node. */
export interface ConnectOptions {
  /**
   * brokers: some of the cluster nodes' client addresses, 'host:port' (the bootstrap list). The
   * client learns every node from metadata and talks to each partition's leader directly. Required, non-empty.
   */
  brokers: string[]
  /** clientId: sent with group requests. Default 'tributary'. */
  clientId?: string
  /** clock: time for timeouts, retries, heartbeats and metadata age. Default the system clock. */
  clock?: Clock
  /** logger: where log lines go (see TributaryOptions.logger). Default stderr. */
  logger?: LoggerInput
  /** logLevel: the least severe level logged. Default 'warn'. */
  logLevel?: LogLevel
  /** connectTimeoutMs: how long one address may take to accept a connection, in ms. Default 10,000. */
  connectTimeoutMs?: number
  /** requestTimeoutMs: how long a request may wait for its answer, in ms, on top of the wait it asks for (a fetch's maxWaitMs, a produce's timeoutMs, a join's rebalanceTimeoutMs). Default 30,000. */
  requestTimeoutMs?: number
  /** maxInFlightRequests: requests sent and not yet answered, at most, per connection (one connection per node). Default 1,024. */
  maxInFlightRequests?: number
  /** maxQueuedRequests: requests waiting for an in-flight slot, at most, per connection; more fail at once with REQUEST_TIMED_OUT (retriable). Default 10,000. */
  maxQueuedRequests?: number
  /**
   * metadataMaxAgeMs: how long the cached partition leaders are trusted, in ms, before they are
   * asked again even without an error (KafkaJS's `metadataMaxAge`). Errors that show a stale
   * leader, and lost connections, refresh them at once. Default 300,000.
   */
  metadataMaxAgeMs?: number
  /**
   * reconnectBackoffMs: after a node refused a connection, how long it is avoided, in ms: its
   * partitions go to another node (which forwards) and it is tried last for other calls. Default 1,000.
   */
  reconnectBackoffMs?: number
  /**
   * ssl: dial the nodes over TLS (`true`: trusting the system's certificate authorities; an object
   * of node:tls options: `ca` to trust a private authority, `key` and `cert` for a client
   * certificate). Default plaintext.
   */
  ssl?: boolean | TlsClientOptions
  /**
   * sasl: authenticate on every connection before any call, as the node's `security.sasl`
   * requires (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; SCRAM also checks that the node knows the
   * password). Refused credentials fail the call with SASL_AUTHENTICATION_FAILED. Default none.
   */
  sasl?: ConnectSaslOptions
}

/** ConnectSaslOptions are the client's SASL credentials (the mechanism as KafkaJS spells it). */
export interface ConnectSaslOptions {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  username: string
  password: string
}

/** ResolvedConnectOptions have every default filled in. */
export interface ResolvedConnectOptions {
  readonly brokers: ReadonlyArray<{ host: string; port: number }>
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly maxInFlightRequests: number
  readonly maxQueuedRequests: number
  readonly metadataMaxAgeMs: number
  readonly reconnectBackoffMs: number
  readonly tls: TlsClientOptions | undefined
  readonly sasl: Readonly<ConnectSaslOptions> | undefined
}

/** CONNECT_DEFAULTS are the defaults of `Tributary.connect`'s network options. */
export const CONNECT_DEFAULTS = Object.freeze({
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlightRequests: 1024,
  maxQueuedRequests: 10_000,
  metadataMaxAgeMs: 300_000,
  reconnectBackoffMs: 1_000,
})

/** The smallest value of each numeric option (0: "every time" makes sense for ages and backoffs). */
const MIN: Readonly<Record<keyof typeof CONNECT_DEFAULTS, number>> = {
  connectTimeoutMs: 1,
  requestTimeoutMs: 1,
  maxInFlightRequests: 1,
  maxQueuedRequests: 1,
  metadataMaxAgeMs: 0,
  reconnectBackoffMs: 0,
}

const KNOWN = [
  'brokers',
  'clientId',
  'clock',
  'logger',
  'logLevel',
  'ssl',
  'sasl',
  ...(Object.keys(CONNECT_DEFAULTS) as Array<keyof typeof CONNECT_DEFAULTS>),
] as const

/**
 * resolveConnectOptions checks `Tributary.connect` options (clientId and clock are checked by
 * the entry point's own resolver).
 * @throws TributaryError INVALID_CONFIG with the option's path.
 */
export function resolveConnectOptions(options: ConnectOptions): ResolvedConnectOptions {
  const o = checkObject(options, 'connect', KNOWN)
  if (!Array.isArray(o.brokers) || o.brokers.length === 0)
    throw invalidConfig('connect.brokers', "must be a non-empty array of 'host:port'")
  const brokers = o.brokers.map((b: unknown, i) => parseHostPort(b, `connect.brokers[${i}]`))
  const int = (key: keyof typeof CONNECT_DEFAULTS): number =>
    o[key] === undefined
      ? CONNECT_DEFAULTS[key]
      : checkInt(o[key], `connect.${key}`, MIN[key], key.endsWith('Ms') ? MAX_TIMER_MS : undefined)
  return {
    brokers,
    connectTimeoutMs: int('connectTimeoutMs'),
    requestTimeoutMs: int('requestTimeoutMs'),
    maxInFlightRequests: int('maxInFlightRequests'),
    maxQueuedRequests: int('maxQueuedRequests'),
    metadataMaxAgeMs: int('metadataMaxAgeMs'),
    reconnectBackoffMs: int('reconnectBackoffMs'),
    tls: resolveTlsClientOptions(o.ssl, 'connect.ssl'),
    sasl: resolveConnectSasl(o.sasl),
  }
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

/** resolveConnectSasl checks `connect.sasl`. @throws TributaryError INVALID_CONFIG. */
function resolveConnectSasl(value: unknown): Readonly<ConnectSaslOptions> | undefined {
  if (value === undefined) return undefined
  const o = checkObject(value, 'connect.sasl', ['mechanism', 'username', 'password'])
  if (!SASL_MECHANISMS.includes(o.mechanism as never))
    throw invalidConfig('connect.sasl.mechanism', `must be one of ${SASL_MECHANISMS.join(', ')}`)
  if (typeof o.username !== 'string' || o.username === '') throw invalidConfig('connect.sasl.username', 'must be a non-empty string')
  if (typeof o.password !== 'string') throw invalidConfig('connect.sasl.password', 'must be a string')
  return Object.freeze({ mechanism: o.mechanism as ConnectSaslOptions['mechanism'], username: o.username, password: o.password })
}
