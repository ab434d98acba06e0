import { hostname } from 'node:os'
import type { TlsOptions } from 'node:tls'
import type { Broker, LoggerInput } from '@tributary/core'
import { isLoggerInput, toLogger, type Logger } from '@tributary/core'
import { checkBool, checkInt, checkObject, invalidConfig } from '@tributary/core/internal'
import { DEFAULT_MAX_FRAME_BYTES } from '../codec/frame'
import { type HostPort, isLoopbackHost, isWildcardHost, parseHostPort } from './address'
import type { ServerTopology } from './topology'

/*
 * KafkaServer's options, resolved in one place: each field documents its unit and default,
 * SERVER_DEFAULTS is frozen, and resolveServerOptions() merges, range-checks, rejects unknown keys
 * and throws INVALID_CONFIG whose `details.path` names the bad option (`kafkaServer.listen`).
 */

/** SaslMechanism is a SASL mechanism the server can offer. */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

/** SASL_MECHANISMS lists every mechanism the server implements. */
export const SASL_MECHANISMS: readonly SaslMechanism[] = Object.freeze(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])

/** ScramCredential is a user's stored SCRAM secret (RFC 5802): never the password itself. */
export interface ScramCredential {
  /** The salt, base64. */
  salt: string
  /** PBKDF2 iterations, at least 4096. */
  iterations: number
  /** H(HMAC(SaltedPassword, "Client Key")), base64. */
  storedKey: string
  /** HMAC(SaltedPassword, "Server Key"), base64. */
  serverKey: string
}

/**
 * SaslUser is one user: a password (turned into salted SCRAM credentials at start, then dropped)
 * or ready-made credentials per SCRAM mechanism (then the password never reaches the server).
 */
export interface SaslUser {
  username: string
  password?: string
  credentials?: Partial<Record<'SCRAM-SHA-256' | 'SCRAM-SHA-512', ScramCredential>>
}

/** SaslOptions turn on SASL authentication: nothing but ApiVersions and the SASL exchange is answered before it. */
export interface SaslOptions {
  /** Mechanisms offered, in order of preference. Default ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN']. */
  mechanisms?: SaslMechanism[]
  /** Users given in code. */
  users?: SaslUser[]
  /** A JSON file `{ "users": [SaslUser, …] }`, read once at start. */
  usersFile?: string
  /** PBKDF2 iterations of credentials made from passwords. Default 4096 (Kafka's minimum). */
  scramIterations?: number
}

/** TlsServerOptions are the node:tls settings the listener takes: a key and certificate (or pfx) at least. */
export type TlsServerOptions = Pick<
  TlsOptions,
  'key' | 'cert' | 'ca' | 'pfx' | 'passphrase' | 'minVersion' | 'maxVersion' | 'ciphers' | 'requestCert' | 'rejectUnauthorized'
>

/** KafkaServerOptions configure `KafkaServer.start`. */
export interface KafkaServerOptions {
  /** The Broker to serve (a LocalBroker on any storage, or a cluster node). Required. */
  broker: Broker
  /** Where to listen: 'host:port' or { host, port }. Default '127.0.0.1:9092'; port 0 picks a free one. */
  listen?: string | HostPort
  /**
   * The address clients are told to connect to (Metadata, FindCoordinator). Default the bound
   * address; for a wildcard bind (0.0.0.0), this machine's host name.
   */
  advertise?: string | HostPort
  /** Serve over TLS with these node:tls settings. Default none (plaintext). */
  tls?: TlsServerOptions
  /** Require SASL authentication (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). Default none. */
  sasl?: SaslOptions
  /**
   * Allow binding a routable (non-loopback) address without TLS and SASL. Default false: such a
   * bind is refused with INVALID_CONFIG; with true it is allowed and a warning is logged.
   */
  insecure?: boolean
  /** Largest request frame accepted, in bytes (Kafka's socket.request.max.bytes). Default 104857600 (100 MiB). */
  maxRequestBytes?: number
  /** Most open client connections; more are closed at once. Default 4096. */
  maxConnections?: number
  /** Requests one connection may have received and not yet answered; the socket is not read beyond it. Default 100. */
  maxInFlightPerConnection?: number
  /**
   * Bytes of requests the whole server may hold (received, not yet answered), in bytes (Kafka's
   * queued.max.request.bytes); beyond it no connection is read until answers free room. Default
   * 536870912 (512 MiB).
   */
  maxQueuedRequestBytes?: number
  /** A connection with no request for this long is closed, in ms (Kafka's connections.max.idle.ms). Default 600000. */
  idleTimeoutMs?: number
  /** With SASL: a connection not authenticated within this time is closed, in ms. Default 10000. */
  authenticationTimeoutMs?: number
  /** Where log lines go: a Tributary, pino-style or KafkaJS logCreator logger. Default warn+ to stderr. */
  logger?: LoggerInput
  /**
   * How node addresses and group coordinators are found. Default: one node, this listener's
   * advertised address. A cluster node passes its own (every node's Kafka listener).
   */
  topology?: ServerTopology
}

