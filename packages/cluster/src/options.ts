import {
  GROUP_COORDINATOR_DEFAULTS,
  isLogLevel,
  isLoggerInput,
  resolveLogger,
  type Broker,
  type Clock,
  type Logger,
  type LoggerInput,
  type LogLevel,
  type GroupCoordinatorOptions,
  type Storage,
  resolveGroupCoordinatorOptions,
  systemClock,
} from '@tributary/core'
import { checkBool, checkInt, checkMs, checkObject, invalidConfig, parseHostPort, stripUndefined } from '@tributary/core/internal'
import type { RaftStorage, Transport } from '@tributary/raft'
import { type PartitionSnapshotOptions, resolvePartitionSnapshotOptions } from './replica/partition-snapshot'
import type { PeerChannel } from './server/peer-channel'
import { type ClusterSecurityOptions, type ResolvedClusterSecurity, resolveClusterSecurity } from './security'

/** ClusterNodeOptions configures one node of a Tributary cluster. */
export interface ClusterNodeOptions {
  /** nodeId: this node's id (positive integer, never reused). Required. */
  readonly nodeId: number
  /**
   * listen: 'host:port' where this node serves clients and peers (the bind address). Required (port
   * 0 = ephemeral). A routable host needs `security` (TLS, cluster secret, SASL) or `insecure: true`.
   */
  readonly listen: string
  /** advertise: 'host:port' other nodes and clients are told to dial. Default: `listen` (a wildcard host becomes this machine's name). */
  readonly advertise?: string
  /** raftListen: 'host:port' where this node serves Raft messages. Default: `listen`'s host, its port + 1 (0 with port 0). */
  readonly raftListen?: string
  /** raftAdvertise: 'host:port' other nodes dial for Raft. Default: `advertise`'s host with the Raft port. */
  readonly raftAdvertise?: string
  /**
   * peers: the other nodes, `{ id: 'host:port' }` (their Raft port is then port + 1) or
   * `{ id: { address: 'host:port', raft: 'host:port' } }`. When the cluster is first formed, this
   * node and its peers are the voters of the metadata group. With `join`, the nodes to ask for admission.
   */
  readonly peers: Readonly<Record<number, string | { address: string; raft?: string }>>
  /** security: TLS, the cluster secret, client SASL, ACLs and listener limits (see ClusterSecurityOptions). Default none: loopback only. */
  readonly security?: ClusterSecurityOptions
  /** insecure: allow a routable `listen` or `raftListen` without full security; a warning is logged at start. Default false. */
  readonly insecure?: boolean
  /**
   * join: this node is new and joins a running cluster (reached through `peers`) instead of
   * forming one: it registers itself, follows the metadata group as a learner (it does not vote),
   * and hosts the replicas that reassignments move to it. Default false.
   */
  readonly join?: boolean
  /**
   * dir: keep everything on disk under this directory: partition logs in `dir/data` (a
   * FileStorage) and each Raft group's state in `dir/raft/<group>` (a FileRaftStorage). Not with
   * `storage` or `raftStorage`. Default: none (memory).
   */
  readonly dir?: string
  /** storage: partition logs of this node. Default: a MemoryStorage (or a FileStorage with `dir`). */
  readonly storage?: Storage
  /** raftStorage: Raft state per group (hard state, log, snapshots). Default: MemoryRaftStorage per group. */
  readonly raftStorage?: (groupId: string) => RaftStorage
  /** transport: Raft messages between nodes. Default: TCP on `listen`'s host, port + 1. */
  readonly transport?: Transport
  /** peerChannel: forwarded requests between nodes. Default: TCP to the peers' listen addresses. */
  readonly peerChannel?: PeerChannel
  /** clock: time for ticks, timeouts and lag. Default: the system clock. */
  readonly clock?: Clock
  /**
   * maxOpenFiles: with `dir`, the most file descriptors the node's storage keeps open, in files:
   * half for partition segments (FileStorage's LRU), half for the Raft logs of its groups. Keep it
   * well under `ulimit -n` (sockets need descriptors too). Default 512, at least 32.
   */
  readonly maxOpenFiles?: number
  /** tickMs: one Raft tick, in ms (1..60,000); the election timeout is 10–20 ticks. Default 50. */
  readonly tickMs?: number
  /** replicaLagTimeMaxMs (`replica.lag.time.max.ms`): a follower not caught up within this is out of sync, in ms. Default 30,000. */
  readonly replicaLagTimeMaxMs?: number
  /** defaultReplicationFactor: for topics created without one, in replicas. Default min(3, nodes). */
  readonly defaultReplicationFactor?: number
  /** numPartitions (`num.partitions`): for topics created without a count. Default 1. */
  readonly numPartitions?: number
  /** maxPartitionsPerTopic: the largest partition count a topic may have (each costs a Raft group). Default 10,000. */
  readonly maxPartitionsPerTopic?: number
  /** autoCreateTopics (`auto.create.topics.enable`): metadata requests may create unknown topics. Default true. */
  readonly autoCreateTopics?: boolean
  /** producerIdExpirationMs (`producer.id.expiration.ms`): a producer id idle this long (by batch timestamps) is forgotten, in ms. Default 86,400,000. */
  readonly producerIdExpirationMs?: number
  /** retentionCheckIntervalMs (`log.retention.check.interval.ms`): how often retention and compaction run, in ms. Default 300,000. */
  readonly retentionCheckIntervalMs?: number
  /** requestTimeoutMs: how long a forwarded or metadata request may take, in ms. Default 10,000. */
  readonly requestTimeoutMs?: number
  /** maxFetchWaiters: long-polling fetches held at once; beyond it a fetch answers at once with what it has. Default 10,000. */
  readonly maxFetchWaiters?: number
  /** seed: seed for Raft election timeouts (an integer). Default random. */
  readonly seed?: number
  /** groupCoordinator: options of the group coordinator (session timeout bounds, initial rebalance delay). Default core's. */
  readonly groupCoordinator?: Partial<GroupCoordinatorOptions>
  /**
   * partitionSnapshots: when each partition's Raft group snapshots and how much Raft log it keeps
   * (snapshotEveryEntries 10,000, snapshotEveryBytes 16 MiB, snapshotTrailingEntries 1,000,
   * snapshotTrailingBytes 4 MiB by default; see PartitionSnapshotOptions).
   */
  readonly partitionSnapshots?: Partial<PartitionSnapshotOptions>
  /**
   * logger: where this node logs leader changes and elections, replica failures and its storage's
   * recovery and slow flushes: a Tributary, pino-style or KafkaJS logCreator logger. Default: stderr.
   */
  readonly logger?: LoggerInput
  /** logLevel: the least severe level logged ('error', 'warn', 'info', 'debug'). Default 'warn' (every level for a given logger). */
  readonly logLevel?: LogLevel
  /**
   * clientBroker: what the node's listener serves to clients, given the node (for example the node
   * seen through metrics counters, as `tributary serve --metrics` does). Default: the node itself.
   * Calls forwarded by other nodes are not passed through it.
   */
  readonly clientBroker?: (node: Broker) => Broker
}

