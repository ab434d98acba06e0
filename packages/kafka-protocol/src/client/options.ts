import { checkBool, checkInt, checkNumber, checkObject, checkOneOf, invalidConfig } from '@tributary/core/internal'

/**
 * KafkaTlsOptions configure TLS to the brokers (node:tls). `ssl: true` is TLS with the system's
 * trusted CAs and the host name checked.
 */
export interface KafkaTlsOptions {
  /** ca: PEM certificates trusted to sign the brokers' certificates (instead of the system's). */
  ca?: string | Buffer | Array<string | Buffer>
  /** cert: the client certificate chain (PEM), for brokers that authenticate clients by certificate (mTLS). */
  cert?: string | Buffer | Array<string | Buffer>
  /** key: the client certificate's private key (PEM). */
  key?: string | Buffer | Array<string | Buffer>
  /** passphrase: the private key's passphrase. */
  passphrase?: string
  /** servername: the name checked against the broker's certificate and sent as SNI. Default: the broker's host. */
  servername?: string
  /** rejectUnauthorized: refuse brokers whose certificate does not verify. Default true; false is for tests only. */
  rejectUnauthorized?: boolean
}

/** KafkaSaslMechanism is a SASL mechanism the client speaks (Kafka's names, lower case as KafkaJS takes them). */
export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512'

/** KafkaSaslOptions are the credentials for SASL authentication (use TLS with PLAIN: it sends the password). */
export interface KafkaSaslOptions {
  mechanism: KafkaSaslMechanism
  username: string
  password: string
}

/** KafkaRetryOptions shape the backoff of the client's own retries (finding a coordinator, reconnecting, metadata). */
export interface KafkaRetryOptions {
  /** Attempts after the first one. Default 5. */
  retries?: number
  /** Wait before the first retry, in ms. Default 100. */
  initialRetryTimeMs?: number
  /** Upper bound on one wait, in ms. Default 1000. */
  maxRetryTimeMs?: number
  /** Growth of the wait per attempt. Default 2. */
  multiplier?: number
  /** Random jitter, as a fraction of the wait (±). Default 0.2. */
  factor?: number
}

/**
 * KafkaClientOptions configure the Kafka backend: a Broker that speaks the Kafka protocol to any
 * Kafka cluster (Apache Kafka, Redpanda, MSK, Confluent Cloud, or `tributary serve`).
 */
export interface KafkaClientOptions {
  /** brokers: bootstrap addresses, 'host:port'; the rest of the cluster is learnt from metadata. Required, non-empty. */
  brokers: string[]
  /** clientId: the client id of every request header (brokers log it and quotas use it). Default 'tributary'. */
  clientId?: string
  /** ssl: TLS to every broker; true for the system CAs, or TLS options. Default off. */
  ssl?: boolean | KafkaTlsOptions
  /** sasl: authenticate every connection with SASL PLAIN or SCRAM (SaslHandshake v1 + SaslAuthenticate). Default off. */
  sasl?: KafkaSaslOptions
  /** connectionTimeoutMs: how long a TCP (and TLS) connection may take to open, in ms. Default 10,000. */
  connectionTimeoutMs?: number
  /** authenticationTimeoutMs: how long ApiVersions and SASL may take on a new connection, in ms. Default 10,000. */
  authenticationTimeoutMs?: number
  /**
   * requestTimeoutMs: how long a request may wait for its answer, in ms, on top of the wait it
   * asks the broker for (a fetch's maxWaitMs, a produce's timeoutMs, a join's rebalanceTimeoutMs).
   * A timed-out connection is closed, as Kafka's Java client does. Default 30,000.
   */
  requestTimeoutMs?: number
  /** maxInFlightRequests: requests sent and not yet answered on one connection, at most. Default 32. */
  maxInFlightRequests?: number
  /** maxQueuedRequests: requests waiting for an in-flight slot on one connection, at most; more fail at once with REQUEST_TIMED_OUT (retriable). Default 10,000. */
  maxQueuedRequests?: number
  /**
   * maxConnectionsPerBroker: connections to one broker, at most: one for produce, metadata and
   * admin, one for group heartbeats and commits, and the rest for calls that wait at the broker
   * (fetch long polls, JoinGroup, SyncGroup), each on a connection of its own so that a wait never
   * delays a heartbeat. Default 8 (at least 3).
   */
  maxConnectionsPerBroker?: number
  /** metadataMaxAgeMs: cached partition leaders are asked again after this long, in ms, even without an error. Default 300,000. */
  metadataMaxAgeMs?: number
  /** reconnectBackoffMs: a broker that refused a connection is not tried again for this long, in ms. Default 1,000. */
  reconnectBackoffMs?: number
  /** maxResponseBytes: the largest response frame accepted, in bytes (librdkafka's receive.message.max.bytes). Default 104,857,600. */
  maxResponseBytes?: number
  /** retry: backoff of the client's own retries (coordinator moves, leader changes of offset lookups, topic creation). */
  retry?: KafkaRetryOptions
}

