import type { FetchedRecord, LogRecord } from './fault-client'
import type { ReadRecord } from '@tributary/core/testing'

/**
 * The invariants a replicated topic must keep under faults, checked after the faults healed. Each
 * check returns the violations it found as sentences (empty: the invariant holds), so a failing
 * seed reports every broken invariant at once. Values are written as `<key>:<seq>`, where `seq`
 * counts the sends of that key from 0, so a value is unique and carries its key's order.
 */

/** parseValue splits a `<key>:<seq>` value. */
export function parseValue(value: string | null): { key: string; seq: number } | undefined {
  const m = value === null ? null : /^(.*):(\d+)$/.exec(value)
  return m ? { key: m[1] as string, seq: Number(m[2]) } : undefined
}

/** byPartition groups records by partition, each group sorted by offset. */
export function byPartition<T extends { partition: number; offset: number }>(records: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const r of records) out.set(r.partition, [...(out.get(r.partition) ?? []), r])
  for (const list of out.values()) list.sort((a, b) => a.offset - b.offset)
  return out
}

/** logEnds maps each partition of a log to its end offset (one past its last record). */
export function logEnds(log: readonly ReadRecord[]): Map<number, number> {
  const ends = new Map<number, number>()
  for (const r of log) ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, r.offset + 1))
  return ends
}

/** checkContiguousOffsets: every partition's offsets are 0, 1, 2, … with no gap and no repeat. */
export function checkContiguousOffsets(log: readonly ReadRecord[]): string[] {
  const out: string[] = []
  for (const [partition, records] of byPartition(log)) {
    const bad = records.findIndex((r, i) => r.offset !== i)
    if (bad !== -1)
      out.push(`partition ${partition}: offset ${records[bad]?.offset} at position ${bad} (offsets are not contiguous from 0)`)
  }
  return out
}

/** checkNoDuplicates: each value is in the log at most once. */
export function checkNoDuplicates(log: readonly ReadRecord[]): string[] {
  const seen = new Map<string | null, ReadRecord>()
  const out: string[] = []
  for (const r of log) {
    const first = seen.get(r.value)
    if (first !== undefined) out.push(`duplicate ${r.value}: ${first.partition}@${first.offset} and ${r.partition}@${r.offset}`)
    else seen.set(r.value, r)
  }
  return out
}

/** checkNothingAckedLost: every acknowledged value is in the log. */
export function checkNothingAckedLost(log: readonly ReadRecord[], acked: Iterable<string>): string[] {
  const present = new Set(log.map((r) => r.value))
  return [...acked].filter((v) => !present.has(v)).map((v) => `acknowledged ${v} is not in the log`)
}

/** OrderScope says which pairs of one key's records checkKeyOrder compares. */
export type OrderScope =
  /** Every pair: the order the application sent them in. */
  | 'key'
  /** Only pairs written under the same producer id: the order the broker must keep by sequence number. */
  | 'producer'

/**
 * checkKeyOrder: along each partition's offsets, each key's sequence numbers increase (within one
 * producer id for scope 'producer'), and values match their record's key. With `acked`, a violation
 * says which of its two values were acknowledged.
 */
export function checkKeyOrder(log: readonly LogRecord[], scope: OrderScope, acked?: ReadonlySet<string>): string[] {
  const tag = (v: string): string => (acked === undefined ? '' : acked.has(v) ? ' (acked)' : ' (not acked)')
  const out: string[] = []
  for (const [partition, records] of byPartition(log)) {
    const last = new Map<string, LogRecord & { seq: number }>()
    for (const r of records) {
      const v = parseValue(r.value)
      if (v === undefined || v.key !== r.key) {
        out.push(`partition ${partition}@${r.offset}: value ${r.value} does not belong to key ${r.key}`)
        continue
      }
      const at = scope === 'key' ? v.key : `${v.key}/${r.producerId}`
      const prev = last.get(at)
      if (prev !== undefined && v.seq <= prev.seq) {
        out.push(
          `partition ${partition}: ${r.value}${tag(r.value ?? '')} (producer ${r.producerId}) at offset ${r.offset} after ${prev.value}${tag(prev.value ?? '')} (producer ${prev.producerId}) at offset ${prev.offset}`,
        )
      }
      last.set(at, { ...r, seq: v.seq })
    }
  }
  return out
}