/** CLUSTER_NODE_DEFAULTS holds the default of every optional scalar option (defaultReplicationFactor: min(3, nodes)). */
export const CLUSTER_NODE_DEFAULTS = Object.freeze({
  join: false,
  insecure: false,
  tickMs: 50,
  replicaLagTimeMaxMs: 30_000,
  numPartitions: 1,
  maxPartitionsPerTopic: 10_000,
  autoCreateTopics: true,
  producerIdExpirationMs: 86_400_000,
  retentionCheckIntervalMs: 300_000,
  requestTimeoutMs: 10_000,
  maxFetchWaiters: 10_000,
  maxOpenFiles: 512,
})

/** The options without a scalar default: required ones, injected parts and nested groups. */
const OTHER_KEYS = [
  'nodeId',
  'listen',
  'advertise',
  'raftListen',
  'raftAdvertise',
  'peers',
  'security',
  'dir',
  'storage',
  'raftStorage',
  'transport',
  'peerChannel',
  'clock',
  'defaultReplicationFactor',
  'seed',
  'groupCoordinator',
  'partitionSnapshots',
  'logger',
  'logLevel',
  'clientBroker',
] as const satisfies ReadonlyArray<keyof ClusterNodeOptions>

/** KNOWN_KEYS lists every option: the defaults' keys and the others. */
const KNOWN_KEYS: readonly string[] = [...Object.keys(CLUSTER_NODE_DEFAULTS), ...OTHER_KEYS]

/** The longest tick: the node waits up to 60 ticks for a metadata leader, which must fit a Node timer. */
const MAX_TICK_MS = 60_000

/**
 * ResolvedClusterNodeOptions has every default filled in. It holds no storage of its own: a node
 * builds its FileStorage and FileRaftStorages from `dir` when it starts (resolving has no side
 * effects).
 */
