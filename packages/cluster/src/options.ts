import { join } from 'node:path'
import { TributaryError, MemoryStorage, systemClock, type Clock, type GroupCoordinatorOptions, type Storage } from '@tributary/core'
import { FileStorage } from '@tributary/storage-file'
import { FileRaftStorage, type Transport, type RaftStorage } from '@tributary/raft'
import type { PeerChannel } from './server/peer-channel'
import { resolvePartitionSnapshotOptions, type PartitionSnapshotOptions } from './replica/partition-snapshot'

/** ClusterNodeOptions configures one node of a Tributary cluster. */
export interface ClusterNodeOptions {
  /** nodeId: this node's id (positive integer, never reused). Required. */
  readonly nodeId: number
  /** listen: 'host:port' where this node serves clients and peers. Required (port 0 = ephemeral). */
  readonly listen: string
  /**
   * peers: the other nodes, `{ id: 'host:port' }`. When the cluster is first formed, this node and
   * its peers are the voters of the metadata group. With `join`, the nodes to ask for admission.
   */
  readonly peers: Readonly<Record<number, string>>
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
  /** tickMs: one Raft tick; the election timeout is 10–20 ticks. Default 50 ms. */
  readonly tickMs?: number
  /** replicaLagTimeMaxMs (`replica.lag.time.max.ms`): a follower not caught up within this is out of sync. Default 30,000 ms. */
  readonly replicaLagTimeMaxMs?: number
  /** defaultReplicationFactor: for topics created without one. Default min(3, nodes). */
  readonly defaultReplicationFactor?: number
  /** numPartitions: for topics created without a count. Default 1. */
  readonly numPartitions?: number
  /** autoCreateTopics: metadata requests may create unknown topics. Default true. */
  readonly autoCreateTopics?: boolean
  /** producerIdExpirationMs (`producer.id.expiration.ms`): a producer id idle this long (by batch timestamps) is forgotten. Default 86,400,000 ms. */
  readonly producerIdExpirationMs?: number
  /** retentionCheckIntervalMs (`log.retention.check.interval.ms`): how often retention and compaction run. Default 300,000 ms. */
  readonly retentionCheckIntervalMs?: number
  /** requestTimeoutMs: how long a forwarded or metadata request may take. Default 10,000 ms. */
  readonly requestTimeoutMs?: number
  /** seed: seed for Raft election timeouts. Default random. */
  readonly seed?: number
  /** groupCoordinator: options of the group coordinator (session timeout bounds, initial rebalance delay). */
  readonly groupCoordinator?: Partial<GroupCoordinatorOptions>
  /**
   * partitionSnapshots: when each partition's Raft group snapshots and how much Raft log it keeps
   * (snapshotEveryEntries 10,000, snapshotEveryBytes 16 MiB, snapshotTrailingEntries 1,000,
   * snapshotTrailingBytes 4 MiB by default; see PartitionSnapshotOptions).
   */
  readonly partitionSnapshots?: Partial<PartitionSnapshotOptions>
}

/** ResolvedClusterNodeOptions has every default filled in. */
export interface ResolvedClusterNodeOptions {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly peers: ReadonlyMap<number, { host: string; port: number }>
  readonly join: boolean
  readonly storage: Storage
  readonly raftStorage: ((groupId: string) => RaftStorage) | undefined
  readonly transport: Transport | undefined
  readonly peerChannel: PeerChannel | undefined
  readonly clock: Clock
  readonly tickMs: number
  readonly replicaLagTimeMaxMs: number
  readonly defaultReplicationFactor: number
  readonly numPartitions: number
  readonly autoCreateTopics: boolean
  readonly requestTimeoutMs: number
  readonly retentionCheckIntervalMs: number
  readonly producerIdExpirationMs: number
  readonly seed: number | undefined
  readonly groupCoordinator: Partial<GroupCoordinatorOptions>
  readonly partitionSnapshots: PartitionSnapshotOptions
}

const KNOWN = new Set([
  'nodeId',
  'listen',
  'dir',
  'peers',
  'join',
  'storage',
  'raftStorage',
  'transport',
  'peerChannel',
  'clock',
  'tickMs',
  'replicaLagTimeMaxMs',
  'defaultReplicationFactor',
  'numPartitions',
  'autoCreateTopics',
  'requestTimeoutMs',
  'retentionCheckIntervalMs',
  'producerIdExpirationMs',
  'seed',
  'groupCoordinator',
  'partitionSnapshots',
])

