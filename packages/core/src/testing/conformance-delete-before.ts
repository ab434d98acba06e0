import { decodeRecordBatch } from '../record-batch'
import type { PartitionLog } from '../storage'
import {
  type Ctx,
  CONFORMANCE_LOG_CONFIG,
  SMALL_SEGMENTS,
  TP,
  appendBatches,
  crashStorage,
  expectCode,
  expectRecords,
  logState,
  openLog,
  readAll,
  reopenStorage,
  text,
} from './conformance-kit'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, makeRecords, type TestRecord } from './make-batch'

/**
 * Conformance of the log start offset: `deleteBefore` (Kafka's DeleteRecords, and retention) sets
 * it to exactly max(start, min(offset, end)), durably; segments wholly below it go; a batch that
 * straddles it is served whole when read at the start, never below it. See storage-conformance.ts.
 */

const T = DEFAULT_TEST_TIMESTAMP_MS

/** baseOf is the base offset of a batch. */
const baseOf = (batch: Buffer | undefined): number | undefined => (batch === undefined ? undefined : Number(batch.readBigInt64BE(0)))

export function describeDeleteBefore(ctx: Ctx): void {
  describe('deleteBefore (the log start offset)', () => {
    /** A log of 60 batches of 3 records (offsets 3i..3i+2) over many small segments. */
    const segmented = (): { log: PartitionLog; records: TestRecord[] } => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      return {
        log,
        records: appendBatches(
          log,
          Array.from({ length: 60 }, () => 3),
        ),
      }
    }

    it('sets the start to exactly the offset inside a segment; the segments wholly below it go, the one holding it stays', () => {
      const { log, records } = segmented()
      const segments = log.segments()
      expect(segments.length).toBeGreaterThan(4)
      const target = segments[3] as (typeof segments)[number]
      const inside = target.baseOffset + 1
      expect(log.deleteBefore(inside)).toBe(inside)
      expect(log.startOffset()).toBe(inside)
      expect(log.segments()[0]?.baseOffset).toBe(target.baseOffset)
      expect(log.segments()).toHaveLength(segments.length - 3)
      expectRecords(readAll(log), records.slice(inside), inside)
      expect(log.endOffset()).toBe(records.length)
      expect(log.sizeBytes()).toBe(log.segments().reduce((a, s) => a + s.sizeBytes, 0))
    })

    it('a read at the start returns the whole batch that holds it; a read below it is OFFSET_OUT_OF_RANGE', () => {
      const { log } = segmented()
      expect(log.deleteBefore(49)).toBe(49)
      const [first] = log.read(49, 1)
      expect(baseOf(first)).toBe(48)
      expect(decodeRecordBatch(first as Buffer).map((r) => r.offset)).toEqual([48, 49, 50])
      expect(baseOf(log.read(50, 1)[0])).toBe(48)
      expectCode(() => log.read(48, 100), 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.read(0, 100), 'OFFSET_OUT_OF_RANGE')
    })

    it("retention's cut at a segment's end still removes whole segments: the start is that segment boundary", () => {
      const { log, records } = segmented()
      const cut = log.segments()[2]?.endOffset ?? 0
      expect(log.deleteBefore(cut)).toBe(cut)
      expect(log.segments()[0]?.baseOffset).toBe(cut)
      expectRecords(readAll(log), records.slice(cut), cut)
    })

    it('an offset at or past the end moves the start to the end; the active segment stays; appends go on', () => {
      const { log, records } = segmented()
      const end = log.endOffset()
      expect(log.deleteBefore(end + 1000)).toBe(end)
      expect([log.startOffset(), log.endOffset()]).toEqual([end, end])
      expect(log.segments().filter((s) => s.endOffset <= end && !s.active)).toEqual([])
      expect(log.read(end, 1024)).toEqual([])
      expectCode(() => log.read(end - 1, 1024), 'OFFSET_OUT_OF_RANGE')
      const more = makeRecords('n', 2)
      expect(log.append(makeBatch(more)).baseOffset).toBe(records.length)
      expectRecords(readAll(log), more, end)
    })

    it('a single-segment log keeps its batches but serves nothing below the start', () => {
      const log = openLog(ctx)
      const records = appendBatches(log, [3, 3, 3])
      expect(log.deleteBefore(4)).toBe(4)
      expect(log.segments().map((s) => [s.baseOffset, s.endOffset])).toEqual([[0, 9]])
      expectRecords(readAll(log), records.slice(4), 4)
      expect(baseOf(log.read(4, 1)[0])).toBe(3)
    })

    it('an offset at or below startOffset changes nothing', () => {
      const { log } = segmented()
      const start = log.deleteBefore(40)
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

    it('offsetForTimestamp never answers below the start', () => {
      const { log } = segmented()
      log.deleteBefore(31)
      expect(log.offsetForTimestamp(0)).toBe(31)
      expect(log.offsetForTimestamp(T + 10 * 30)).toBe(31)
      expect(log.offsetForTimestamp(T + 10 * 45)).toBe(45)
    })

    it('truncate never goes below the start: truncating into the batch that holds it leaves the log empty at the start', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, [3, 3, 3, 3])
      log.deleteBefore(4)
      log.truncate(5)
      expect([log.startOffset(), log.endOffset()]).toEqual([4, 4])
      expect(readAll(log)).toEqual([])
      log.truncate(0)
      expect([log.startOffset(), log.endOffset()]).toEqual([4, 4])
      const again = makeRecords('again', 2)
      expect(log.append(makeBatch(again)).baseOffset).toBe(4)
      expectRecords(readAll(log), again, 4)
      expect(baseOf(log.read(4, 1)[0])).toBe(4)
    })

    it('truncate above the start keeps it', () => {
      const log = openLog(ctx)
      const records = appendBatches(log, [3, 3, 3, 3])
      log.deleteBefore(4)
      log.truncate(7)
      expect([log.startOffset(), log.endOffset()]).toEqual([4, 6])
      expectRecords(readAll(log), records.slice(4, 6), 4)
    })

    it('resetTo sets the start, below a moved start too', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, [3, 3, 3])
      log.deleteBefore(7)
      log.resetTo(2)
      expect([log.startOffset(), log.endOffset()]).toEqual([2, 2])
      const records = makeRecords('r', 3)
      log.append(makeBatch(records))
      await log.sync()
      const reopened = (await reopenStorage(ctx)).partitionLog(TP, SMALL_SEGMENTS)
      expect([reopened.startOffset(), reopened.endOffset()]).toEqual([2, 5])
      expectRecords(readAll(reopened), records, 2)
    })

    it('compaction keeps the start and serves nothing below it', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      for (let b = 0; b < 40; b++) log.append(makeBatch(Array.from({ length: 5 }, (_, i) => ({ key: `key-${i}`, value: `v-${b}-${i}` }))))
      const start = (log.segments()[1]?.baseOffset ?? 0) + 2
      log.deleteBefore(start)
      const activeBase = log.segments().find((s) => s.active)?.baseOffset ?? 0
      expect(log.compact((r) => r.offset % 3 !== 0).recordsRemoved).toBeGreaterThan(0)
      expect(log.startOffset()).toBe(start)
      const after = readAll(log)
      expect(after[0]?.offset).toBeGreaterThanOrEqual(start)
      expect(after.filter((r) => r.offset < activeBase).every((r) => r.offset % 3 !== 0)).toBe(true)
      expect(text(after[after.length - 1]?.key ?? null)).toBe('key-4')
      expectCode(() => log.read(start - 1, 1024), 'OFFSET_OUT_OF_RANGE')
    })

    it('the start survives a reopen, inside a segment and inside a single-segment log', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(
        log,
        Array.from({ length: 30 }, () => 3),
      )
      const inside = (log.segments()[2]?.baseOffset ?? 0) + 2
      log.deleteBefore(inside)
      const single = openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'single', partition: 0 })
      appendBatches(single, [3, 3])
      single.deleteBefore(4)
      await ctx.storage.sync()
      const before = [logState(log), logState(single)]
      const storage = await reopenStorage(ctx)
      const reopened = storage.partitionLog(TP, SMALL_SEGMENTS)
      const reopenedSingle = storage.partitionLog({ topic: 'single', partition: 0 }, CONFORMANCE_LOG_CONFIG)
      expect([logState(reopened), logState(reopenedSingle)]).toEqual(before)
      expect(reopened.startOffset()).toBe(inside)
      expectCode(() => reopened.read(inside - 1, 1024), 'OFFSET_OUT_OF_RANGE')
      expect(reopenedSingle.append(makeBatch(makeRecords('n', 1))).baseOffset).toBe(6)
    })

    it('the start is durable when deleteBefore returns: it survives a crash, also past batches never synced', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(
        log,
        Array.from({ length: 20 }, () => 3),
      )
      await log.sync()
      const inside = (log.segments()[1]?.baseOffset ?? 0) + 1
      log.deleteBefore(inside)
      const crashed = await crashStorage(ctx)
      if (crashed === null) return
      const recovered = crashed.partitionLog(TP, SMALL_SEGMENTS)
      expect([recovered.startOffset(), recovered.endOffset()]).toEqual([inside, 60])
      // Batches appended and not synced, then deleted: whatever the crash keeps, the start stays and the end is not below it.
      appendBatches(recovered, [3, 3], 'u')
      const end = recovered.deleteBefore(recovered.endOffset())
      const again = (await crashStorage(ctx))?.partitionLog(TP, SMALL_SEGMENTS)
      expect(again?.startOffset()).toBe(end)
      expect(again?.endOffset()).toBe(end)
      expect(again?.read(end, 1024)).toEqual([])
      expect(again?.append(makeBatch(makeRecords('n', 1))).baseOffset).toBe(end)
    })

    it('rejects a negative or non-integer offset and changes nothing', () => {
      const { log } = segmented()
      const before = logState(log)
      expectCode(() => log.deleteBefore(-1), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.deleteBefore(Number.NaN), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.deleteBefore(1.5), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expect(logState(log)).toEqual(before)
    })
  })
}