/** ResolvedServerOptions is what the server runs on, every default filled in. */
export interface ResolvedServerOptions {
  readonly broker: Broker
  readonly listen: HostPort
  /** Undefined until the listener is bound when neither `advertise` nor a fixed listen port was given. */
  readonly advertise: HostPort | undefined
  readonly tls: TlsServerOptions | undefined
  readonly sasl: (Required<Pick<SaslOptions, 'mechanisms' | 'scramIterations'>> & Pick<SaslOptions, 'users' | 'usersFile'>) | undefined
  readonly insecure: boolean
  readonly maxRequestBytes: number
  readonly maxConnections: number
  readonly maxInFlightPerConnection: number
  readonly maxQueuedRequestBytes: number
  readonly idleTimeoutMs: number
  readonly authenticationTimeoutMs: number
  readonly logger: Logger
  readonly topology: ServerTopology | undefined
}

/** SERVER_DEFAULTS are the defaults of every optional setting. */
export const SERVER_DEFAULTS = Object.freeze({
  listen: Object.freeze({ host: '127.0.0.1', port: 9092 }),
  insecure: false,
  maxRequestBytes: DEFAULT_MAX_FRAME_BYTES,
  maxConnections: 4096,
  maxInFlightPerConnection: 100,
  maxQueuedRequestBytes: 512 * 1024 * 1024,
  idleTimeoutMs: 600_000,
  authenticationTimeoutMs: 10_000,
  sasl: Object.freeze({ mechanisms: Object.freeze(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as SaslMechanism[]), scramIterations: 4096 }),
})

const KNOWN = [
  'broker',
  'listen',
  'advertise',
  'tls',
  'sasl',
  'insecure',
  'maxRequestBytes',
  'maxConnections',
  'maxInFlightPerConnection',
  'maxQueuedRequestBytes',
  'idleTimeoutMs',
  'authenticationTimeoutMs',
  'logger',
  'topology',
] as const
const SASL_KNOWN = ['mechanisms', 'users', 'usersFile', 'scramIterations'] as const
/** Kafka refuses SCRAM credentials under 4096 iterations, and so do KafkaJS and librdkafka. */
const MIN_SCRAM_ITERATIONS = 4096
const MAX_SCRAM_ITERATIONS = 1_000_000

/**
 * resolveServerOptions checks and completes KafkaServer's options.
 * @throws TributaryError INVALID_CONFIG naming the option (`kafkaServer.<name>`).
 */
export function resolveServerOptions(options: KafkaServerOptions): ResolvedServerOptions {
  const o = checkObject(options, 'kafkaServer', KNOWN)
  const broker = o.broker as Broker | undefined
  if (broker === undefined || broker === null || typeof broker !== 'object' || typeof broker.produce !== 'function')
    throw invalidConfig('kafkaServer.broker', 'must be a Broker')
  const listen = o.listen === undefined ? { ...SERVER_DEFAULTS.listen } : parseHostPort(o.listen)
  if (listen === undefined) throw invalidConfig('kafkaServer.listen', `must be 'host:port' or { host, port }, got ${String(o.listen)}`)
  const advertise = resolveAdvertise(o.advertise, listen)
  const tls = resolveTls(o.tls)
  const sasl = resolveSasl(o.sasl)
  const insecure = o.insecure === undefined ? SERVER_DEFAULTS.insecure : checkBool(o.insecure, 'kafkaServer.insecure')
  if (!isLoopbackHost(listen.host) && (tls === undefined || sasl === undefined) && !insecure) {
    throw invalidConfig(
      'kafkaServer.listen',
      `binds the routable address ${listen.host} without TLS and SASL; configure both, or set insecure: true to accept the risk`,
    )
  }
  if (o.logger !== undefined && !isLoggerInput(o.logger)) {
    throw invalidConfig('kafkaServer.logger', 'must have error, warn, info and debug methods, or be a KafkaJS logCreator')
  }
  const topology = o.topology as ServerTopology | undefined
  if (topology !== undefined && (topology === null || typeof topology.brokers !== 'function' || typeof topology.coordinator !== 'function'))
    throw invalidConfig('kafkaServer.topology', 'must have brokers() and coordinator()')
  return Object.freeze({
    broker,
    listen,
    advertise,
    tls,
    sasl,
    insecure,
    maxRequestBytes: int(o, 'maxRequestBytes', 1024, 2_147_483_647),
    maxConnections: int(o, 'maxConnections', 1, 1_000_000),
    maxInFlightPerConnection: int(o, 'maxInFlightPerConnection', 1, 100_000),
    maxQueuedRequestBytes: int(o, 'maxQueuedRequestBytes', 1024, Number.MAX_SAFE_INTEGER),
    idleTimeoutMs: int(o, 'idleTimeoutMs', 1, 2_147_483_647),
    authenticationTimeoutMs: int(o, 'authenticationTimeoutMs', 1, 2_147_483_647),
    logger: toLogger(o.logger as LoggerInput | undefined),
    topology,
  })
}

