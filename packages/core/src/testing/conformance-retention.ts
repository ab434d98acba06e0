import { decodeRecordBatch } from '../record-batch'
import type { PartitionLog, Storage } from '../storage'
import {
  type Ctx,
  CONFORMANCE_LOG_CONFIG,
  SMALL_SEGMENTS,
  TP,
  openLog,
  appendBatches,
  readAll,
  text,
  expectRecords,
  logState,
  metadata,
  committed,
  sortOffsets,
} from './conformance-kit'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, makeRecords } from './make-batch'

/** Conformance of what retention, compaction and restarts do to a partition log. See storage-conformance.ts. */

// ---------------------------------------------------------------------------------------------
// offsetForTimestamp

export function describeTimestamps(ctx: Ctx): void {
  describe('offsetForTimestamp', () => {
    /** Records 0..59 at timestamps T, T+10, …, over small segments. */
    const timed = (): PartitionLog => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(
        log,
        Array.from({ length: 20 }, () => 3),
      )
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

export function describeCompaction(ctx: Ctx): void {
  describe('compact', () => {
    /** 40 batches of 5 records over 10 keys, so each key has many versions; the last segment stays active. */
    const keyed = (): { log: PartitionLog; keys: string[] } => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const keys: string[] = []
      for (let b = 0; b < 40; b++) {
        const records = Array.from({ length: 5 }, (_, i) => ({
          key: `key-${(b * 5 + i) % 10}`,
          value: `v-${b}-${i}`,
          timestamp: DEFAULT_TEST_TIMESTAMP_MS + b,
        }))
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

export function describeReopen(ctx: Ctx): void {
  describe('reopen', () => {
    const reopen = async (): Promise<Storage> => {
      ctx.storage = await ctx.handle.reopen()
      return ctx.storage
    }

    it('keeps synced data, start and end offsets and segments; appends resume at the end offset', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const records = appendBatches(
        log,
        Array.from({ length: 30 }, () => 3),
      )
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
      appendBatches(
        log,
        Array.from({ length: 30 }, () => 3),
      )
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
