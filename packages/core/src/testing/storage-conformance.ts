import { checkBatchAt } from '../batch-header'
import type { Clock } from '../clock'
import { type ErrorCode, TributaryError } from '../errors'
import type { ConsumedRecord, TopicPartition } from '../model'
import { decodeRecordBatch } from '../record-batch'
import type { CommittedOffset, PartitionLog, PartitionLogConfig, Storage, StoredMetadata } from '../storage'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, makeRecords, type TestRecord } from './make-batch'
import { ManualClock } from './manual-clock'
import { createRandom } from './random'

/**
 * The storage conformance suite: the behaviour every `Storage` adapter (memory, file, SQLite)
 * must share. An adapter's test file calls `runStorageConformance('file', factory)`.
 */

/** StorageHandle is one storage under test and the means to reopen and remove it. */
export interface StorageHandle {
  /** The storage, already opened. */
  storage: Storage
  /**
   * reopen closes the current storage if it is still open, then opens a new one over the same
   * location and returns it (opened). Later `reopen` and `cleanup` calls act on the new one.
   */
  reopen(): Promise<Storage>
  /** cleanup closes the current storage if still open and removes its files. */
  cleanup(): Promise<void>
}

/** StorageFactory creates a fresh, empty, opened storage whose time comes from `clock`. */
export interface StorageFactory {
  create(options: { clock: Clock }): Promise<StorageHandle>
}

/** StorageConformanceOptions tunes the suite for slow adapters. */
export interface StorageConformanceOptions {
  /** Partitions in the "many partitions" test; default 200. */
  manyPartitions?: number
}

/** CONFORMANCE_LOG_CONFIG is the default log config of the suite: large segments, one per test. */
export const CONFORMANCE_LOG_CONFIG: PartitionLogConfig = Object.freeze({
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
})

/** Small segments (a few batches each) for the tests of whole-segment behaviour. */
const SMALL_SEGMENTS: PartitionLogConfig = Object.freeze({ ...CONFORMANCE_LOG_CONFIG, segmentBytes: 1024, indexIntervalBytes: 256 })

const TP: TopicPartition = Object.freeze({ topic: 'conformance', partition: 0 })

/** Context shared by the tests of one `describe`: the handle and the current storage. */
interface Ctx {
  clock: ManualClock
  handle: StorageHandle
  storage: Storage
}

/**
 * runStorageConformance declares the conformance suite for one adapter as a jest `describe`
 * block. Each test gets a fresh storage from `factory` (driven by a `ManualClock`) and cleans it up.
 */
export function runStorageConformance(name: string, factory: StorageFactory, options: StorageConformanceOptions = {}): void {
  describe(`${name} storage conformance`, () => {
    const ctx = {} as Ctx
    beforeEach(async () => {
      ctx.clock = new ManualClock(DEFAULT_TEST_TIMESTAMP_MS)
      ctx.handle = await factory.create({ clock: ctx.clock })
      ctx.storage = ctx.handle.storage
    })
    afterEach(async () => {
      await ctx.handle.cleanup()
    })
    describeAppend(ctx)
    describeRead(ctx)
    describeTruncate(ctx)
    describeSegments(ctx)
    describeDeleteBefore(ctx)
    describeTimestamps(ctx)
    describeCompaction(ctx)
    describeReopen(ctx)
    describeMetadata(ctx)
    describeCommittedOffsets(ctx)
    describePartitions(ctx, options.manyPartitions ?? 200)
    describeErrors(ctx)
  })
}

// ---------------------------------------------------------------------------------------------
// Helpers

function openLog(ctx: Ctx, config: PartitionLogConfig = CONFORMANCE_LOG_CONFIG, tp = TP): PartitionLog {
  return ctx.storage.partitionLog(tp, config)
}

/** appendBatches appends `sizes.length` batches of distinct records and returns all records in order. */
function appendBatches(log: PartitionLog, sizes: readonly number[], prefix = 'b'): TestRecord[] {
  const all: TestRecord[] = []
  sizes.forEach((size, i) => {
    // Record n of the log gets timestamp T + 10n, so the timestamp tests can aim between records.
    const records = makeRecords(`${prefix}${i}`, size).map((r, j) => ({ ...r, timestamp: DEFAULT_TEST_TIMESTAMP_MS + (all.length + j) * 10 }))
    log.append(makeBatch(records))
    all.push(...records)
  })
  return all
}

/** readAll reads from `from` to the end in steps of `maxBytes` and decodes every record. */
function readAll(log: PartitionLog, from = log.startOffset(), maxBytes = 64 * 1024): ConsumedRecord[] {
  const out: ConsumedRecord[] = []
  let next = from
  while (next < log.endOffset()) {
    const batches = log.read(next, maxBytes)
    if (batches.length === 0) break
    for (const batch of batches) {
      expect(checkBatchAt(batch)).toBe(batch.length)
      out.push(...decodeRecordBatch(batch).filter((r) => r.offset >= from))
      // Step by the batch's last offset, not its last record: compaction may have removed that record.
      next = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23) + 1
    }
  }
  return out
}

/** readBatches reads every batch from the start (adapters may stop a read at a segment end). */
function readBatches(log: PartitionLog): Buffer[] {
  const out: Buffer[] = []
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    const batches = log.read(next, 1024 * 1024)
    const last = batches[batches.length - 1]
    if (last === undefined) break
    out.push(...batches)
    next = Number(last.readBigInt64BE(0)) + last.readInt32BE(23) + 1
  }
  return out
}

