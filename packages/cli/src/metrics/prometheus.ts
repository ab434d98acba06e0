import type { HistogramSnapshot } from '@tributary/core'
import type { MetricsSnapshot } from '@tributary/client'
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client'

/*
 * The Prometheus view of a MetricsSnapshot, through prom-client's registry and text format.
 * Tributary's own names follow Prometheus conventions (snake case, `tributary_` prefix, unit
 * suffixes, `_total` on counters); topic offsets and group lag are also exported under
 * kafka_exporter's names and labels, so dashboards and alerts written for Kafka work unchanged.
 * One snapshot is taken per scrape (shared by every metric of that scrape).
 */

type Labels = Record<string, string | number>
type Sample = { labels: Labels; value: number; metricName?: string }
type Kind = 'counter' | 'gauge' | 'histogram'

interface Definition {
  name: string
  help: string
  type: Kind
  samples(s: MetricsSnapshot): Sample[]
}

const tp = (p: { topic: string; partition: number }): Labels => ({ topic: p.topic, partition: p.partition })

function histogram(name: string, h: HistogramSnapshot | undefined, labels: Labels = {}): Sample[] {
  if (h === undefined) return []
  const out: Sample[] = h.buckets.map((b) => ({
    metricName: `${name}_bucket`,
    labels: { ...labels, le: Number.isFinite(b.le) ? b.le : '+Inf' },
    value: b.count,
  }))
  out.push({ metricName: `${name}_sum`, labels, value: h.sum }, { metricName: `${name}_count`, labels, value: h.count })
  return out
}