/** ResolvedKafkaClientOptions have every default filled in and every value checked. */
export interface ResolvedKafkaClientOptions {
  readonly brokers: ReadonlyArray<{ host: string; port: number }>
  readonly clientId: string
  readonly ssl: KafkaTlsOptions | null
  readonly sasl: KafkaSaslOptions | null
  readonly connectionTimeoutMs: number
  readonly authenticationTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly maxInFlightRequests: number
  readonly maxQueuedRequests: number
  readonly maxConnectionsPerBroker: number
  readonly metadataMaxAgeMs: number
  readonly reconnectBackoffMs: number
  readonly maxResponseBytes: number
  readonly retry: Readonly<Required<KafkaRetryOptions>>
}

/** KAFKA_RETRY_DEFAULTS is the default backoff of the Kafka backend's own retries. */
export const KAFKA_RETRY_DEFAULTS = Object.freeze({ retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 1000, multiplier: 2, factor: 0.2 })

/** KAFKA_CLIENT_DEFAULTS are the defaults of the Kafka backend's options. */
export const KAFKA_CLIENT_DEFAULTS = Object.freeze({
  clientId: 'tributary',
  connectionTimeoutMs: 10_000,
  authenticationTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlightRequests: 32,
  maxQueuedRequests: 10_000,
  maxConnectionsPerBroker: 8,
  metadataMaxAgeMs: 300_000,
  reconnectBackoffMs: 1_000,
  maxResponseBytes: 104_857_600,
  retry: KAFKA_RETRY_DEFAULTS,
})

type IntOption = Exclude<keyof typeof KAFKA_CLIENT_DEFAULTS, 'clientId' | 'retry'>

const MAX_MS = 2_147_483_647 // Node timers overflow above a signed 32-bit millisecond count.
/** Range of each numeric option: [min, max]. */
const RANGES: Readonly<Record<IntOption, readonly [number, number]>> = {
  connectionTimeoutMs: [1, MAX_MS],
  authenticationTimeoutMs: [1, MAX_MS],
  requestTimeoutMs: [1, MAX_MS],
  maxInFlightRequests: [1, 100_000],
  maxQueuedRequests: [1, 10_000_000],
  maxConnectionsPerBroker: [3, 1024],
  metadataMaxAgeMs: [0, MAX_MS],
  reconnectBackoffMs: [0, MAX_MS],
  maxResponseBytes: [1024, 2_147_483_647],
}

const KNOWN = ['brokers', 'clientId', 'ssl', 'sasl', 'retry', ...(Object.keys(RANGES) as IntOption[])]
const TLS_KEYS = ['ca', 'cert', 'key', 'passphrase', 'servername', 'rejectUnauthorized']
const MECHANISMS: readonly KafkaSaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512']

/**
 * resolveKafkaClientOptions checks the Kafka backend's options and fills in the defaults.
 * @param path the options' name in error messages (`kafka` in `Tributary.connect({ kafka })`).
 * @throws TributaryError INVALID_CONFIG whose `details.path` names the bad option.
 */