/**
 * checkFetchedWasCommitted: every record a consumer fetched lay below the high watermark of its
 * response, and is in the final log at the same offset with the same key and value. A consumer
 * that saw uncommitted data would see records that a new leader later truncated or replaced.
 */
export function checkFetchedWasCommitted(fetched: readonly FetchedRecord[], log: readonly ReadRecord[]): string[] {
  const final = new Map(log.map((r) => [`${r.partition}@${r.offset}`, r]))
  const out: string[] = []
  for (const f of fetched) {
    const at = `${f.partition}@${f.offset}`
    if (f.offset >= f.highWatermark) out.push(`fetched ${at} (${f.value}) at or beyond the high watermark ${f.highWatermark}`)
    const r = final.get(at)
    if (r === undefined || r.key !== f.key || r.value !== f.value)
      out.push(`fetched ${at} = ${f.key}/${f.value}, but the final log has ${r === undefined ? 'nothing' : `${r.key}/${r.value}`} there`)
  }
  return unique(out)
}

/** checkAllConsumed: the consumer group handled every value of the log. */
export function checkAllConsumed(log: readonly ReadRecord[], consumed: ReadonlySet<string>): string[] {
  const missing = log.filter((r) => r.value !== null && !consumed.has(r.value))
  return missing.length === 0
    ? []
    : [
        `the group never consumed ${missing.length} records, e.g. ${missing
          .slice(0, 5)
          .map((r) => `${r.partition}@${r.offset}`)
          .join(', ')}`,
      ]
}

/** checkGroupCommitted: the group's committed offset of every partition is its log end (no lag left). */
export function checkGroupCommitted(ends: ReadonlyMap<number, number>, committed: ReadonlyMap<number, number>): string[] {
  return [...ends]
    .filter(([p, end]) => committed.get(p) !== end)
    .map(([p, end]) => `partition ${p}: the group committed ${committed.get(p) ?? 'nothing'}, the log ends at ${end}`)
}

/**
 * checkAckedCommitsKept: no acknowledged offset commit is lost; the final committed offset of a
 * partition is at least the highest one the coordinator acknowledged (a later commit may move it
 * back only after a rebalance, which this workload does not ask for).
 */
export function checkAckedCommitsKept(
  commits: ReadonlyArray<{ partition: number; offset: number; outcome: string }>,
  committed: ReadonlyMap<number, number>,
): string[] {
  const acked = new Map<number, number>()
  for (const c of commits) if (c.outcome === 'ok') acked.set(c.partition, Math.max(acked.get(c.partition) ?? -1, c.offset))
  return [...acked]
    .filter(([p, offset]) => (committed.get(p) ?? -1) < offset)
    .map(
      ([p, offset]) =>
        `partition ${p}: the coordinator acknowledged a commit of ${offset}, but the group's committed offset is ${committed.get(p) ?? 'nothing'}`,
    )
}

/**
 * checkOutOfRangeWasReal: a consumer was told OFFSET_OUT_OF_RANGE only for offsets outside the
 * partition's log. The workload asks only for offsets it reached by reading committed data, so an
 * answer of OFFSET_OUT_OF_RANGE for an offset up to the final log end was wrong (and makes the
 * consumer reset its position: re-consume, or skip data with autoOffsetReset 'latest').
 */
export function checkOutOfRangeWasReal(
  outOfRange: ReadonlyArray<{ partition: number; offset: number; nodeId: number }>,
  log: readonly ReadRecord[],
): string[] {
  const ends = logEnds(log)
  const wrong = outOfRange.filter((o) => o.offset >= 0 && o.offset <= (ends.get(o.partition) ?? 0))
  return unique(
    wrong.map(
      (o) =>
        `node ${o.nodeId} answered OFFSET_OUT_OF_RANGE for offset ${o.offset} of partition ${o.partition}, which the log holds (it ends at ${ends.get(o.partition) ?? 0})`,
    ),
  )
}

/** checkReplicasAgree: every node serves the same log as the first. */
export function checkReplicasAgree(logs: ReadonlyMap<number, readonly ReadRecord[]>): string[] {
  const [first, ...rest] = [...logs]
  if (first === undefined) return []
  const expected = JSON.stringify(first[1])
  return rest
    .filter(([, log]) => JSON.stringify(log) !== expected)
    .map(([id, log]) => `node ${id} serves ${log.length} records, node ${first[0]} serves ${first[1].length}, and they differ`)
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)]
}