function text(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('utf8')
}

/** expectRecords checks decoded records against what was appended, offsets from `firstOffset`. */
function expectRecords(actual: readonly ConsumedRecord[], expected: readonly TestRecord[], firstOffset = 0): void {
  expect(actual.map((r) => r.offset)).toEqual(expected.map((_, i) => firstOffset + i))
  expect(actual.map((r) => [text(r.key), text(r.value), r.timestamp])).toEqual(
    expected.map((r) => [r.key ?? null, r.value ?? null, r.timestamp ?? DEFAULT_TEST_TIMESTAMP_MS]),
  )
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

/** expectCode asserts that `fn` throws a TributaryError with one of `codes`. */
function expectCode(fn: () => unknown, ...codes: ErrorCode[]): void {
  const err = thrownBy(fn)
  expect(err).toBeInstanceOf(TributaryError)
  expect(codes).toContain((err as TributaryError).code)
}

async function expectCodeAsync(fn: () => Promise<unknown>, ...codes: ErrorCode[]): Promise<void> {
  let err: unknown
  try {
    await fn()
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(TributaryError)
  expect(codes).toContain((err as TributaryError).code)
}

/** logState captures everything observable about a log, to compare before and after. */
function logState(log: PartitionLog): unknown {
  return {
    start: log.startOffset(),
    end: log.endOffset(),
    size: log.sizeBytes(),
    segments: log.segments().map(({ createdAtMs: _, ...rest }) => rest),
    records: readAll(log).map((r) => [r.offset, text(r.key), text(r.value)]),
  }
}

function metadata(overrides: Partial<StoredMetadata> = {}): StoredMetadata {
  return {
    version: 1,
    clusterId: 'conformance-cluster',
    nextProducerId: 7,
    topics: [
      { name: 'orders', topicId: 'id-orders', numPartitions: 3, configs: { 'retention.ms': '1000' }, createdAtMs: 1 },
      { name: 'audit', topicId: 'id-audit', numPartitions: 1, configs: {}, createdAtMs: 2 },
    ],
    ...overrides,
  }
}

function committed(groupId: string, topic: string, partition: number, offset: number): CommittedOffset {
  return { groupId, topic, partition, offset, metadata: offset % 2 === 0 ? null : `m${offset}`, commitTimestampMs: 1000 + offset }
}

/** sortOffsets orders committed offsets so that tests do not depend on an adapter's order. */
function sortOffsets(offsets: readonly CommittedOffset[]): CommittedOffset[] {
  const key = (o: CommittedOffset): string => `${o.groupId}\u0000${o.topic}\u0000${String(o.partition).padStart(10, '0')}`
  return [...offsets].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

// ---------------------------------------------------------------------------------------------
// Append, offsets and FIFO

function describeAppend(ctx: Ctx): void {
  describe('append', () => {
    it('a new log is empty: start 0, end 0, size 0, one empty active segment', () => {
      const log = openLog(ctx)
      expect([log.startOffset(), log.endOffset(), log.sizeBytes()]).toEqual([0, 0, 0])
      const segments = log.segments()
      expect(segments).toHaveLength(1)
      expect(segments[0]).toMatchObject({ baseOffset: 0, endOffset: 0, sizeBytes: 0, maxTimestamp: -1, active: true })
      expect(readAll(log)).toEqual([])
    })

    it('assigns contiguous offsets from 0 across many appends of varied batch sizes', () => {
      const log = openLog(ctx)
      const random = createRandom(1)
      let end = 0
      let size = 0
      for (let i = 0; i < 200; i++) {
        const count = random.range(1, 40)
        const records = makeRecords(`c${i}`, count, DEFAULT_TEST_TIMESTAMP_MS + i)
        const info = log.append(makeBatch(records))
        expect(info).toEqual({ baseOffset: end, lastOffset: end + count - 1, maxTimestamp: DEFAULT_TEST_TIMESTAMP_MS + i + count - 1, sizeBytes: info.sizeBytes })
        end += count
        size += info.sizeBytes
        expect(log.endOffset()).toBe(end)
      }
      expect(log.sizeBytes()).toBe(size)
      expect(readAll(log).map((r) => r.offset)).toEqual(Array.from({ length: end }, (_, i) => i))
    })

    it('ignores the base offset written in the batch and assigns endOffset()', () => {
      const log = openLog(ctx)
      log.append(makeBatch(makeRecords('a', 3)))
      const info = log.append(makeBatch(makeRecords('b', 2), { baseOffset: 1000 }))
      expect(info.baseOffset).toBe(3)
      expect(log.read(3, 1)[0]?.readBigInt64BE(0)).toBe(3n)
    })

    it('returns records in append order (FIFO) with keys, values, headers and timestamps intact', () => {
      const log = openLog(ctx)
      const records: TestRecord[] = [
        { key: null, value: 'no key', timestamp: 5 },
        { key: 'tombstone', value: null, timestamp: 6 },
        { key: '', value: '', headers: [], timestamp: 7 },
        { key: Buffer.from([0, 255, 1]), value: Buffer.alloc(3000, 7), timestamp: 8 },
        { key: 'ключ', value: '値 ✓', headers: [{ key: 'dup', value: Buffer.from('1') }, { key: 'dup', value: null }], timestamp: 9 },
      ]
      for (const record of records) log.append(makeBatch([record]))
      log.append(makeBatch(makeRecords('tail', 10)))
      const read = readAll(log)
      expect(read.slice(0, 5).map((r) => [r.key, r.value, r.timestamp])).toEqual(
        records.map((r) => [typeof r.key === 'string' ? Buffer.from(r.key) : r.key, typeof r.value === 'string' ? Buffer.from(r.value) : r.value, r.timestamp]),
      )
      expect(read[4]?.headers).toEqual([{ key: 'dup', value: Buffer.from('1') }, { key: 'dup', value: null }])
      expect(read.slice(5).map((r) => text(r.key))).toEqual(makeRecords('tail', 10).map((r) => r.key))
      expect(read[5]?.headers).toEqual([{ key: 'h', value: Buffer.from('tail:0') }])
    })

    it('every returned batch passes checkBatchAt and carries its assigned base offset', () => {
      const log = openLog(ctx)
      const infos = [3, 1, 7, 2].map((n, i) => log.append(makeBatch(makeRecords(`x${i}`, n))))
      const batches = log.read(0, 1024 * 1024)
      expect(batches).toHaveLength(4)
      batches.forEach((batch, i) => {
        expect(checkBatchAt(batch)).toBe(batch.length)
        expect(Number(batch.readBigInt64BE(0))).toBe(infos[i]?.baseOffset)
        expect(batch.length).toBe(infos[i]?.sizeBytes)
      })
    })

    it('keeps a batch of 5000 records and a 1 MiB value whole', () => {
      const log = openLog(ctx)
      const many = makeRecords('many', 5000)
      const big: TestRecord = { key: 'big', value: Buffer.alloc(1024 * 1024, 0x61) }
      log.append(makeBatch(many))
      log.append(makeBatch([big]))
      expectRecords(readAll(log).slice(0, 5000), many)
      expect(log.read(5000, 1)[0]?.length).toBeGreaterThan(1024 * 1024)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Reads

function describeRead(ctx: Ctx): void {
  describe('read', () => {
    /** Ten batches of 5 records: offsets 0..49, batch i holds 5i..5i+4. */
    const tenBatches = (): PartitionLog => {
      const log = openLog(ctx)
      appendBatches(log, Array.from({ length: 10 }, () => 5))
      return log
    }
    const firstOffsets = (batches: Buffer[]): number[] => batches.map((b) => Number(b.readBigInt64BE(0)))

    it('read at the first offset starts with the first batch', () => {
      expect(firstOffsets(tenBatches().read(0, 1024 * 1024))).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45])
    })

    it('read in the middle of a batch starts with the batch that contains the offset', () => {
      const log = tenBatches()
      expect(firstOffsets(log.read(17, 1024 * 1024))[0]).toBe(15)
      expect(firstOffsets(log.read(19, 1024 * 1024))[0]).toBe(15)
      expect(firstOffsets(log.read(20, 1024 * 1024))[0]).toBe(20)
    })

    it('read at the last offset returns the last batch only', () => {
      expect(firstOffsets(tenBatches().read(49, 1024 * 1024))).toEqual([45])
    })

    it('read at endOffset returns an empty list', () => {
      expect(tenBatches().read(50, 1024 * 1024)).toEqual([])
      expect(openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'empty', partition: 0 }).read(0, 100)).toEqual([])
    })

    it('read beyond endOffset throws OFFSET_OUT_OF_RANGE', () => {
      const log = tenBatches()
      expectCode(() => log.read(51, 100), 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.read(1_000_000, 100), 'OFFSET_OUT_OF_RANGE')
    })

    it('read at a negative or non-integer offset throws', () => {
      const log = tenBatches()
      expectCode(() => log.read(-1, 100), 'OFFSET_OUT_OF_RANGE', 'INVALID_ARGUMENT')
      expectCode(() => log.read(1.5, 100), 'OFFSET_OUT_OF_RANGE', 'INVALID_ARGUMENT')
      expectCode(() => log.read(Number.NaN, 100), 'OFFSET_OUT_OF_RANGE', 'INVALID_ARGUMENT')
    })

    it('read honours maxBytes and always returns at least one whole batch', () => {
      const log = tenBatches()
      const sizes = log.read(0, 1024 * 1024).map((b) => b.length)
      const total = sizes.reduce((a, b) => a + b, 0)
      for (const maxBytes of [0, 1, (sizes[0] ?? 0) - 1, sizes[0] ?? 0, (sizes[0] ?? 0) + 1, 3 * (sizes[0] ?? 0), total - 1, total, total * 2]) {
        const batches = log.read(0, maxBytes)
        const bytes = batches.reduce((a, b) => a + b.length, 0)
        expect(batches.length).toBeGreaterThanOrEqual(1)
        if (batches.length > 1) expect(bytes).toBeLessThanOrEqual(maxBytes)
        expect(firstOffsets(batches)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45].slice(0, batches.length))
      }
    })

    it('a first batch larger than maxBytes is returned whole', () => {
      const log = openLog(ctx)
      log.append(makeBatch([{ key: 'big', value: Buffer.alloc(10_000, 1) }]))
      log.append(makeBatch(makeRecords('small', 1)))
      const batches = log.read(0, 100)
      expect(batches).toHaveLength(1)
      expect(decodeRecordBatch(batches[0] as Buffer)[0]?.value?.length).toBe(10_000)
    })

    it('reading in a loop with a small maxBytes visits every record exactly once, in order', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const records = appendBatches(log, Array.from({ length: 40 }, (_, i) => 1 + (i % 7)))
      expectRecords(readAll(log, 0, 1), records)
      expectRecords(readAll(log, 0, 700), records)
    })

    it('returned buffers are not changed by later appends, truncates or deletes', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, [3, 3, 3])
      const before = log.read(0, 1024 * 1024).map((b) => Buffer.from(b))
      const held = log.read(0, 1024 * 1024)
      appendBatches(log, Array.from({ length: 20 }, () => 3), 'more')
      log.truncate(3)
      expect(held).toEqual(before)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Truncate

function describeTruncate(ctx: Ctx): void {
  describe('truncate', () => {
    it('truncate in the middle of a batch removes it and all later ones; appends resume at its base', () => {
      const log = openLog(ctx)
      const records = appendBatches(log, [4, 4, 4])
      log.truncate(6)
      expect(log.endOffset()).toBe(4)
      expectRecords(readAll(log), records.slice(0, 4))
      const again = makeRecords('again', 3)
      expect(log.append(makeBatch(again)).baseOffset).toBe(4)
      expectRecords(readAll(log), [...records.slice(0, 4), ...again])
    })

    it('truncate at a batch boundary keeps every earlier batch intact', () => {
      const log = openLog(ctx)
      const records = appendBatches(log, [2, 3, 4])
      log.truncate(5)
      expect(log.endOffset()).toBe(5)
      expectRecords(readAll(log), records.slice(0, 5))
      expect(log.sizeBytes()).toBe(log.read(0, 1024 * 1024).reduce((a, b) => a + b.length, 0))
    })

    it('truncate at or beyond endOffset changes nothing', () => {
      const log = openLog(ctx)
      appendBatches(log, [2, 3])
      const before = logState(log)
      log.truncate(5)
      log.truncate(100)
      expect(logState(log)).toEqual(before)
    })

    it('truncate to 0 empties the log and offsets restart at 0', () => {
      const log = openLog(ctx)
      appendBatches(log, [2, 3])
      log.truncate(0)
      expect([log.startOffset(), log.endOffset(), log.sizeBytes()]).toEqual([0, 0, 0])
      expect(log.read(0, 100)).toEqual([])
      expectCode(() => log.read(1, 100), 'OFFSET_OUT_OF_RANGE')
      expect(log.append(makeBatch(makeRecords('n', 1))).baseOffset).toBe(0)
    })

    it('truncate across segment boundaries drops whole later segments and keeps segments() consistent', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const records = appendBatches(log, Array.from({ length: 40 }, () => 3))
      expect(log.segments().length).toBeGreaterThan(3)
      log.truncate(31)
      expect(log.endOffset()).toBe(30)
      expectRecords(readAll(log), records.slice(0, 30))
      const segments = log.segments()
      expect(segments.filter((s) => s.active)).toHaveLength(1)
      expect(segments[segments.length - 1]?.endOffset).toBe(30)
      expect(segments.reduce((a, s) => a + s.sizeBytes, 0)).toBe(log.sizeBytes())
      expect(log.append(makeBatch(makeRecords('n', 2))).baseOffset).toBe(30)
    })

    it('truncate rejects a negative or non-integer offset and changes nothing', () => {
      const log = openLog(ctx)
      appendBatches(log, [2, 3])
      const before = logState(log)
      expectCode(() => log.truncate(-1), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.truncate(2.5), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expect(logState(log)).toEqual(before)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Segments, roll, segment.bytes, segment.ms, setConfig

function describeSegments(ctx: Ctx): void {
  describe('segments', () => {
    it('segments() chain without gaps, sizes sum to sizeBytes, max timestamps are right and only the last is active', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const records = appendBatches(log, Array.from({ length: 30 }, (_, i) => 1 + (i % 4)))
      const segments = log.segments()
      expect(segments.length).toBeGreaterThan(2)
      expect(segments[0]?.baseOffset).toBe(0)
      segments.slice(1).forEach((s, i) => expect(s.baseOffset).toBe(segments[i]?.endOffset))
      expect(segments[segments.length - 1]?.endOffset).toBe(records.length)
      expect(segments.map((s) => s.active)).toEqual(segments.map((_, i) => i === segments.length - 1))
      expect(segments.reduce((a, s) => a + s.sizeBytes, 0)).toBe(log.sizeBytes())
      for (const s of segments) {
        const inSegment = records.slice(s.baseOffset, s.endOffset)
        expect(s.maxTimestamp).toBe(Math.max(...inSegment.map((r) => r.timestamp ?? 0)))
      }
    })

    it('a segment rolls before it would grow past segmentBytes (a single larger batch is allowed)', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, Array.from({ length: 30 }, () => 3))
      log.append(makeBatch([{ key: 'big', value: Buffer.alloc(3000) }]))
      appendBatches(log, [3], 'after')
      const bases = readBatches(log).map((b) => Number(b.readBigInt64BE(0)))
      for (const s of log.segments()) {
        const batchCount = bases.filter((base) => base >= s.baseOffset && base < s.endOffset).length
        if (batchCount > 1) expect(s.sizeBytes).toBeLessThanOrEqual(SMALL_SEGMENTS.segmentBytes)
      }
    })

    it('roll() closes a non-empty active segment; roll() on an empty active segment adds none', () => {
      const log = openLog(ctx)
      appendBatches(log, [3])
      log.roll()
      const afterRoll = log.segments()
      expect(afterRoll.map((s) => [s.baseOffset, s.endOffset, s.active])).toEqual([[0, 3, false], [3, 3, true]])
      log.roll()
      expect(log.segments()).toHaveLength(2)
      expect(log.append(makeBatch(makeRecords('n', 2))).baseOffset).toBe(3)
      expect(log.segments().map((s) => [s.baseOffset, s.endOffset, s.active])).toEqual([[0, 3, false], [3, 5, true]])
    })

    it('a segment older than segmentMs (by the injected clock) rolls at the next append', () => {
      const log = openLog(ctx, { ...CONFORMANCE_LOG_CONFIG, segmentMs: 1000 })
      appendBatches(log, [2])
      ctx.clock.advance(500)
      appendBatches(log, [2], 'b')
      expect(log.segments()).toHaveLength(1)
      ctx.clock.advance(600)
      appendBatches(log, [2], 'c')
      expect(log.segments().map((s) => [s.baseOffset, s.endOffset, s.active])).toEqual([[0, 4, false], [4, 6, true]])
    })

    it('setConfig applies a smaller segmentBytes to later appends', () => {
      const log = openLog(ctx)
      appendBatches(log, Array.from({ length: 10 }, () => 3))
      expect(log.segments()).toHaveLength(1)
      log.setConfig(SMALL_SEGMENTS)
      appendBatches(log, Array.from({ length: 20 }, () => 3), 'more')
      expect(log.segments().length).toBeGreaterThan(2)
      expect(readAll(log)).toHaveLength(90)
    })

    it('sync() on a log and on the storage resolve', async () => {
      const log = openLog(ctx)
      appendBatches(log, [3])
      await expect(log.sync()).resolves.toBeUndefined()
      await expect(ctx.storage.sync()).resolves.toBeUndefined()
      await expect(Promise.all([log.sync(), log.sync(), ctx.storage.sync()])).resolves.toBeDefined()
    })
  })
}

// ---------------------------------------------------------------------------------------------
// deleteBefore (retention by whole segments)

function describeDeleteBefore(ctx: Ctx): void {
  describe('deleteBefore', () => {
    /** A log of 60 batches of 3 records over many small segments. */
    const segmented = (): { log: PartitionLog; records: TestRecord[] } => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      return { log, records: appendBatches(log, Array.from({ length: 60 }, () => 3)) }
    }

    it('removes only whole segments below the offset: start moves to a segment boundary ≤ the offset', () => {
      const { log, records } = segmented()
      const segments = log.segments()
      expect(segments.length).toBeGreaterThan(4)
      const target = segments[3] as (typeof segments)[number]
      const inside = target.baseOffset + 1
      expect(log.deleteBefore(inside)).toBe(target.baseOffset)
      expect(log.startOffset()).toBe(target.baseOffset)
      expect(log.segments()[0]?.baseOffset).toBe(target.baseOffset)
      expectRecords(readAll(log), records.slice(target.baseOffset), target.baseOffset)
      expect(log.endOffset()).toBe(records.length)
      expect(log.sizeBytes()).toBe(log.segments().reduce((a, s) => a + s.sizeBytes, 0))
    })

    it('reads below the new start offset throw OFFSET_OUT_OF_RANGE', () => {
      const { log } = segmented()
      const start = log.deleteBefore(log.segments()[2]?.endOffset ?? 0)
      expect(start).toBeGreaterThan(0)
      expectCode(() => log.read(0, 100), 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.read(start - 1, 100), 'OFFSET_OUT_OF_RANGE')
      expect(Number(log.read(start, 100)[0]?.readBigInt64BE(0))).toBe(start)
    })

    it('never deletes the active segment, even for an offset at or past the end', () => {
      const { log, records } = segmented()
      const active = log.segments().find((s) => s.active)
      const start = log.deleteBefore(log.endOffset())
      expect(start).toBe(active?.baseOffset)
      expect(log.segments()).toHaveLength(1)
      expectRecords(readAll(log), records.slice(start), start)
      log.deleteBefore(log.endOffset() + 1000)
      expect(log.startOffset()).toBe(start)
    })

    it('a single-segment log keeps everything', () => {
      const log = openLog(ctx)
      const records = appendBatches(log, [3, 3])
      expect(log.deleteBefore(6)).toBe(0)
      expectRecords(readAll(log), records)
    })

    it('an offset at or below startOffset changes nothing', () => {
      const { log } = segmented()
      const start = log.deleteBefore(log.segments()[1]?.endOffset ?? 0)
      const before = logState(log)
      expect(log.deleteBefore(start)).toBe(start)
      expect(log.deleteBefore(0)).toBe(start)
      expect(logState(log)).toEqual(before)
    })

    it('offsets keep growing after a delete: appends never reuse offsets', () => {
      const { log, records } = segmented()
      log.deleteBefore(log.endOffset())
      expect(log.append(makeBatch(makeRecords('n', 2))).baseOffset).toBe(records.length)
    })

    it('rejects a negative or non-integer offset and changes nothing', () => {
      const { log } = segmented()
      const before = logState(log)
      expectCode(() => log.deleteBefore(-1), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.deleteBefore(Number.NaN), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expect(logState(log)).toEqual(before)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// offsetForTimestamp

function describeTimestamps(ctx: Ctx): void {
  describe('offsetForTimestamp', () => {
    /** Records 0..59 at timestamps T, T+10, …, over small segments. */
    const timed = (): PartitionLog => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, Array.from({ length: 20 }, () => 3))
      return log
    }
    const T = DEFAULT_TEST_TIMESTAMP_MS

    it('a timestamp before every record gives the first offset', () => {
      expect(timed().offsetForTimestamp(0)).toBe(0)
    })

    it('an exact timestamp gives the offset of that record, also mid-batch and in later segments', () => {
      const log = timed()
      expect(log.offsetForTimestamp(T)).toBe(0)
      expect(log.offsetForTimestamp(T + 10 * 31)).toBe(31)
      expect(log.offsetForTimestamp(T + 10 * 59)).toBe(59)
    })

    it('a timestamp between two records gives the later one', () => {
      expect(timed().offsetForTimestamp(T + 10 * 31 + 5)).toBe(32)
    })

    it('a timestamp after every record gives null, as does an empty log', () => {
      expect(timed().offsetForTimestamp(T + 10 * 59 + 1)).toBeNull()
      expect(openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'empty', partition: 0 }).offsetForTimestamp(0)).toBeNull()
    })

    it('after deleteBefore, a timestamp before every record gives the new start offset', () => {
      const log = timed()
      const start = log.deleteBefore(30)
      expect(log.offsetForTimestamp(0)).toBe(start)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Compaction

function describeCompaction(ctx: Ctx): void {
  describe('compact', () => {
    /** 40 batches of 5 records over 10 keys, so each key has many versions; the last segment stays active. */
    const keyed = (): { log: PartitionLog; keys: string[] } => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const keys: string[] = []
      for (let b = 0; b < 40; b++) {
        const records = Array.from({ length: 5 }, (_, i) => ({ key: `key-${(b * 5 + i) % 10}`, value: `v-${b}-${i}`, timestamp: DEFAULT_TEST_TIMESTAMP_MS + b }))
        keys.push(...records.map((r) => r.key))
        log.append(makeBatch(records))
      }
      return { log, keys }
    }
    /** latestByKey maps each key to the offset of its last record. */
    const latestByKey = (log: PartitionLog): Map<string, number> => new Map(readAll(log).map((r) => [text(r.key) ?? '', r.offset]))

    it('keeps the latest record per key at its original offset and leaves the active segment untouched', () => {
      const { log, keys } = keyed()
      const end = log.endOffset()
      const active = log.segments().find((s) => s.active)
      if (active === undefined) throw new Error('no active segment')
      const activeBefore = log.read(active.baseOffset, 1024 * 1024).map((b) => Buffer.from(b))
      const latest = latestByKey(log)
      const result = log.compact((r) => latest.get(text(r.key) ?? '') === r.offset)
      expect(result.segmentsRewritten).toBeGreaterThan(0)
      expect(log.endOffset()).toBe(end)
      const after = readAll(log)
      for (const record of after) {
        expect(text(record.key)).toBe(keys[record.offset])
        if (record.offset < active.baseOffset) expect(latest.get(text(record.key) ?? '')).toBe(record.offset)
      }
      expect(after.filter((r) => r.offset >= active.baseOffset).map((r) => r.offset)).toEqual(
        Array.from({ length: end - active.baseOffset }, (_, i) => active.baseOffset + i),
      )
      expect(log.read(active.baseOffset, 1024 * 1024)).toEqual(activeBefore)
      expect(new Set(after.map((r) => text(r.key)))).toEqual(new Set(keys))
    })

    it('reports records and bytes removed, and sizes shrink accordingly', () => {
      const { log } = keyed()
      const before = readAll(log).length
      const sizeBefore = log.sizeBytes()
      const latest = latestByKey(log)
      const result = log.compact((r) => latest.get(text(r.key) ?? '') === r.offset)
      expect(result.recordsRemoved).toBe(before - readAll(log).length)
      expect(result.bytesBefore - result.bytesAfter).toBe(sizeBefore - log.sizeBytes())
      expect(log.sizeBytes()).toBe(log.segments().reduce((a, s) => a + s.sizeBytes, 0))
    })

    it('a filter that keeps everything changes nothing', () => {
      const { log } = keyed()
      const before = logState(log)
      const result = log.compact(() => true)
      expect(result.recordsRemoved).toBe(0)
      expect(result.segmentsRewritten).toBe(0)
      expect(logState(log)).toEqual(before)
    })

    it('reading at a compacted-away offset returns later surviving records; appends keep their offsets', () => {
      const { log } = keyed()
      const end = log.endOffset()
      log.compact((r) => r.offset % 5 === 4)
      const batches = log.read(0, 1024 * 1024)
      expect(decodeRecordBatch(batches[0] as Buffer)[0]?.offset).toBe(4)
      expect(log.append(makeBatch(makeRecords('n', 1))).baseOffset).toBe(end)
    })

    it('a log with only an active segment is not compacted', () => {
      const log = openLog(ctx)
      appendBatches(log, [5, 5])
      const before = logState(log)
      expect(log.compact(() => false).recordsRemoved).toBe(0)
      expect(logState(log)).toEqual(before)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Reopen

function describeReopen(ctx: Ctx): void {
  describe('reopen', () => {
    const reopen = async (): Promise<Storage> => {
      ctx.storage = await ctx.handle.reopen()
      return ctx.storage
    }

    it('keeps synced data, start and end offsets and segments; appends resume at the end offset', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const records = appendBatches(log, Array.from({ length: 30 }, () => 3))
      const start = log.deleteBefore(20)
      await ctx.storage.sync()
      const before = logState(log)
      const reopened = (await reopen()).partitionLog(TP, SMALL_SEGMENTS)
      expect(logState(reopened)).toEqual(before)
      expectRecords(readAll(reopened), records.slice(start), start)
      expect(reopened.append(makeBatch(makeRecords('n', 2))).baseOffset).toBe(records.length)
    })

    it('keeps a truncation and the appends made after it', async () => {
      const log = openLog(ctx)
      const records = appendBatches(log, [4, 4, 4])
      log.truncate(4)
      const again = makeRecords('again', 2)
      log.append(makeBatch(again))
      await log.sync()
      const reopened = (await reopen()).partitionLog(TP, CONFORMANCE_LOG_CONFIG)
      expectRecords(readAll(reopened), [...records.slice(0, 4), ...again])
    })

    it('keeps compacted segments with their offsets', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, Array.from({ length: 30 }, () => 3))
      log.compact((r) => r.offset % 2 === 0)
      await ctx.storage.sync()
      const before = logState(log)
      expect(logState((await reopen()).partitionLog(TP, SMALL_SEGMENTS))).toEqual(before)
    })

    it('keeps metadata, committed offsets and the list of partitions', async () => {
      await ctx.storage.saveMetadata(metadata())
      await ctx.storage.commitOffsets([committed('g', 'orders', 0, 5), committed('g', 'orders', 1, 9)])
      openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'orders', partition: 2 })
      await ctx.storage.sync()
      const storage = await reopen()
      expect(storage.loadMetadata()).toEqual(metadata())
      expect(sortOffsets(storage.loadCommittedOffsets())).toEqual([committed('g', 'orders', 0, 5), committed('g', 'orders', 1, 9)])
      expect(storage.listPartitions()).toEqual([{ topic: 'orders', partition: 2 }])
    })

    it('reopening twice in a row changes nothing', async () => {
      const log = openLog(ctx)
      appendBatches(log, [3, 3])
      await log.sync()
      const before = logState(log)
      await reopen()
      const storage = await reopen()
      expect(logState(storage.partitionLog(TP, CONFORMANCE_LOG_CONFIG))).toEqual(before)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Metadata and committed offsets

function describeMetadata(ctx: Ctx): void {
  describe('metadata', () => {
    it('loadMetadata returns null on a new storage', () => {
      expect(ctx.storage.loadMetadata()).toBeNull()
    })

    it('saveMetadata then loadMetadata round-trips; a later save replaces the whole document', async () => {
      await ctx.storage.saveMetadata(metadata())
      expect(ctx.storage.loadMetadata()).toEqual(metadata())
      const replaced = metadata({ topics: [], nextProducerId: 99, clusterId: 'other' })
      await ctx.storage.saveMetadata(replaced)
      expect(ctx.storage.loadMetadata()).toEqual(replaced)
    })

    it('stored metadata is a copy: mutating the saved or loaded object changes nothing stored', async () => {
      const doc = metadata()
      await ctx.storage.saveMetadata(doc)
      doc.topics.push({ name: 'late', topicId: 'x', numPartitions: 1, configs: {}, createdAtMs: 3 })
      const loaded = ctx.storage.loadMetadata()
      loaded?.topics.pop()
      expect(ctx.storage.loadMetadata()).toEqual(metadata())
    })
  })
}

function describeCommittedOffsets(ctx: Ctx): void {
  describe('committed offsets', () => {
    const load = (): CommittedOffset[] => sortOffsets(ctx.storage.loadCommittedOffsets())

    it('a new storage has no committed offsets', () => {
      expect(ctx.storage.loadCommittedOffsets()).toEqual([])
    })

    it('commit then load returns every offset with its metadata and timestamp', async () => {
      const offsets = [committed('g1', 'orders', 0, 10), committed('g1', 'orders', 1, 11), committed('g1', 'audit', 0, 0)]
      await ctx.storage.commitOffsets(offsets)
      expect(load()).toEqual(sortOffsets(offsets))
    })

    it('the latest commit per group and partition wins', async () => {
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 10)])
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 25)])
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 3), committed('g1', 'orders', 0, 31)])
      expect(load()).toEqual([committed('g1', 'orders', 0, 31)])
    })

    it('groups are independent', async () => {
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 10), committed('g2', 'orders', 0, 20)])
      await ctx.storage.commitOffsets([committed('g2', 'orders', 0, 21)])
      expect(load()).toEqual([committed('g1', 'orders', 0, 10), committed('g2', 'orders', 0, 21)])
    })

    it("deleteCommittedOffsets without partitions removes all of one group's offsets", async () => {
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 10), committed('g1', 'orders', 1, 11), committed('g2', 'orders', 0, 20)])
      await ctx.storage.deleteCommittedOffsets('g1')
      expect(load()).toEqual([committed('g2', 'orders', 0, 20)])
    })

    it('deleteCommittedOffsets with partitions removes only those', async () => {
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 10), committed('g1', 'orders', 1, 11), committed('g1', 'audit', 0, 12)])
      await ctx.storage.deleteCommittedOffsets('g1', [{ topic: 'orders', partition: 1 }, { topic: 'missing', partition: 0 }])
      expect(load()).toEqual(sortOffsets([committed('g1', 'orders', 0, 10), committed('g1', 'audit', 0, 12)]))
    })

    it('a loaded offset is a copy: mutating it changes nothing stored', async () => {
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 10)])
      const loaded = ctx.storage.loadCommittedOffsets()
      if (loaded[0] !== undefined) loaded[0].offset = 99
      expect(load()).toEqual([committed('g1', 'orders', 0, 10)])
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Partitions

function describePartitions(ctx: Ctx, manyPartitions: number): void {
  describe('partitions', () => {
    it('listPartitions names every partition that has a log', () => {
      expect(ctx.storage.listPartitions()).toEqual([])
      openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'a', partition: 1 })
      openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'a', partition: 0 })
      openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'b.c_d-e', partition: 0 })
      const names = ctx.storage.listPartitions().map((tp) => `${tp.topic}/${tp.partition}`)
      expect(names.sort()).toEqual(['a/0', 'a/1', 'b.c_d-e/0'])
    })

    it('partitionLog twice for one partition gives the same data', () => {
      appendBatches(openLog(ctx), [3])
      expect(readAll(openLog(ctx))).toHaveLength(3)
    })

    it('deletePartition removes the log and its data; a new log of that name starts at 0', async () => {
      appendBatches(openLog(ctx), [3, 3])
      const other = openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'other', partition: 0 })
      appendBatches(other, [2])
      await ctx.storage.deletePartition(TP)
      expect(ctx.storage.listPartitions()).toEqual([{ topic: 'other', partition: 0 }])
      const fresh = openLog(ctx)
      expect([fresh.startOffset(), fresh.endOffset()]).toEqual([0, 0])
      expect(readAll(other)).toHaveLength(2)
      await ctx.storage.sync()
      ctx.storage = await ctx.handle.reopen()
      expect(ctx.storage.listPartitions().map((tp) => tp.topic).sort()).toEqual(['conformance', 'other'])
    })

    it(`${manyPartitions} partitions with interleaved appends each keep their own contiguous offsets`, async () => {
      const logs = Array.from({ length: manyPartitions }, (_, p) => openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: `t${p % 7}`, partition: p }))
      const random = createRandom(7)
      const expected = logs.map(() => [] as TestRecord[])
      for (let i = 0; i < manyPartitions * 4; i++) {
        const p = random.int(manyPartitions)
        const records = makeRecords(`p${p}-${i}`, random.range(1, 5))
        const info = (logs[p] as PartitionLog).append(makeBatch(records))
        expect(info.baseOffset).toBe(expected[p]?.length)
        expected[p]?.push(...records)
      }
      await ctx.storage.sync()
      logs.forEach((log, p) => expectRecords(readAll(log), expected[p] ?? []))
      expect(ctx.storage.listPartitions()).toHaveLength(manyPartitions)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Errors: closed storage, corrupt batches

