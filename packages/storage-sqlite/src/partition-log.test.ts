import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeRecordBatch, TributaryError } from '@tributary/core'
import type { PartitionLog, PartitionLogConfig } from '@tributary/core'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, makeRecords, ManualClock } from '@tributary/core/testing'
import { SqliteStorage } from './sqlite-storage'
import { readLastOffset } from '@tributary/core/internal'

const T = DEFAULT_TEST_TIMESTAMP_MS
const CONFIG: PartitionLogConfig = { segmentBytes: 1024 * 1024, segmentMs: 7 * 86_400_000, indexIntervalBytes: 4096 }

let dir: string
let clock: ManualClock
let storage: SqliteStorage
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-log-'))
  clock = new ManualClock(T)
  storage = new SqliteStorage({ path: join(dir, 'tributary.db'), clock })
  await storage.open()
})
afterEach(async () => {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
})

async function reopen(): Promise<SqliteStorage> {
  await storage.close()
  storage = new SqliteStorage({ path: join(dir, 'tributary.db'), clock })
  await storage.open()
  return storage
}

/** offsets decodes every record of the log, in order, and returns its offsets. */
function offsets(log: PartitionLog): number[] {
  return log.read(log.startOffset(), 1 << 30).flatMap((b) => decodeRecordBatch(b).map((r) => r.offset))
}

function thrown(fn: () => unknown): TributaryError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError)
    return err as TributaryError
  }
  throw new Error('expected a throw')
}

describe('storage layout', () => {
  it('stores one row per record batch, not per message', () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    for (let i = 0; i < 5; i++) log.append(makeBatch(makeRecords(`b${i}`, 100)))
    expect(storage.database().prepare('SELECT count(*) FROM batches').pluck().get()).toBe(5)
  })

  it('finds the batch containing an offset, and the first batch by time, with one index seek each', () => {
    const db = storage.database()
    const plan = (sql: string): string =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(1, 5)
        .map((row) => (row as { detail: string }).detail)
        .join('; ')
    expect(plan('SELECT last_offset, data FROM batches WHERE partition_id = ? AND last_offset >= ? ORDER BY last_offset')).toBe(
      'SEARCH batches USING PRIMARY KEY (partition_id=? AND last_offset>?)',
    )
    expect(
      plan(
        'SELECT last_offset, max_timestamp, data FROM batches INDEXED BY batches_by_time WHERE partition_id = ? AND time_key >= ? ORDER BY time_key, last_offset',
      ),
    ).toBe('SEARCH batches USING INDEX batches_by_time (partition_id=? AND time_key>?)')
  })

  it('SQL metacharacters in group ids and metadata are bound and stored verbatim; such topic names are refused before any statement', async () => {
    const evilTopics = [`o'; DROP TABLE batches; --`, `"quoted" \\ back\`tick`, `%_*?[]`, `ümlaut-✓`, `a\u0000b`]
    for (const topic of evilTopics)
      expect(() => storage.partitionLog({ topic, partition: 0 }, CONFIG)).toThrow(
        expect.objectContaining({ code: 'INVALID_TOPIC_EXCEPTION' }),
      )
    // Kafka-legal names that are still LIKE wildcards or odd in SQL ('_', '.', '-').
    const topics = ['o_DROP_TABLE_batches--', '_', '..x', `a.${'x'.repeat(200)}`]
    topics.forEach((topic, i) => storage.partitionLog({ topic, partition: i }, CONFIG).append(makeBatch(makeRecords(`e${i}`, 2))))
    await storage.commitOffsets(
      topics.map((topic, i) => ({ groupId: `g'"; --`, topic, partition: i, offset: 2, metadata: `'); --`, commitTimestampMs: 1 })),
    )
    const reopened = await reopen()
    expect(
      reopened
        .listPartitions()
        .map((tp) => tp.topic)
        .sort(),
    ).toEqual([...topics].sort())
    topics.forEach((topic, i) => expect(offsets(reopened.partitionLog({ topic, partition: i }, CONFIG))).toEqual([0, 1]))
    expect(
      reopened
        .loadCommittedOffsets()
        .map((o) => [o.groupId, o.topic, o.metadata])
        .sort(),
    ).toEqual(topics.map((t) => [`g'"; --`, t, `'); --`]).sort())
    expect(reopened.database().prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'batches'").pluck().get()).toBe(1)
  })
})