function int(o: Record<string, unknown>, name: keyof typeof SERVER_DEFAULTS & string, min: number, max: number): number {
  const value = o[name] ?? SERVER_DEFAULTS[name]
  return checkInt(value, `kafkaServer.${name}`, min, max)
}

function resolveAdvertise(value: unknown, listen: HostPort): HostPort | undefined {
  if (value !== undefined) {
    const advertise = parseHostPort(value)
    if (advertise === undefined || advertise.port === 0 || isWildcardHost(advertise.host))
      throw invalidConfig('kafkaServer.advertise', `must be a dialable 'host:port' or { host, port }, got ${String(value)}`)
    return advertise
  }
  if (listen.port === 0) return undefined
  return { host: isWildcardHost(listen.host) ? hostname() : listen.host, port: listen.port }
}

/** advertisedFor completes the advertised address once the listener is bound (port 0 becomes the real port). */
export function advertisedFor(options: ResolvedServerOptions, bound: HostPort): HostPort {
  if (options.advertise !== undefined) return options.advertise
  return { host: isWildcardHost(options.listen.host) ? hostname() : options.listen.host, port: bound.port }
}

function resolveTls(value: unknown): TlsServerOptions | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidConfig('kafkaServer.tls', 'must be an object')
  const tls = value as TlsServerOptions
  if (tls.pfx === undefined && (tls.key === undefined || tls.cert === undefined))
    throw invalidConfig('kafkaServer.tls', 'needs key and cert (or pfx)')
  return tls
}

function resolveSasl(value: unknown): ResolvedServerOptions['sasl'] {
  if (value === undefined) return undefined
  const s = checkObject(value, 'kafkaServer.sasl', SASL_KNOWN)
  const mechanisms = (s.mechanisms ?? SERVER_DEFAULTS.sasl.mechanisms) as unknown
  if (!Array.isArray(mechanisms) || mechanisms.length === 0 || mechanisms.some((m) => !SASL_MECHANISMS.includes(m)))
    throw invalidConfig('kafkaServer.sasl.mechanisms', `must be a non-empty list of ${SASL_MECHANISMS.join(', ')}`)
  const scramIterations = checkInt(
    s.scramIterations ?? SERVER_DEFAULTS.sasl.scramIterations,
    'kafkaServer.sasl.scramIterations',
    MIN_SCRAM_ITERATIONS,
    MAX_SCRAM_ITERATIONS,
  )
  if (s.users !== undefined && !Array.isArray(s.users)) throw invalidConfig('kafkaServer.sasl.users', 'must be an array of users')
  if (s.usersFile !== undefined && (typeof s.usersFile !== 'string' || s.usersFile === ''))
    throw invalidConfig('kafkaServer.sasl.usersFile', 'must be a file path')
  if (s.users === undefined && s.usersFile === undefined)
    throw invalidConfig('kafkaServer.sasl', 'needs users or usersFile (nobody could authenticate)')
  return Object.freeze({
    mechanisms: [...new Set(mechanisms as SaslMechanism[])],
    scramIterations,
    users: s.users as SaslUser[] | undefined,
    usersFile: s.usersFile as string | undefined,
  })
}