export function resolveKafkaClientOptions(options: KafkaClientOptions, path = 'kafka'): ResolvedKafkaClientOptions {
  const o = checkObject(options, path, KNOWN)
  if (options === undefined) throw invalidConfig(path, 'is required')
  if (!Array.isArray(o.brokers) || o.brokers.length === 0)
    throw invalidConfig(`${path}.brokers`, "must be a non-empty array of 'host:port'")
  const brokers = (o.brokers as unknown[]).map((b, i) => parseAddress(b, `${path}.brokers[${i}]`))
  const clientId = o.clientId ?? KAFKA_CLIENT_DEFAULTS.clientId
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 32767)
    throw invalidConfig(`${path}.clientId`, 'must be a non-empty string')
  const int = (key: IntOption): number => {
    const [min, max] = RANGES[key]
    return o[key] === undefined ? KAFKA_CLIENT_DEFAULTS[key] : checkInt(o[key], `${path}.${key}`, min, max)
  }
  return Object.freeze({
    brokers: Object.freeze(brokers),
    clientId,
    ssl: resolveTls(o.ssl, `${path}.ssl`),
    sasl: resolveSasl(o.sasl, `${path}.sasl`),
    connectionTimeoutMs: int('connectionTimeoutMs'),
    authenticationTimeoutMs: int('authenticationTimeoutMs'),
    requestTimeoutMs: int('requestTimeoutMs'),
    maxInFlightRequests: int('maxInFlightRequests'),
    maxQueuedRequests: int('maxQueuedRequests'),
    maxConnectionsPerBroker: int('maxConnectionsPerBroker'),
    metadataMaxAgeMs: int('metadataMaxAgeMs'),
    reconnectBackoffMs: int('reconnectBackoffMs'),
    maxResponseBytes: int('maxResponseBytes'),
    retry: resolveRetry(o.retry, `${path}.retry`),
  })
}

function resolveTls(value: unknown, path: string): KafkaTlsOptions | null {
  if (value === undefined || value === false) return null
  if (value === true) return Object.freeze({})
  const o = checkObject(value, path, TLS_KEYS)
  for (const key of ['ca', 'cert', 'key'] as const) {
    const v = o[key]
    if (v !== undefined && !isPem(v) && !(Array.isArray(v) && v.length > 0 && v.every(isPem)))
      throw invalidConfig(`${path}.${key}`, 'must be a PEM string, a Buffer, or an array of them')
  }
  if ((o.cert === undefined) !== (o.key === undefined))
    throw invalidConfig(`${path}.${o.cert === undefined ? 'cert' : 'key'}`, 'is needed with the other of cert and key')
  for (const key of ['passphrase', 'servername'] as const)
    if (o[key] !== undefined && typeof o[key] !== 'string') throw invalidConfig(`${path}.${key}`, 'must be a string')
  if (o.rejectUnauthorized !== undefined) checkBool(o.rejectUnauthorized, `${path}.rejectUnauthorized`)
  return Object.freeze(o as KafkaTlsOptions)
}

function isPem(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || (Buffer.isBuffer(v) && v.length > 0)
}

function resolveSasl(value: unknown, path: string): KafkaSaslOptions | null {
  if (value === undefined) return null
  const o = checkObject(value, path, ['mechanism', 'username', 'password'])
  const mechanism = checkOneOf(typeof o.mechanism === 'string' ? o.mechanism.toLowerCase() : o.mechanism, `${path}.mechanism`, MECHANISMS)
  for (const key of ['username', 'password'] as const)
    if (typeof o[key] !== 'string' || (o[key] as string).length === 0) throw invalidConfig(`${path}.${key}`, 'must be a non-empty string')
  return Object.freeze({ mechanism, username: o.username as string, password: o.password as string })
}

function resolveRetry(value: unknown, path: string): Readonly<Required<KafkaRetryOptions>> {
  const r = { ...KAFKA_RETRY_DEFAULTS, ...checkObject(value, path, Object.keys(KAFKA_RETRY_DEFAULTS)) }
  checkInt(r.retries, `${path}.retries`, 0, 1000)
  checkInt(r.initialRetryTimeMs, `${path}.initialRetryTimeMs`, 0, MAX_MS)
  checkInt(r.maxRetryTimeMs, `${path}.maxRetryTimeMs`, r.initialRetryTimeMs, MAX_MS)
  checkNumber(r.multiplier, `${path}.multiplier`, 1, 100)
  checkNumber(r.factor, `${path}.factor`, 0, 1)
  return Object.freeze(r)
}

function parseAddress(address: unknown, path: string): { host: string; port: number } {
  const m = typeof address === 'string' ? /^(.+):(\d+)$/.exec(address.trim()) : null
  const port = Number(m?.[2])
  if (!m || !Number.isInteger(port) || port <= 0 || port > 65535) throw invalidConfig(path, `must be 'host:port', got ${String(address)}`)
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port }
}
