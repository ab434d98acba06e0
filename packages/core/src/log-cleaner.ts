import { RecordBatch } from './record-batch'
import type { CompactionResult, PartitionLog, SegmentInfo } from './storage'
import type { TopicConfig } from './topic-config'

/** Bytes read per call while scanning a log for compaction: bounded, whatever the log size. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024

/** RetentionResult tells what a retention pass deleted. */
export interface RetentionResult {
  segmentsDeleted: number
  bytesDeleted: number
  startOffset: number
}

/**
 * applyRetention deletes the oldest segments past `retention.ms` (by their largest timestamp) or
 * beyond `retention.bytes` (while the log stays at or above the limit without them), as Kafka
 * does. Only an oldest-first prefix is deleted. An active segment whose data all expired is rolled
 * first so that it can go too.
 */
export function applyRetention(log: PartitionLog, config: TopicConfig, nowMs: number): RetentionResult {
  const cut = retentionCutoff(log, config, nowMs)
  const startOffset = cut.deleteBefore >= 0 ? log.deleteBefore(cut.deleteBefore) : log.startOffset()
  return { segmentsDeleted: cut.segments, bytesDeleted: cut.bytes, startOffset }
}

/**
 * retentionCutoff finds where retention would cut a log, without deleting: every record below
 * `deleteBefore` may go (-1: nothing). A replicated log uses it on its leader and replicates the
 * cut, so that every replica keeps the same log start. It may roll an expired active segment.
 */
export function retentionCutoff(
  log: PartitionLog,
  config: TopicConfig,
  nowMs: number,
): { deleteBefore: number; segments: number; bytes: number } {
  if (!config.cleanupPolicy.includes('delete')) return { deleteBefore: -1, segments: 0, bytes: 0 }
  let segments = log.segments()
  const active = segments.find((s) => s.active)
  if (active && active.endOffset > active.baseOffset && isExpired(active, config, nowMs)) {
    log.roll()
    segments = log.segments()
  }
  let total = segments.reduce((sum, s) => sum + s.sizeBytes, 0)
  let deleteBefore = -1
  let deleted = 0
  let bytes = 0
  for (const segment of segments) {
    if (segment.active) break
    const overSize = config.retentionBytes >= 0 && total - segment.sizeBytes >= config.retentionBytes
    if (!isExpired(segment, config, nowMs) && !overSize) break
    deleteBefore = segment.endOffset
    total -= segment.sizeBytes
    bytes += segment.sizeBytes
    deleted++
  }
  return { deleteBefore, segments: deleted, bytes }
}

function isExpired(segment: SegmentInfo, config: TopicConfig, nowMs: number): boolean {
  return config.retentionMs >= 0 && segment.maxTimestamp >= 0 && nowMs - segment.maxTimestamp > config.retentionMs
}

/**
 * compactLog keeps, in the closed segments, only the latest record of each key; tombstones
 * (null values) go once they are older than `delete.retention.ms`; segments younger than
 * `min.compaction.lag.ms` are left alone. Offsets never change. Returns null when no closed
 * segment is eligible.
 */
export function compactLog(log: PartitionLog, config: TopicConfig, nowMs: number): CompactionResult | null {
  if (!config.cleanupPolicy.includes('compact')) return null
  const eligible = log
    .segments()
    .filter((s) => !s.active && s.endOffset > s.baseOffset && nowMs - s.maxTimestamp >= config.minCompactionLagMs)
  const last = eligible[eligible.length - 1]
  if (!last) return null
  const cleanableEnd = last.endOffset
  const latest = latestOffsetByKey(log, cleanableEnd)
  const tombstoneHorizon = nowMs - config.deleteRetentionMs
  return log.compact((record) => {
    if (record.offset >= cleanableEnd || record.key === null) return true
    if (latest.get(record.key.toString('latin1')) !== record.offset) return false
    return !(record.isTombstone && record.timestamp < tombstoneHorizon)
  })
}

/** latestOffsetByKey maps each key (as a latin1 string: one char per byte) to its last offset below `endOffset`. */
function latestOffsetByKey(log: PartitionLog, endOffset: number): Map<string, number> {
  const latest = new Map<string, number>()
  let offset = log.startOffset()
  while (offset < endOffset) {
    const batches = log.read(offset, SCAN_CHUNK_BYTES)
    if (batches.length === 0) break
    for (const buf of batches) {
      const batch = RecordBatch.from(buf)
      for (const record of batch.records()) {
        if (record.offset >= endOffset) break
        if (record.key !== null) latest.set(record.key.toString('latin1'), record.offset)
      }
      offset = batch.lastOffset + 1
    }
  }
  return latest
}