export interface ResolvedClusterNodeOptions {
  readonly nodeId: number
  /** host and port: the client port's bind address. */
  readonly host: string
  readonly port: number
  /** The advertised client address (port 0 until bound: the node fills in the bound port). */
  readonly advertise: { host: string; port: number } | undefined
  /** The Raft port's bind address (port 0: ephemeral). */
  readonly raftListen: { host: string; port: number }
  readonly raftAdvertise: { host: string; port: number } | undefined
  readonly peers: ReadonlyMap<number, { host: string; port: number; raftPort?: number }>
  readonly security: ResolvedClusterSecurity
  readonly insecure: boolean
  readonly join: boolean
  readonly dir: string | undefined
  readonly storage: Storage | undefined
  readonly raftStorage: ((groupId: string) => RaftStorage) | undefined
  readonly transport: Transport | undefined
  readonly peerChannel: PeerChannel | undefined
  readonly clock: Clock
  readonly maxOpenFiles: number
  readonly tickMs: number
  readonly replicaLagTimeMaxMs: number
  readonly defaultReplicationFactor: number
  readonly numPartitions: number
  readonly maxPartitionsPerTopic: number
  readonly autoCreateTopics: boolean
  readonly requestTimeoutMs: number
  readonly maxFetchWaiters: number
  readonly retentionCheckIntervalMs: number
  readonly producerIdExpirationMs: number
  readonly seed: number | undefined
  readonly groupCoordinator: Partial<GroupCoordinatorOptions>
  readonly partitionSnapshots: PartitionSnapshotOptions
  readonly logger: Logger
  readonly clientBroker: ((node: Broker) => Broker) | undefined
}

/**
 * resolveClusterNodeOptions merges the defaults, checks every option (integers as integers,
 * durations within Node's timer limit) and rejects unknown keys. Pure: nothing is opened or built.
 * @throws TributaryError INVALID_CONFIG with the option's path (`options.<name>`).
 */
export function resolveClusterNodeOptions(options: ClusterNodeOptions): ResolvedClusterNodeOptions {
  const o = checkObject(options, 'options', KNOWN_KEYS) as Partial<ClusterNodeOptions>
  const r = { ...CLUSTER_NODE_DEFAULTS, ...stripUndefined(o) }
  const nodeId = checkInt(o.nodeId, 'options.nodeId', 1)
  const listen = parseHostPort(o.listen, 'options.listen', { allowPortZero: true })
  const raftListen =
    o.raftListen === undefined
      ? { host: listen.host, port: listen.port === 0 ? 0 : listen.port + 1 }
      : parseHostPort(o.raftListen, 'options.raftListen', { allowPortZero: true })
  if (raftListen.port > 65535) throw invalidConfig('options.raftListen', `is needed when listen's port is 65535`)
  const advertise = o.advertise === undefined ? undefined : parseHostPort(o.advertise, 'options.advertise')
  const raftAdvertise = o.raftAdvertise === undefined ? undefined : parseHostPort(o.raftAdvertise, 'options.raftAdvertise')
  const insecure = checkBool(r.insecure, 'options.insecure')
  const security = resolveClusterSecurity(o.security, [listen.host, raftListen.host], insecure)
  const peers = resolvePeers(o.peers, nodeId)
  checkStorageChoice(o)
  const nodes = peers.size + 1
  const defaultReplicationFactor = checkInt(o.defaultReplicationFactor ?? Math.min(3, nodes), 'options.defaultReplicationFactor', 1, nodes)
  const maxPartitionsPerTopic = checkInt(r.maxPartitionsPerTopic, 'options.maxPartitionsPerTopic', 1)
  return {
    nodeId,
    host: listen.host,
    port: listen.port,
    advertise,
    raftListen,
    raftAdvertise,
    peers,
    security,
    insecure,
    join: checkBool(r.join, 'options.join'),
    dir: o.dir,
    storage: o.storage,
    raftStorage: o.raftStorage,
    transport: checkPart(o.transport, 'options.transport', ['send', 'onMessage', 'close']),
    peerChannel: checkPart(o.peerChannel, 'options.peerChannel', ['call', 'serve', 'close']),
    clock: checkPart(o.clock, 'options.clock', ['now', 'setTimeout']) ?? systemClock,
    maxOpenFiles: checkInt(r.maxOpenFiles, 'options.maxOpenFiles', 32),
    tickMs: checkInt(r.tickMs, 'options.tickMs', 1, MAX_TICK_MS),
    replicaLagTimeMaxMs: checkMs(r.replicaLagTimeMaxMs, 'options.replicaLagTimeMaxMs', 1),
    defaultReplicationFactor,
    numPartitions: checkInt(r.numPartitions, 'options.numPartitions', 1, maxPartitionsPerTopic),
    maxPartitionsPerTopic,
    autoCreateTopics: checkBool(r.autoCreateTopics, 'options.autoCreateTopics'),
    requestTimeoutMs: checkMs(r.requestTimeoutMs, 'options.requestTimeoutMs', 1),
    maxFetchWaiters: checkInt(r.maxFetchWaiters, 'options.maxFetchWaiters', 1),
    retentionCheckIntervalMs: checkMs(r.retentionCheckIntervalMs, 'options.retentionCheckIntervalMs', 1),
    producerIdExpirationMs: checkInt(r.producerIdExpirationMs, 'options.producerIdExpirationMs', 1),
    seed: o.seed === undefined ? undefined : checkInt(o.seed, 'options.seed', Number.MIN_SAFE_INTEGER),
    groupCoordinator: checkGroupCoordinator(o.groupCoordinator),
    partitionSnapshots: resolvePartitionSnapshotOptions(o.partitionSnapshots),
    logger: checkLogger(o.logger, o.logLevel),
    clientBroker: checkFunction(o.clientBroker, 'options.clientBroker'),
  }
}