/** DEFINITIONS lists every exported metric: name, help, type, and how its samples come from a snapshot. */
const DEFINITIONS: readonly Definition[] = [
  // ---- Tributary's own names --------------------------------------------------------------
  {
    name: 'tributary_messages_in_total',
    help: 'Records written to the partition through this node or client.',
    type: 'counter',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.messagesIn })),
  },
  {
    name: 'tributary_messages_out_total',
    help: 'Records read from the partition through this node or client.',
    type: 'counter',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.messagesOut })),
  },
  {
    name: 'tributary_bytes_in_total',
    help: 'Bytes of record batches written to the partition.',
    type: 'counter',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.bytesIn })),
  },
  {
    name: 'tributary_bytes_out_total',
    help: 'Bytes of record batches read from the partition.',
    type: 'counter',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.bytesOut })),
  },
  {
    name: 'tributary_partition_end_offset',
    help: 'The partition log end offset (the next offset to be written).',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.endOffset })),
  },
  {
    name: 'tributary_partition_start_offset',
    help: 'The partition log start offset (the oldest offset still stored).',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.startOffset })),
  },
  {
    name: 'tributary_consumer_group_lag',
    help: "Records between the group's committed offset and the partition end.",
    type: 'gauge',
    samples: (s) => s.groups.flatMap((g) => g.partitions.map((p) => ({ labels: { group: g.groupId, ...tp(p) }, value: p.lag }))),
  },
  {
    name: 'tributary_consumer_group_committed_offset',
    help: "The group's committed offset (the next offset it will read).",
    type: 'gauge',
    samples: (s) =>
      s.groups.flatMap((g) => g.partitions.map((p) => ({ labels: { group: g.groupId, ...tp(p) }, value: p.committedOffset }))),
  },
  {
    name: 'tributary_consumer_group_members',
    help: 'Members of the consumer group.',
    type: 'gauge',
    samples: (s) => s.groups.map((g) => ({ labels: { group: g.groupId }, value: g.members })),
  },
  {
    name: 'tributary_produce_latency_seconds',
    help: 'Produce request round trips, in seconds.',
    type: 'histogram',
    samples: (s) => histogram('tributary_produce_latency_seconds', s.requests.produceLatencySeconds),
  },
  {
    name: 'tributary_fetch_latency_seconds',
    help: 'Fetch request round trips, including the long-poll wait, in seconds.',
    type: 'histogram',
    samples: (s) => histogram('tributary_fetch_latency_seconds', s.requests.fetchLatencySeconds),
  },
  {
    name: 'tributary_produce_errors_total',
    help: 'Partition results of produce requests that failed.',
    type: 'counter',
    samples: (s) => [{ labels: {}, value: s.requests.produceErrors }],
  },
  {
    name: 'tributary_producer_batch_records',
    help: 'Records per batch a producer wrote.',
    type: 'histogram',
    samples: (s) => s.producers.flatMap((p) => histogram('tributary_producer_batch_records', p.batchRecords, { producer: p.name })),
  },
  {
    name: 'tributary_producer_batch_size_bytes',
    help: 'Bytes per batch a producer wrote.',
    type: 'histogram',
    samples: (s) => s.producers.flatMap((p) => histogram('tributary_producer_batch_size_bytes', p.batchBytes, { producer: p.name })),
  },
  {
    name: 'tributary_producer_send_latency_seconds',
    help: "A producer's produce request round trips, in seconds.",
    type: 'histogram',
    samples: (s) =>
      s.producers.flatMap((p) => histogram('tributary_producer_send_latency_seconds', p.sendLatencySeconds, { producer: p.name })),
  },
  {
    name: 'tributary_storage_fsync_latency_seconds',
    help: 'Time each flush to disk (fdatasync of a group commit) took, in seconds.',
    type: 'histogram',
    samples: (s) =>
      histogram('tributary_storage_fsync_latency_seconds', s.storage?.fsyncLatencySeconds, { storage: s.storage?.kind ?? '' }),
  },
  {
    name: 'tributary_storage_slow_fsyncs_total',
    help: 'Flushes to disk slower than the slow-flush threshold.',
    type: 'counter',
    samples: (s) => (s.storage?.slowFsyncs === undefined ? [] : [{ labels: { storage: s.storage.kind }, value: s.storage.slowFsyncs }]),
  },
  {
    name: 'tributary_storage_journal_bytes',
    help: "Bytes in file storage's shared journal not yet checkpointed.",
    type: 'gauge',
    samples: (s) => (s.storage?.journalBytes === undefined ? [] : [{ labels: { storage: s.storage.kind }, value: s.storage.journalBytes }]),
  },
  {
    name: 'tributary_storage_journal_checkpoints_total',
    help: 'Journal checkpoints (segments flushed, journal file deleted) since the storage opened.',
    type: 'counter',
    samples: (s) =>
      s.storage?.journalCheckpoints === undefined ? [] : [{ labels: { storage: s.storage.kind }, value: s.storage.journalCheckpoints }],
  },
  {
    name: 'tributary_storage_journal_replayed_batches_total',
    help: 'Batches the storage appended back from its journal on open (the segments had lost them: a crash of the machine).',
    type: 'counter',
    samples: (s) =>
      s.storage?.journalReplayedBatches === undefined
        ? []
        : [{ labels: { storage: s.storage.kind }, value: s.storage.journalReplayedBatches }],
  },
  {
    name: 'tributary_storage_file_system_syncs_total',
    help: 'Flushes of many partitions at once (close, a journal checkpoint) done as one syncfs of the file system instead of an fdatasync per file.',
    type: 'counter',
    samples: (s) =>
      s.storage?.fileSystemSyncs === undefined ? [] : [{ labels: { storage: s.storage.kind }, value: s.storage.fileSystemSyncs }],
  },
  {
    name: 'tributary_storage_segments',
    help: 'Segments over the partition logs this node has open.',
    type: 'gauge',
    samples: (s) => (s.storage ? [{ labels: { storage: s.storage.kind }, value: s.storage.segments }] : []),
  },
  {
    name: 'tributary_storage_partitions',
    help: 'Partition logs this node has open.',
    type: 'gauge',
    samples: (s) => (s.storage ? [{ labels: { storage: s.storage.kind }, value: s.storage.partitions }] : []),
  },
  {
    name: 'tributary_storage_size_bytes',
    help: 'Bytes of record batches in the partition logs this node has open.',
    type: 'gauge',
    samples: (s) => (s.storage ? [{ labels: { storage: s.storage.kind }, value: s.storage.sizeBytes }] : []),
  },
  {
    name: 'tributary_cluster_leader_changes_total',
    help: 'Times a Raft group this node hosts saw its leader change.',
    type: 'counter',
    samples: (s) => (s.cluster ? [{ labels: {}, value: s.cluster.leaderChanges }] : []),
  },
  {
    name: 'tributary_raft_commit_latency_seconds',
    help: 'Time from proposing a produced batch to its Raft commit, on the partition leader, in seconds.',
    type: 'histogram',
    samples: (s) => histogram('tributary_raft_commit_latency_seconds', s.cluster?.raftCommitLatencySeconds),
  },
  {
    name: 'tributary_raft_term',
    help: 'The current Raft term of each group this node hosts.',
    type: 'gauge',
    samples: (s) => raftGroups(s).map(({ labels, raft }) => ({ labels, value: raft.term })),
  },
  {
    name: 'tributary_raft_leader',
    help: 'The node id that leads each Raft group this node hosts (0: none).',
    type: 'gauge',
    samples: (s) => raftGroups(s).map(({ labels, raft }) => ({ labels, value: raft.leader })),
  },
  {
    name: 'tributary_replica_lag_entries',
    help: 'On the partition leader: Raft entries each follower is behind.',
    type: 'gauge',
    samples: (s) =>
      s.cluster?.partitions.flatMap((p) => p.followers.map((f) => ({ labels: { ...tp(p), follower: f.nodeId }, value: f.lagEntries }))) ??
      [],
  },
  // ---- kafka_exporter's names ------------------------------------------------------------
  {
    name: 'kafka_brokers',
    help: 'Number of Brokers in the Kafka Cluster.',
    type: 'gauge',
    samples: (s) => [{ labels: {}, value: s.brokers }],
  },
  {
    name: 'kafka_topic_partitions',
    help: 'Number of partitions for this Topic',
    type: 'gauge',
    samples: (s) => {
      const counts = new Map<string, number>()
      for (const p of s.partitions) counts.set(p.topic, (counts.get(p.topic) ?? 0) + 1)
      return [...counts].map(([topic, n]) => ({ labels: { topic }, value: n }))
    },
  },
  {
    name: 'kafka_topic_partition_current_offset',
    help: 'Current Offset of a Broker at Topic/Partition',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.endOffset })),
  },
  {
    name: 'kafka_topic_partition_oldest_offset',
    help: 'Oldest Offset of a Broker at Topic/Partition',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.startOffset })),
  },
  {
    name: 'kafka_topic_partition_leader',
    help: 'Leader Broker ID of this Topic/Partition',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.leader })),
  },
  {
    name: 'kafka_topic_partition_replicas',
    help: 'Number of Replicas for this Topic/Partition',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.replicas.length })),
  },
  {
    name: 'kafka_topic_partition_in_sync_replica',
    help: 'Number of In-Sync Replicas for this Topic/Partition',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.isr.length })),
  },
  {
    name: 'kafka_topic_partition_under_replicated_partition',
    help: '1 if Topic/Partition is under Replicated',
    type: 'gauge',
    samples: (s) => s.partitions.map((p) => ({ labels: tp(p), value: p.isr.length < p.replicas.length ? 1 : 0 })),
  },
  {
    name: 'kafka_consumergroup_current_offset',
    help: 'Current Offset of a ConsumerGroup at Topic/Partition',
    type: 'gauge',
    samples: (s) =>
      s.groups.flatMap((g) => g.partitions.map((p) => ({ labels: { consumergroup: g.groupId, ...tp(p) }, value: p.committedOffset }))),
  },
  {
    name: 'kafka_consumergroup_current_offset_sum',
    help: 'Current Offset of a ConsumerGroup at Topic for all partitions',
    type: 'gauge',
    samples: (s) => perGroupTopic(s, (p) => p.committedOffset),
  },
  {
    name: 'kafka_consumergroup_lag',
    help: 'Current Approximate Lag of a ConsumerGroup at Topic/Partition',
    type: 'gauge',
    samples: (s) => s.groups.flatMap((g) => g.partitions.map((p) => ({ labels: { consumergroup: g.groupId, ...tp(p) }, value: p.lag }))),
  },
  {
    name: 'kafka_consumergroup_lag_sum',
    help: 'Current Approximate Lag of a ConsumerGroup at Topic for all partitions',
    type: 'gauge',
    samples: (s) => perGroupTopic(s, (p) => p.lag),
  },
  {
    name: 'kafka_consumergroup_members',
    help: 'Amount of members in a consumer group',
    type: 'gauge',
    samples: (s) => s.groups.map((g) => ({ labels: { consumergroup: g.groupId }, value: g.members })),
  },
]