describe('corruption on read', () => {
  /** damage flips one byte of the stored blob of the batch that ends at `lastOffset`. */
  function damage(lastOffset: number, pos: number): void {
    const db = storage.database()
    const data = db.prepare('SELECT data FROM batches WHERE last_offset = ?').pluck().get(lastOffset) as Buffer
    data[pos] = (data[pos] ?? 0) ^ 0x01
    db.prepare('UPDATE batches SET data = ? WHERE last_offset = ?').run(data, lastOffset)
  }

  it('a stored batch failing its CRC is CORRUPT_MESSAGE on read, naming the partition, never wrong data', () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    for (let i = 0; i < 3; i++) log.append(makeBatch(makeRecords(`b${i}`, 5, T + 10 * i)))
    damage(9, 80)
    expect(log.read(0, 1)).toHaveLength(1)
    const err = thrown(() => log.read(5, 1 << 20))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.details).toMatchObject({ topic: 't', partition: 0, lastOffset: 9 })
    expect(thrown(() => log.offsetForTimestamp(T + 11)).code).toBe('CORRUPT_MESSAGE')
  })

  it('a read from before a damaged batch serves every good batch up to it, as the file storage does; the next read is CORRUPT_MESSAGE', () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    for (let i = 0; i < 60; i++) log.append(makeBatch(makeRecords(`b${i}`, 10, T + i)))
    damage(509, 80)
    const good = log.read(0, 1 << 20)
    expect(good).toHaveLength(50)
    expect(readLastOffset(good.at(-1) as Buffer)).toBe(499)
    const err = thrown(() => log.read(500, 1 << 20))
    expect(err.code).toBe('CORRUPT_MESSAGE')
    expect(err.details).toMatchObject({ topic: 't', partition: 0, lastOffset: 509 })
    expect(log.read(510, 1 << 20)).toHaveLength(9)
  })

  it('a stored base offset that disagrees with the row (outside the CRC) is CORRUPT_MESSAGE', () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    log.append(makeBatch(makeRecords('a', 5)))
    damage(4, 7)
    expect(thrown(() => log.read(0, 1 << 20)).code).toBe('CORRUPT_MESSAGE')
  })
})

describe('offsetForTimestamp', () => {
  it('finds the first record in offset order when batch timestamps go back and forth', () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    // Batches' max timestamps: 100, 50, 300, 200 (offsets 0-1, 2-3, 4-5, 6-7).
    for (const [a, b] of [
      [90, 100],
      [40, 50],
      [250, 300],
      [150, 200],
    ] as const) {
      log.append(
        makeBatch([
          { key: 'k', value: 'a', timestamp: T + a },
          { key: 'k', value: 'b', timestamp: T + b },
        ]),
      )
    }
    expect(log.offsetForTimestamp(T + 45)).toBe(0)
    expect(log.offsetForTimestamp(T + 95)).toBe(1)
    expect(log.offsetForTimestamp(T + 101)).toBe(4)
    expect(log.offsetForTimestamp(T + 260)).toBe(5)
    expect(log.offsetForTimestamp(T + 301)).toBeNull()
  })
})

describe('end offset persistence', () => {
  it('survives a reopen after compaction removed the tail batches and the active segment is empty', async () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    log.append(makeBatch(makeRecords('a', 5)))
    log.append(makeBatch(makeRecords('b', 5)))
    log.roll()
    log.compact((r) => r.offset < 5)
    expect(log.endOffset()).toBe(10)
    const reopened = (await reopen()).partitionLog({ topic: 't', partition: 0 }, CONFIG)
    expect([reopened.startOffset(), reopened.endOffset()]).toEqual([0, 10])
    expect(reopened.append(makeBatch(makeRecords('c', 1))).baseOffset).toBe(10)
  })

  it('survives a reopen after a roll with no appends after it', async () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    log.append(makeBatch(makeRecords('a', 5)))
    log.roll()
    const reopened = (await reopen()).partitionLog({ topic: 't', partition: 0 }, CONFIG)
    expect(reopened.segments().map((s) => [s.baseOffset, s.endOffset, s.active])).toEqual([
      [0, 5, false],
      [5, 5, true],
    ])
  })

  it('keeps the segment config of the last partitionLog or setConfig call', async () => {
    storage.partitionLog({ topic: 't', partition: 0 }, CONFIG).setConfig({ ...CONFIG, segmentBytes: 1000 })
    const db = (await reopen()).database()
    expect(db.prepare('SELECT segment_bytes FROM partitions').pluck().get()).toBe(1000)
  })
})

describe('deleted partitions', () => {
  it('a log whose partition was deleted throws UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const log = storage.partitionLog({ topic: 't', partition: 0 }, CONFIG)
    log.append(makeBatch(makeRecords('a', 2)))
    await storage.deletePartition({ topic: 't', partition: 0 })
    expect(thrown(() => log.read(0, 100)).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(storage.database().prepare('SELECT count(*) FROM batches').pluck().get()).toBe(0)
  })
})
