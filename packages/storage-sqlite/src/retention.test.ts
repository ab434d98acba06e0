import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeRecordBatch } from '@tributary/core'
import type { PartitionLog, PartitionLogConfig, RecordFilter } from '@tributary/core'
import { makeBatch, ManualClock } from '@tributary/core/testing'
import { SqliteStorage } from './sqlite-storage'

/*
 * Retention and compaction driven by an injected ManualClock: segments roll by `segmentMs` of the
 * clock, retention deletes whole closed segments by age or size, and compaction keeps the latest
 * record per key and drops tombstones once older than the delete retention. The helpers below
 * apply the broker's rules (as core's log cleaner does) through the PartitionLog contract only.
 */

const HOUR_MS = 3_600_000
const START_MS = 1_700_000_000_000
const CONFIG: PartitionLogConfig = { segmentBytes: 1 << 30, segmentMs: HOUR_MS, indexIntervalBytes: 4096 }

let dir: string
let clock: ManualClock
let storage: SqliteStorage
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-retention-'))
  clock = new ManualClock(START_MS)
  storage = new SqliteStorage({ path: join(dir, 'tributary.db'), clock })
  await storage.open()
})
afterEach(async () => {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
})

/** retainByTime deletes the oldest closed segments whose newest record is older than `retentionMs`. */
function retainByTime(log: PartitionLog, retentionMs: number): number {
  const expired = log.segments().filter((s) => !s.active && s.maxTimestamp >= 0 && clock.now() - s.maxTimestamp > retentionMs)
  const last = expired[expired.length - 1]
  return last === undefined ? log.startOffset() : log.deleteBefore(last.endOffset)
}

/** retainBySize deletes the oldest closed segments while the log stays at or above `retentionBytes` without them. */
function retainBySize(log: PartitionLog, retentionBytes: number): number {
  let total = log.sizeBytes()
  let upTo = -1
  for (const s of log.segments()) {
    if (s.active || total - s.sizeBytes < retentionBytes) break
    total -= s.sizeBytes
    upTo = s.endOffset
  }
  return upTo < 0 ? log.startOffset() : log.deleteBefore(upTo)
}

/** appendAt appends one record stamped with the clock's time. */
function appendAt(log: PartitionLog, key: string, value: string | null): number {
  return log.append(makeBatch([{ key, value, timestamp: clock.now() }])).baseOffset
}

function records(log: PartitionLog): { offset: number; key: string; value: string | null }[] {
  return log
    .read(log.startOffset(), 1 << 30)
    .flatMap((b) => decodeRecordBatch(b))
    .map((r) => ({ offset: r.offset, key: String(r.key), value: r.value === null ? null : String(r.value) }))
}

describe('retention on an injected clock', () => {
  it('segments roll every segmentMs of clock time and expire whole, oldest first, by their newest record', async () => {
    const log = storage.partitionLog({ topic: 'events', partition: 0 }, CONFIG)
    // One record every 30 minutes for 6 hours: 12 records, a new segment each hour.
    for (let i = 0; i < 12; i++) {
      appendAt(log, `k${i}`, `v${i}`)
      clock.advance(HOUR_MS / 2)
    }
    expect(log.segments().map((s) => [s.baseOffset, s.endOffset])).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
      [8, 10],
      [10, 12],
    ])
    expect(retainByTime(log, 10 * HOUR_MS)).toBe(0)
    // Now is 6 h after the first record; a 2 h retention expires the segments whose newest record is older.
    const start = retainByTime(log, 2 * HOUR_MS)
    expect(start).toBe(8)
    expect(records(log).map((r) => r.offset)).toEqual([8, 9, 10, 11])
    expect(log.sizeBytes()).toBe(log.segments().reduce((sum, s) => sum + s.sizeBytes, 0))
    clock.advance(10 * HOUR_MS)
    // The active segment is never deleted, however old.
    expect(retainByTime(log, 2 * HOUR_MS)).toBe(10)
    await storage.sync()
    const reopened = new SqliteStorage({ path: join(dir, 'tributary.db'), clock })
    await storage.close()
    storage = reopened
    await storage.open()
    const again = storage.partitionLog({ topic: 'events', partition: 0 }, CONFIG)
    expect([again.startOffset(), again.endOffset()]).toEqual([10, 12])
  })

  it('retention by size keeps the newest segments that fit, never the active one', () => {
    const log = storage.partitionLog({ topic: 'events', partition: 0 }, CONFIG)
    for (let i = 0; i < 10; i++) {
      log.append(makeBatch([{ key: `k${i}`, value: 'x'.repeat(1000), timestamp: clock.now() }]))
      clock.advance(HOUR_MS)
    }
    const segmentBytes = log.segments()[0]?.sizeBytes ?? 0
    expect(log.segments()).toHaveLength(10)
    expect(retainBySize(log, 3 * segmentBytes)).toBe(7)
    expect(log.sizeBytes()).toBe(3 * segmentBytes)
    expect(retainBySize(log, 0)).toBe(9)
  })
})

describe('compaction on an injected clock', () => {
  const DELETE_RETENTION_MS = 24 * HOUR_MS

  /** compactByKey keeps the latest record per key in closed segments; tombstones go once older than the delete retention. */
  function compactByKey(log: PartitionLog) {
    const active = log.segments().find((s) => s.active)?.baseOffset ?? 0
    const latest = new Map(
      records(log)
        .filter((r) => r.offset < active)
        .map((r) => [r.key, r.offset]),
    )
    const horizon = clock.now() - DELETE_RETENTION_MS
    const keep: RecordFilter = (r) => {
      if (r.offset >= active || r.key === null) return true
      if (latest.get(r.key.toString()) !== r.offset) return false
      return !(r.isTombstone && r.timestamp < horizon)
    }
    return log.compact(keep)
  }

  it('keeps the latest value per key at its offset, then drops a tombstone once past delete retention', async () => {
    const log = storage.partitionLog({ topic: 'users', partition: 0 }, CONFIG)
    appendAt(log, 'alice', 'v1') // 0
    appendAt(log, 'bob', 'v1') // 1
    appendAt(log, 'alice', 'v2') // 2
    appendAt(log, 'bob', null) // 3: bob deleted
    appendAt(log, 'carol', 'v1') // 4
    log.roll()
    appendAt(log, 'alice', 'v3') // 5, active: untouched
    const first = compactByKey(log)
    expect(first).toMatchObject({ segmentsRewritten: 1, recordsRemoved: 2 })
    expect(records(log)).toEqual([
      { offset: 2, key: 'alice', value: 'v2' },
      { offset: 3, key: 'bob', value: null },
      { offset: 4, key: 'carol', value: 'v1' },
      { offset: 5, key: 'alice', value: 'v3' },
    ])
    clock.advance(DELETE_RETENTION_MS + 1)
    const second = compactByKey(log)
    expect(second).toMatchObject({ segmentsRewritten: 1, recordsRemoved: 1 })
    expect(records(log).map((r) => r.offset)).toEqual([2, 4, 5])
    expect(log.endOffset()).toBe(6)
    expect(appendAt(log, 'dave', 'v1')).toBe(6)
    expect(log.sizeBytes()).toBe(log.segments().reduce((sum, s) => sum + s.sizeBytes, 0))
    expect(log.segments()[0]).toMatchObject({ baseOffset: 0, endOffset: 5, active: false })
  })
})