/** raftGroups lists the Raft groups a cluster node hosts, labelled group="metadata" or group="partition" with topic and partition. */
function raftGroups(s: MetricsSnapshot): Array<{ labels: Labels; raft: { term: number; leader: number } }> {
  if (!s.cluster) return []
  return [
    { labels: { group: 'metadata' }, raft: s.cluster.metadata },
    ...s.cluster.partitions.map((p) => ({ labels: { group: 'partition', ...tp(p) }, raft: p.raft })),
  ]
}

function perGroupTopic(s: MetricsSnapshot, value: (p: MetricsSnapshot['groups'][number]['partitions'][number]) => number): Sample[] {
  const out: Sample[] = []
  for (const g of s.groups) {
    const sums = new Map<string, number>()
    for (const p of g.partitions) sums.set(p.topic, (sums.get(p.topic) ?? 0) + value(p))
    for (const [topic, sum] of sums) out.push({ labels: { consumergroup: g.groupId, topic }, value: sum })
  }
  return out
}

/** METRIC_NAMES lists every metric name the registry exports (documentation and tests). */
export const METRIC_NAMES: readonly string[] = Object.freeze(DEFINITIONS.map((d) => d.name))

/** PrometheusOptions tune `prometheusRegistry`. */
export interface PrometheusOptions {
  /** Also export Node's process metrics (prom-client's default metrics: CPU, memory, event loop lag). Default false. */
  processMetrics?: boolean
  /** A snapshot taken less than this long ago is reused, in ms (several scrapers at once cost one snapshot). Default 1000. */
  reuseSnapshotMs?: number
}

/**
 * prometheusRegistry builds a prom-client Registry whose metrics are read from `snapshot()` at
 * each scrape; `await registry.metrics()` is the text format, `registry.contentType` its type.
 */
export function prometheusRegistry(snapshot: () => Promise<MetricsSnapshot>, options: PrometheusOptions = {}): Registry {
  const registry = new Registry()
  const reuseMs = options.reuseSnapshotMs ?? 1000
  let last: { at: number; promise: Promise<MetricsSnapshot> } | null = null
  const current = (): Promise<MetricsSnapshot> => {
    const now = Date.now()
    if (last === null || now - last.at >= reuseMs) {
      const promise = snapshot()
      last = { at: now, promise }
      promise.catch(() => {
        if (last?.promise === promise) last = null
      })
    }
    return last.promise
  }
  for (const d of DEFINITIONS) {
    const metric = {
      name: d.name,
      help: d.help,
      type: d.type,
      aggregator: 'sum',
      get: async () => ({ name: d.name, help: d.help, type: d.type, aggregator: 'sum', values: d.samples(await current()) }),
      reset: () => {},
    }
    registry.registerMetric(metric as unknown as Metric)
  }
  if (options.processMetrics) collectDefaultMetrics({ register: registry })
  return registry
}
