import { hostname } from 'node:os'
import type { Broker, LoggerInput } from '@tributary/core'
import { isLoggerInput, toLogger, type Logger } from '@tributary/core'
import { checkBool, checkInt, checkObject, invalidConfig } from '@tributary/core/internal'
import {
  Acl,
  type AclEntry,
  type ResolvedSaslOptions,
  SASL_DEFAULTS,
  type SaslOptions,
  type TlsServerOptions,
  resolveAcl,
  resolveSaslOptions,
  resolveTlsServerOptions,
} from '@tributary/core/net'
import { DEFAULT_MAX_FRAME_BYTES } from '../codec/frame'
import { type HostPort, isLoopbackHost, isWildcardHost, parseHostPort } from './address'
import type { ServerTopology } from './topology'

/*
 * KafkaServer's options, resolved in one place: each field documents its unit and default,
 * SERVER_DEFAULTS is frozen, and resolveServerOptions() merges, range-checks, rejects unknown keys
 * and throws INVALID_CONFIG whose `details.path` names the bad option (`kafkaServer.listen`).
 */

export { SASL_MECHANISMS } from '@tributary/core/net'
export type { AclEntry, AclOperation, SaslMechanism, SaslOptions, SaslUser, ScramCredential, TlsServerOptions } from '@tributary/core/net'

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
   * What each principal may do: a list of { principal, operations, resourcePrefix? } (the same ACL
   * a cluster node's client port takes; a ClusterNode's own is `node.acl`). Principals are SASL user
   * names (`alice` or `User:alice`), ANONYMOUS without SASL. With an ACL, what no entry allows is
   * refused: TOPIC_AUTHORIZATION_FAILED (29) per topic, GROUP_AUTHORIZATION_FAILED (30),
   * CLUSTER_AUTHORIZATION_FAILED (31), and Metadata of all topics lists only those the principal
   * may describe. Default none: every client may do everything.
   */
  acl?: readonly AclEntry[] | Acl
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
  readonly sasl: ResolvedSaslOptions | undefined
  readonly acl: Acl | undefined
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
  sasl: SASL_DEFAULTS,
})

const KNOWN = [
  'broker',
  'listen',
  'advertise',
  'tls',
  'sasl',
  'acl',
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
  const tls = resolveTlsServerOptions(o.tls, 'kafkaServer.tls')
  const sasl = resolveSaslOptions(o.sasl, 'kafkaServer.sasl')
  const acl = o.acl instanceof Acl ? o.acl : resolveAcl(o.acl, 'kafkaServer.acl')
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
    acl,
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
