import type { TopicConfig } from '@tributary/core'
import { compactLog, retentionCutoff } from '@tributary/core/internal'
import type { PartitionReplica } from './partition-replica'

/** ReplicaCleanResult tells what one pass did to one replica. */
export interface ReplicaCleanResult {
  recordsCompacted: number
  /** The log start the leader replicated (-1: it moved nothing). */
  deletedBefore: number
}

/**
 * cleanReplica runs the log cleaner on one partition replica of a cluster.
 *
 * - Compaction runs on every replica by itself: it never changes offsets, so replicas that have
 *   or have not compacted yet serve the same records for the keys that matter (Kafka's rule).
 * - Retention is decided by the leader only, on its own segments, and replicated as a log-start
 *   move through the partition's Raft group, so every replica keeps the same log start offset.
 */
export async function cleanReplica(
  replica: PartitionReplica,
  config: TopicConfig,
  nowMs: number,
  timeoutMs: number,
): Promise<ReplicaCleanResult> {
  const compacted = compactLog(replica.log, config, nowMs)
  const result = { recordsCompacted: compacted?.recordsRemoved ?? 0, deletedBefore: -1 }
  if (!replica.isReady()) return result
  const cut = retentionCutoff(replica.log, config, nowMs)
  if (cut.deleteBefore <= replica.log.startOffset()) return result
  await replica.deleteBefore(cut.deleteBefore, timeoutMs)
  return { ...result, deletedBefore: cut.deleteBefore }
}