/**
 * resolveClusterNodeOptions merges defaults and validates.
 * @throws TributaryError INVALID_CONFIG with the option path.
 */
export function resolveClusterNodeOptions(options: ClusterNodeOptions): ResolvedClusterNodeOptions {
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalid(key, 'unknown option')
  if (options.dir !== undefined) {
    if (typeof options.dir !== 'string' || options.dir === '') throw invalid('dir', 'must be a non-empty path')
    if (options.storage !== undefined || options.raftStorage !== undefined)
      throw invalid('dir', 'cannot be combined with storage or raftStorage')
  }
  if (!Number.isSafeInteger(options.nodeId) || options.nodeId <= 0) throw invalid('nodeId', 'must be a positive integer')
  const listen = parseAddress(options.listen, 'listen')
  const peers = new Map<number, { host: string; port: number }>()
  for (const [id, address] of Object.entries(options.peers ?? {})) {
    const n = Number(id)
    if (!Number.isSafeInteger(n) || n <= 0 || n === options.nodeId)
      throw invalid(`peers.${id}`, 'peer ids must be positive integers other than nodeId')
    peers.set(n, parseAddress(address, `peers.${id}`))
  }
  const positive = (key: keyof ClusterNodeOptions, fallback: number): number => {
    const v = options[key] ?? fallback
    if (typeof v !== 'number' || !(v > 0)) throw invalid(key, `must be a positive number, got ${String(v)}`)
    return v
  }
  const nodes = peers.size + 1
  const defaultReplicationFactor = positive('defaultReplicationFactor', Math.min(3, nodes))
  if (defaultReplicationFactor > nodes) throw invalid('defaultReplicationFactor', `exceeds the ${nodes} nodes`)
  return {
    nodeId: options.nodeId,
    host: listen.host,
    port: listen.port,
    peers,
    join: checkJoin(options.join),
    storage:
      options.storage ??
      (options.dir !== undefined ? new FileStorage({ dir: join(options.dir, 'data'), clock: options.clock }) : new MemoryStorage()),
    raftStorage: options.raftStorage ?? (options.dir !== undefined ? fileRaftStorage(join(options.dir, 'raft')) : undefined),
    transport: options.transport,
    peerChannel: options.peerChannel,
    clock: options.clock ?? systemClock,
    tickMs: positive('tickMs', 50),
    replicaLagTimeMaxMs: positive('replicaLagTimeMaxMs', 30_000),
    defaultReplicationFactor,
    numPartitions: positive('numPartitions', 1),
    autoCreateTopics: options.autoCreateTopics ?? true,
    requestTimeoutMs: positive('requestTimeoutMs', 10_000),
    retentionCheckIntervalMs: positive('retentionCheckIntervalMs', 300_000),
    producerIdExpirationMs: positive('producerIdExpirationMs', 86_400_000),
    seed: options.seed,
    groupCoordinator: options.groupCoordinator ?? {},
    partitionSnapshots: resolvePartitionSnapshotOptions(options.partitionSnapshots),
  }
}

function checkJoin(join: unknown): boolean {
  if (join !== undefined && typeof join !== 'boolean') throw invalid('join', `must be a boolean, got ${String(join)}`)
  return join === true
}

/**
 * fileRaftStorage keeps each Raft group in its own directory under `root`. Group ids are 'meta'
 * and 'p/<topicId>/<partition>'; '/' becomes '_' so that every group is one flat directory.
 */
function fileRaftStorage(root: string): (groupId: string) => RaftStorage {
  return (groupId) => new FileRaftStorage(join(root, groupId.replaceAll('/', '_')))
}

/** parseAddress splits 'host:port'. */
export function parseAddress(address: unknown, path: string): { host: string; port: number } {
  const m = typeof address === 'string' ? /^(.+):(\d+)$/.exec(address) : null
  const port = Number(m?.[2])
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw invalid(path, `must be 'host:port', got ${String(address)}`)
  return { host: m[1] as string, port }
}

function invalid(key: string, message: string): TributaryError {
  return new TributaryError('INVALID_CONFIG', `options.${key}: ${message}`, { details: { path: `options.${key}` } })
}
