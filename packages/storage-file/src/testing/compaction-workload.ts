import { encodeRecordBatch, type PartitionLog, type PartitionLogConfig, type RecordFilter } from '@tributary/core'

/** The compaction-kill workload, shared by the child that compacts and the parent that checks. */

export const COMPACTION_TP = Object.freeze({ topic: 'compacted', partition: 0 })
/** Segments of 1 MiB: each compaction pass rewrites several, so a kill often lands inside one. */
export const COMPACTION_CONFIG: PartitionLogConfig = Object.freeze({
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
})
export const KEYS = 500
const BATCHES = 120
const PER_BATCH = 100

/** valueFor is the value of the record at `offset`: a reader can check any surviving record. */
export function valueFor(offset: number): string {
  return `value-${offset}-${'x'.repeat(60)}`
}

export function keyFor(offset: number): string {
  return `key-${offset % KEYS}`
}

/** fillKeyedLog writes BATCHES × PER_BATCH records over KEYS keys and rolls, so all segments are closed. */
export function fillKeyedLog(log: PartitionLog): void {
  for (let b = 0; b < BATCHES; b++) {
    const base = log.endOffset()
    const records = Array.from({ length: PER_BATCH }, (_, i) => ({
      key: Buffer.from(keyFor(base + i)),
      value: Buffer.from(valueFor(base + i)),
      headers: [],
      timestamp: 1_700_000_000_000 + base + i,
    }))
    log.append(encodeRecordBatch(records))
  }
  log.roll()
}

/** lastOffsetOfKey returns the offset of the latest record of each key in the filled log. */
export function latestOffsets(endOffset: number): Map<string, number> {
  const latest = new Map<string, number>()
  for (let offset = 0; offset < endOffset; offset++) latest.set(keyFor(offset), offset)
  return latest
}

/**
 * keepForPass keeps the latest record of each key plus, in pass p, the older ones whose offset is
 * a multiple of 2^(p+1): every pass removes more, so every pass rewrites segments.
 */
export function keepForPass(log: PartitionLog, pass: number): RecordFilter {
  const latest = latestOffsets(log.endOffset())
  const modulus = 2 ** Math.min(pass + 1, 30)
  return (record) => latest.get(record.key?.toString() ?? '') === record.offset || record.offset % modulus === 0
}
