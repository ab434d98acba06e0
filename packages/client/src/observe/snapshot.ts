import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type Broker,
  type ClusterStats,
  type GroupState,
  type HistogramSnapshot,
  type StorageStats,
} from '@tributary/core'
import type { BrokerTraffic, PartitionTraffic } from './broker-metrics'

/** PartitionMetrics is one partition: its traffic through this Tributary, its offsets and placement. */
export interface PartitionMetrics extends PartitionTraffic {
  /** The log start offset (kafka_exporter's oldest offset). */
  startOffset: number
  /** The log end offset: the next offset to be written (the high watermark consumers read to). */
  endOffset: number
  /** The leader's node id (-1: none). */
  leader: number
  replicas: number[]
  isr: number[]
}

/** GroupPartitionLag is one partition a group has committed an offset for. */
export interface GroupPartitionLag {
  topic: string
  partition: number
  /** The committed offset: the next offset the group will read. */
  committedOffset: number
  endOffset: number
  /** endOffset − committedOffset, never below 0. */
  lag: number
}

/** GroupMetrics is one consumer group: its state, members and lag per partition. */
export interface GroupMetrics {
  groupId: string
  state: GroupState
  members: number
  partitions: GroupPartitionLag[]
  /** The sum of the partitions' lag. */
  lag: number
}

/** ProducerMetrics is one producer made by this Tributary. */
export interface ProducerMetrics {
  /** 'producer-1', 'producer-2', … in the order they were made. */
  name: string
  clientId: string
  /** Batches written, records in them and their bytes. */
  batches: number
  records: number
  bytes: number
  /** Partition results that failed (each retried batch counts each time). */
  errors: number
  batchRecords: HistogramSnapshot
  batchBytes: HistogramSnapshot
  /** Produce request round trips, in seconds. */
  sendLatencySeconds: HistogramSnapshot
}

/** MetricsSnapshot is `tb.metrics()`: one consistent look at traffic, offsets, lag, storage and cluster. */
export interface MetricsSnapshot {
  /** When it was taken (ms since the epoch). */
  timestampMs: number
  clusterId: string
  /** Brokers (nodes) in the cluster's metadata: 1 for a single node. */
  brokers: number
  partitions: PartitionMetrics[]
  groups: GroupMetrics[]
  producers: ProducerMetrics[]
  /** Every produce and fetch request through this Tributary, timed. */
  requests: { produceLatencySeconds: HistogramSnapshot; fetchLatencySeconds: HistogramSnapshot; produceErrors: number }
  /** The storage of the node this Tributary hosts (absent when connected to a remote one). */
  storage?: StorageStats
  /** Raft and replication of the cluster node this Tributary hosts (absent for a single node). */
  cluster?: ClusterStats
}

/** MetricsSource is what a snapshot is taken from: a broker, the traffic through it, and producers' own traffic. */
export interface MetricsSource {
  broker: Broker
  traffic: BrokerTraffic
  producers?: ReadonlyArray<{ name: string; clientId: string; traffic: BrokerTraffic }>
  now?: () => number
}

/** MAX_SNAPSHOT_GROUPS bounds the groups a snapshot describes (each costs one offset fetch). */
export const MAX_SNAPSHOT_GROUPS = 1000

/**
 * collectMetrics takes a snapshot: metadata and end offsets of every topic, committed offsets
 * and lag of every group (up to MAX_SNAPSHOT_GROUPS), the traffic counters, and the node's own
 * stats when the broker has them. It asks the broker a few requests; nothing is kept between calls.
 */
export async function collectMetrics(source: MetricsSource): Promise<MetricsSnapshot> {
  const { broker, traffic } = source
  const metadata = await broker.metadata()
  const tps = metadata.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })))
  const [latest, earliest] = await Promise.all([
    tps.length ? broker.listOffsets(tps.map((tp) => ({ ...tp, timestamp: LATEST_TIMESTAMP }))) : [],
    tps.length ? broker.listOffsets(tps.map((tp) => ({ ...tp, timestamp: EARLIEST_TIMESTAMP }))) : [],
  ])
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`
  const ends = new Map(latest.map((r) => [key(r.topic, r.partition), r.offset]))
  const starts = new Map(earliest.map((r) => [key(r.topic, r.partition), r.offset]))
  const counters = new Map(traffic.list().map((t) => [key(t.topic, t.partition), t]))
  const partitions: PartitionMetrics[] = []
  for (const t of metadata.topics) {
    for (const p of t.partitions) {
      const k = key(t.name, p.partition)
      const c = counters.get(k)
      partitions.push({
        topic: t.name,
        partition: p.partition,
        messagesIn: c?.messagesIn ?? 0,
        bytesIn: c?.bytesIn ?? 0,
        messagesOut: c?.messagesOut ?? 0,
        bytesOut: c?.bytesOut ?? 0,
        startOffset: Math.max(0, starts.get(k) ?? 0),
        endOffset: Math.max(0, ends.get(k) ?? 0),
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
      })
    }
  }
  partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  const stats = broker.stats?.()
  return {
    timestampMs: (source.now ?? Date.now)(),
    clusterId: metadata.clusterId,
    brokers: metadata.brokers.length,
    partitions,
    groups: await groupLag(broker, ends),
    producers: (source.producers ?? []).map((p) => producerMetrics(p.name, p.clientId, p.traffic)),
    requests: {
      produceLatencySeconds: traffic.produceLatency.snapshot(),
      fetchLatencySeconds: traffic.fetchLatency.snapshot(),
      produceErrors: traffic.produceErrors,
    },
    ...(stats?.storage ? { storage: stats.storage } : {}),
    ...(stats?.cluster ? { cluster: stats.cluster } : {}),
  }
}

async function groupLag(broker: Broker, ends: ReadonlyMap<string, number>): Promise<GroupMetrics[]> {
  const listed = (await broker.listGroups()).slice(0, MAX_SNAPSHOT_GROUPS)
  if (listed.length === 0) return []
  const described = new Map((await broker.describeGroups(listed.map((g) => g.groupId))).map((d) => [d.groupId, d]))
  const out: GroupMetrics[] = []
  for (const g of listed) {
    const committed = await broker.fetchOffsets(g.groupId)
    const partitions: GroupPartitionLag[] = []
    for (const c of committed) {
      if (c.offset < 0) continue
      const end = ends.get(`${c.topic}\u0000${c.partition}`)
      if (end === undefined) continue
      partitions.push({
        topic: c.topic,
        partition: c.partition,
        committedOffset: c.offset,
        endOffset: end,
        lag: Math.max(0, end - c.offset),
      })
    }
    partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    const d = described.get(g.groupId)
    out.push({
      groupId: g.groupId,
      state: d?.state ?? g.state,
      members: d?.members.length ?? 0,
      partitions,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
    })
  }
  return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
}

function producerMetrics(name: string, clientId: string, traffic: BrokerTraffic): ProducerMetrics {
  const batchRecords = traffic.batchRecords.snapshot()
  const batchBytes = traffic.batchBytes.snapshot()
  return {
    name,
    clientId,
    batches: batchRecords.count,
    records: batchRecords.sum,
    bytes: batchBytes.sum,
    errors: traffic.produceErrors,
    batchRecords,
    batchBytes,
    sendLatencySeconds: traffic.produceLatency.snapshot(),
  }
}