/** checkFunction checks an optional function option. */
function checkFunction<T>(value: T | undefined, path: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidConfig(path, 'must be a function')
  return value
}

/** resolvePeers checks `peers`: ids are positive integers other than this node's, addresses 'host:port' (and their Raft ports). */
function resolvePeers(peers: unknown, nodeId: number): Map<number, { host: string; port: number; raftPort?: number }> {
  if (peers === null || typeof peers !== 'object' || Array.isArray(peers))
    throw invalidConfig('options.peers', "must be an object { id: 'host:port' }")
  const out = new Map<number, { host: string; port: number; raftPort?: number }>()
  for (const [id, value] of Object.entries(peers)) {
    const n = Number(id)
    if (!Number.isSafeInteger(n) || n <= 0 || n === nodeId)
      throw invalidConfig(`options.peers.${id}`, 'peer ids must be positive integers other than nodeId')
    if (typeof value === 'string') {
      out.set(n, parseHostPort(value, `options.peers.${id}`))
      continue
    }
    const p = checkObject(value, `options.peers.${id}`, ['address', 'raft']) as { address?: unknown; raft?: unknown }
    const address = parseHostPort(p.address, `options.peers.${id}.address`)
    if (p.raft === undefined) {
      out.set(n, address)
      continue
    }
    const raft = parseHostPort(p.raft, `options.peers.${id}.raft`)
    if (raft.host !== address.host) throw invalidConfig(`options.peers.${id}.raft`, 'must be on the same host as the address')
    out.set(n, { ...address, raftPort: raft.port })
  }
  return out
}

/** checkStorageChoice: `dir` is a non-empty path, and not combined with `storage` or `raftStorage`. */
function checkStorageChoice(o: Partial<ClusterNodeOptions>): void {
  if (o.dir !== undefined) {
    if (typeof o.dir !== 'string' || o.dir === '') throw invalidConfig('options.dir', 'must be a non-empty path')
    if (o.storage !== undefined || o.raftStorage !== undefined)
      throw invalidConfig('options.dir', 'cannot be combined with storage or raftStorage')
  }
  checkPart(o.storage, 'options.storage', ['open', 'partitionLog', 'close'])
  if (o.raftStorage !== undefined && typeof o.raftStorage !== 'function')
    throw invalidConfig('options.raftStorage', 'must be a function of the group id')
}

/** checkPart checks that an injected part (storage, transport, clock, …) has the methods it needs. */
function checkPart<T>(part: T | undefined, path: string, methods: readonly string[]): T | undefined {
  if (part === undefined) return undefined
  const missing = methods.filter((m) => typeof (part as Record<string, unknown> | null)?.[m] !== 'function')
  if (missing.length > 0) throw invalidConfig(path, `must be an object with ${missing.join(', ')}`)
  return part
}

/** checkGroupCoordinator checks the coordinator's options now (the coordinator itself starts later, on the metadata leader). */
function checkGroupCoordinator(value: Partial<GroupCoordinatorOptions> | undefined): Partial<GroupCoordinatorOptions> {
  const given = checkObject(value, 'options.groupCoordinator', Object.keys(GROUP_COORDINATOR_DEFAULTS))
  resolveGroupCoordinatorOptions(given, 'options.groupCoordinator')
  return given
}

/** checkLogger resolves `logger` and `logLevel` (see core's resolveLogger). */
function checkLogger(logger: unknown, logLevel: unknown): Logger {
  if (logLevel !== undefined && !isLogLevel(logLevel)) throw invalidConfig('options.logLevel', "must be 'error', 'warn', 'info' or 'debug'")
  if (logger !== undefined && !isLoggerInput(logger))
    throw invalidConfig('options.logger', 'must have error, warn, info and debug methods, or be a KafkaJS logCreator')
  return resolveLogger({ logger: logger as LoggerInput | undefined, logLevel: logLevel as LogLevel | undefined })
}