function describeErrors(ctx: Ctx): void {
  describe('errors', () => {
    it('calls after close throw CLIENT_CLOSED, on the storage and on logs opened before', async () => {
      const log = openLog(ctx)
      appendBatches(log, [2])
      await ctx.storage.close()
      const storage = ctx.storage
      expectCode(() => storage.partitionLog(TP, CONFORMANCE_LOG_CONFIG), 'CLIENT_CLOSED')
      expectCode(() => storage.listPartitions(), 'CLIENT_CLOSED')
      expectCode(() => storage.loadMetadata(), 'CLIENT_CLOSED')
      expectCode(() => storage.loadCommittedOffsets(), 'CLIENT_CLOSED')
      await expectCodeAsync(() => storage.saveMetadata(metadata()), 'CLIENT_CLOSED')
      await expectCodeAsync(() => storage.commitOffsets([committed('g', 't', 0, 1)]), 'CLIENT_CLOSED')
      await expectCodeAsync(() => storage.deleteCommittedOffsets('g'), 'CLIENT_CLOSED')
      await expectCodeAsync(() => storage.deletePartition(TP), 'CLIENT_CLOSED')
      await expectCodeAsync(() => storage.sync(), 'CLIENT_CLOSED')
      expectCode(() => log.append(makeBatch(makeRecords('late', 1))), 'CLIENT_CLOSED')
      expectCode(() => log.read(0, 100), 'CLIENT_CLOSED')
      await expectCodeAsync(() => log.sync(), 'CLIENT_CLOSED')
    })

    it('close() twice resolves', async () => {
      await ctx.storage.close()
      await expect(ctx.storage.close()).resolves.toBeUndefined()
    })

    it('a batch with a flipped bit throws CORRUPT_MESSAGE and changes nothing', () => {
      const log = openLog(ctx)
      appendBatches(log, [2])
      const before = logState(log)
      const good = makeBatch(makeRecords('c', 3))
      for (const pos of [17, 21, 30, 61, good.length - 1]) {
        const bad = Buffer.from(good)
        bad[pos] = (bad[pos] ?? 0) ^ 0x10
        expectCode(() => log.append(bad), 'CORRUPT_MESSAGE')
      }
      expect(logState(log)).toEqual(before)
    })

    it('a truncated, over-long, wrong-magic or empty buffer throws CORRUPT_MESSAGE and changes nothing', () => {
      const log = openLog(ctx)
      appendBatches(log, [2])
      const before = logState(log)
      const good = makeBatch(makeRecords('c', 3))
      const wrongMagic = Buffer.from(good)
      wrongMagic[16] = 1
      for (const bad of [good.subarray(0, good.length - 1), good.subarray(0, 20), Buffer.concat([good, good]), wrongMagic, Buffer.alloc(0), Buffer.alloc(100)]) {
        expectCode(() => log.append(bad), 'CORRUPT_MESSAGE')
      }
      expect(logState(log)).toEqual(before)
    })
  })
}
