import type { PartitionLog } from '../storage'
import {
  type Ctx,
  CONFORMANCE_LOG_CONFIG,
  SMALL_SEGMENTS,
  TP,
  appendBatches,
  crashStorage,
  expectCode,
  expectCodeAsync,
  logState,
  openLog,
  readAll,
  reopenStorage,
  text,
} from './conformance-kit'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, type TestRecord } from './make-batch'

/**
 * Conformance of the two operations a replica uses to catch up from another replica: `resetTo`
 * (start over, empty, at the others' log start) and `appendCopy` (append a batch keeping the
 * offsets it carries, so the gaps that compaction left at the source stay gaps). See
 * storage-conformance.ts.
 */

const T = DEFAULT_TEST_TIMESTAMP_MS

/** recordsAt builds `count` records for offsets base, base + 1, …: key `<prefix>-<offset>`, timestamp T + 10 × offset. */
function recordsAt(base: number, count: number, prefix = 'c'): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: `${prefix}-${base + i}`, value: `v-${base + i}`, timestamp: T + 10 * (base + i) }))
}

/** copyAt encodes a batch that carries base offset `base`, as a batch read from another replica does. */
function copyAt(base: number, count: number, prefix = 'c'): Buffer {
  return makeBatch(recordsAt(base, count, prefix), { baseOffset: base })
}

/** Layout = [base, count] of each copied batch, in order. */
type Layout = ReadonlyArray<readonly [number, number]>

/** GAPPY holds offsets 0–4, 10–14, 20–22 and 40–41: gaps 5–9, 15–19 and 23–39; the end is 42. */
const GAPPY: Layout = [
  [0, 5],
  [10, 5],
  [20, 3],
  [40, 2],
]

/** copyLayout appendCopies one batch per layout entry. */
function copyLayout(log: PartitionLog, layout: Layout, prefix = 'c'): void {
  for (const [base, count] of layout) log.appendCopy(copyAt(base, count, prefix))
}

/** keysOf is what `layout` copied with `prefix`, as [offset, key] pairs, from offset `from` on. */
function keysOf(layout: Layout, from = 0, prefix = 'c'): Array<[number, string]> {
  return layout
    .flatMap(([base, count]) => recordsAt(base, count, prefix).map((r, i): [number, string] => [base + i, r.key as string]))
    .filter(([o]) => o >= from)
}

/** stored is what a log holds, as [offset, key] pairs. */
function stored(log: PartitionLog): Array<[number, string | null]> {
  return readAll(log).map((r) => [r.offset, text(r.key)])
}

/** firstBase is the base offset of the first batch `read(offset)` returns. */
function firstBase(log: PartitionLog, offset: number): number | undefined {
  const first = log.read(offset, 1)[0]
  return first === undefined ? undefined : Number(first.readBigInt64BE(0))
}

/**
 * expectChained checks that segments() cover [start, end) without holes and that their sizes add
 * up; the first segment may begin below the start (deleteBefore inside it) but not end at or below it.
 */
function expectChained(log: PartitionLog): void {
  const segments = log.segments()
  expect(segments[0]?.baseOffset).toBeLessThanOrEqual(log.startOffset())
  if (segments.length > 1) expect(segments[0]?.endOffset).toBeGreaterThan(log.startOffset())
  segments.slice(1).forEach((s, i) => expect(s.baseOffset).toBe(segments[i]?.endOffset))
  expect(segments[segments.length - 1]?.endOffset).toBe(log.endOffset())
  expect(segments.map((s) => s.active)).toEqual(segments.map((_, i) => i === segments.length - 1))
  expect(segments.reduce((a, s) => a + s.sizeBytes, 0)).toBe(log.sizeBytes())
}

// ---------------------------------------------------------------------------------------------
// resetTo

export function describeResetTo(ctx: Ctx): void {
  describe('resetTo', () => {
    it('resetTo past the end drops every batch and leaves the log empty there; appends continue from it', () => {
      const log = openLog(ctx)
      appendBatches(log, [3, 4, 5])
      log.resetTo(1000)
      expect([log.startOffset(), log.endOffset(), log.sizeBytes()]).toEqual([1000, 1000, 0])
      expect(log.read(1000, 1024)).toEqual([])
      expectCode(() => log.read(999, 1024), 'OFFSET_OUT_OF_RANGE')
      expectCode(() => log.read(0, 1024), 'OFFSET_OUT_OF_RANGE')
      expect(log.segments().map((s) => [s.baseOffset, s.endOffset, s.sizeBytes, s.active])).toEqual([[1000, 1000, 0, true]])
      expect(log.offsetForTimestamp(0)).toBeNull()
      expect(log.append(makeBatch(recordsAt(1000, 2))).baseOffset).toBe(1000)
      expect(stored(log)).toEqual([
        [1000, 'c-1000'],
        [1001, 'c-1001'],
      ])
    })

    it('resetTo below the start, inside the range or at the end also drops everything: start = end = the offset', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(
        log,
        Array.from({ length: 40 }, () => 3),
      )
      const start = log.deleteBefore(60)
      expect(start).toBeGreaterThan(5)
      for (const offset of [5, start + 10, log.endOffset(), 0]) {
        log.append(makeBatch(recordsAt(log.endOffset(), 3)))
        log.resetTo(offset)
        expect([log.startOffset(), log.endOffset(), log.sizeBytes(), readAll(log).length]).toEqual([offset, offset, 0, 0])
        expect(log.append(makeBatch(recordsAt(offset, 1))).baseOffset).toBe(offset)
      }
    })

    it('a reset log rolls, retains, truncates and finds timestamps from its new base', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, [5, 5])
      log.resetTo(500)
      for (let base = 500; base < 590; base += 3) log.append(makeBatch(recordsAt(base, 3)))
      expect(log.segments().length).toBeGreaterThan(2)
      expectChained(log)
      expect(log.offsetForTimestamp(0)).toBe(500)
      expect(log.offsetForTimestamp(T + 10 * 531)).toBe(531)
      const start = log.deleteBefore(550)
      expect(start).toBeGreaterThan(500)
      expect(stored(log)).toEqual(recordsAt(start, 590 - start).map((r, i) => [start + i, r.key]))
      log.truncate(560)
      expect(log.endOffset()).toBe(560)
      expectChained(log)
    })

    it('resetTo rejects a negative, non-integer or NaN offset and changes nothing', () => {
      const log = openLog(ctx)
      appendBatches(log, [2, 3])
      const before = logState(log)
      for (const bad of [-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY])
        expectCode(() => log.resetTo(bad), 'INVALID_ARGUMENT', 'OFFSET_OUT_OF_RANGE')
      expect(logState(log)).toEqual(before)
    })

    it('a reset, with or without appends after it, survives a reopen', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(
        log,
        Array.from({ length: 20 }, () => 3),
      )
      await log.sync()
      log.resetTo(7)
      const empty = (await reopenStorage(ctx)).partitionLog(TP, SMALL_SEGMENTS)
      expect([empty.startOffset(), empty.endOffset(), empty.sizeBytes(), readAll(empty)]).toEqual([7, 7, 0, []])
      for (let base = 7; base < 40; base += 3) empty.append(makeBatch(recordsAt(base, 3)))
      const before = logState(empty)
      const again = (await reopenStorage(ctx)).partitionLog(TP, SMALL_SEGMENTS)
      expect(logState(again)).toEqual(before)
      expect(again.append(makeBatch(recordsAt(40, 1))).baseOffset).toBe(40)
    })

    it('a reset is durable at once: it survives a crash, as do synced appends after it', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(
        log,
        Array.from({ length: 20 }, () => 3),
      )
      await log.sync()
      log.resetTo(1_000)
      const crashed = await crashStorage(ctx)
      if (crashed === null) return
      const after = crashed.partitionLog(TP, SMALL_SEGMENTS)
      expect([after.startOffset(), after.endOffset(), readAll(after)]).toEqual([1000, 1000, []])
      for (let base = 1000; base < 1030; base += 3) after.append(makeBatch(recordsAt(base, 3)))
      await after.sync()
      const before = logState(after)
      const again = await crashStorage(ctx)
      expect(logState((again ?? ctx.storage).partitionLog(TP, SMALL_SEGMENTS))).toEqual(before)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// appendCopy

export function describeAppendCopy(ctx: Ctx): void {
  describe('appendCopy', () => {
    it('keeps the offsets a batch carries: copying a log batch by batch reproduces its records and offsets', () => {
      const source = openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: 'source', partition: 0 })
      appendBatches(source, [3, 1, 4, 1, 5])
      const log = openLog(ctx)
      for (const batch of source.read(0, 1024 * 1024)) {
        const info = log.appendCopy(batch)
        const base = Number(batch.readBigInt64BE(0))
        expect(info).toEqual({
          baseOffset: base,
          lastOffset: base + batch.readInt32BE(23),
          maxTimestamp: info.maxTimestamp,
          sizeBytes: batch.length,
        })
      }
      expect(logState(log)).toMatchObject({
        start: 0,
        end: 14,
        records: readAll(source).map((r) => [r.offset, text(r.key), text(r.value)]),
      })
    })

    it('a batch past the end leaves a gap: the end becomes its last offset + 1 and a read in the gap returns it', () => {
      const log = openLog(ctx)
      copyLayout(log, GAPPY)
      expect([log.startOffset(), log.endOffset()]).toEqual([0, 42])
      expect(stored(log)).toEqual(keysOf(GAPPY))
      expect([5, 9, 10, 14, 15, 23, 39, 41].map((o) => firstBase(log, o))).toEqual([10, 10, 10, 10, 20, 40, 40, 40])
      expect(log.read(42, 1024)).toEqual([])
      expectCode(() => log.read(43, 1024), 'OFFSET_OUT_OF_RANGE')
      expect(readAll(log, 17).map((r) => r.offset)).toEqual([20, 21, 22, 40, 41])
    })

    it('append after a copy continues at the new end; a copy may follow appends and a reset', () => {
      const log = openLog(ctx)
      appendBatches(log, [3])
      log.appendCopy(copyAt(8, 2))
      expect(log.append(makeBatch(recordsAt(10, 2, 'a'))).baseOffset).toBe(10)
      log.resetTo(100)
      log.appendCopy(copyAt(100, 1))
      log.appendCopy(copyAt(150, 1))
      expect([log.startOffset(), log.endOffset()]).toEqual([100, 151])
      expect(stored(log)).toEqual([
        [100, 'c-100'],
        [150, 'c-150'],
      ])
    })

    it('copying a compacted log, whose compaction removed whole batches, gives the same records at the same offsets', () => {
      const source = openLog(ctx, SMALL_SEGMENTS, { topic: 'source', partition: 0 })
      for (let i = 0; i < 120; i++) source.append(makeBatch([{ key: `key-${i % 7}`, value: `v${i}`, timestamp: T + i }]))
      const latest = new Map(readAll(source).map((r) => [text(r.key), r.offset]))
      source.compact((r) => latest.get(r.key === null ? null : r.key.toString()) === r.offset)
      const kept = readAll(source).map((r) => [r.offset, text(r.key), text(r.value)])
      expect(kept.length).toBeLessThan(60)
      const log = openLog(ctx, SMALL_SEGMENTS)
      for (let next = 0; next < source.endOffset(); ) {
        const batches = source.read(next, 2048)
        for (const batch of batches) log.appendCopy(batch)
        const last = batches[batches.length - 1] as Buffer
        next = Number(last.readBigInt64BE(0)) + last.readInt32BE(23) + 1
      }
      expect(log.endOffset()).toBe(source.endOffset())
      expect(readAll(log).map((r) => [r.offset, text(r.key), text(r.value)])).toEqual(kept)
      expectChained(log)
    })

    it('a base offset below the end is OFFSET_OUT_OF_RANGE and changes nothing', () => {
      const log = openLog(ctx)
      copyLayout(log, GAPPY)
      const before = logState(log)
      const negative = copyAt(0, 1)
      negative.writeBigInt64BE(-5n, 0)
      for (const batch of [copyAt(41, 1), copyAt(39, 3), copyAt(30, 1), copyAt(0, 1), negative])
        expectCode(() => log.appendCopy(batch), 'OFFSET_OUT_OF_RANGE')
      expect(logState(log)).toEqual(before)
    })

    it('a corrupt batch or a non-buffer is rejected as append rejects it, and changes nothing', () => {
      const log = openLog(ctx)
      copyLayout(log, GAPPY.slice(0, 2))
      const before = logState(log)
      const flipped = copyAt(20, 3)
      flipped[30] = (flipped[30] ?? 0) ^ 0x10
      expectCode(() => log.appendCopy(flipped), 'CORRUPT_MESSAGE')
      expectCode(() => log.appendCopy(copyAt(20, 3).subarray(0, 40)), 'CORRUPT_MESSAGE')
      expectCode(() => log.appendCopy(Buffer.concat([copyAt(20, 1), copyAt(21, 1)])), 'CORRUPT_MESSAGE')
      expectCode(() => log.appendCopy('not a batch' as unknown as Buffer), 'INVALID_ARGUMENT', 'CORRUPT_MESSAGE')
      expect(logState(log)).toEqual(before)
    })

    it('offsetForTimestamp steps over gaps to the next record', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      copyLayout(log, GAPPY)
      expect(log.offsetForTimestamp(0)).toBe(0)
      expect(log.offsetForTimestamp(T + 10 * 7)).toBe(10)
      expect(log.offsetForTimestamp(T + 10 * 22)).toBe(22)
      expect(log.offsetForTimestamp(T + 10 * 22 + 1)).toBe(40)
      expect(log.offsetForTimestamp(T + 10 * 41 + 1)).toBeNull()
    })

    it('copies across segment rolls keep their offsets, and segments() still chain from start to end', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const layout: Layout = Array.from({ length: 60 }, (_, i) => [i * 10 + (i % 3), 3 + (i % 4)] as const)
      copyLayout(log, layout)
      expect(log.segments().length).toBeGreaterThan(3)
      expectChained(log)
      expect(stored(log)).toEqual(keysOf(layout))
      expect(log.endOffset()).toBe(592 + 6)
    })

    it('truncate keeps the gaps before the cut; in a gap the end becomes the next batch base, or the offset when none follows', async () => {
      const log = openLog(ctx)
      copyLayout(log, GAPPY)
      log.truncate(30)
      expect([log.endOffset(), stored(log)]).toEqual([40, keysOf(GAPPY.slice(0, 3))])
      log.truncate(12)
      expect([log.endOffset(), stored(log)]).toEqual([10, keysOf(GAPPY.slice(0, 1))])
      log.truncate(7)
      expect([log.endOffset(), stored(log)]).toEqual([7, keysOf(GAPPY.slice(0, 1))])
      const reopened = (await reopenStorage(ctx)).partitionLog(TP, CONFORMANCE_LOG_CONFIG)
      expect([reopened.startOffset(), reopened.endOffset(), stored(reopened)]).toEqual([0, 7, keysOf(GAPPY.slice(0, 1))])
      expect(reopened.append(makeBatch(recordsAt(7, 1))).baseOffset).toBe(7)
    })

    it('a truncation in a gap keeps its end across a reopen, also with small segments', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const layout: Layout = Array.from({ length: 40 }, (_, i) => [i * 10, 4] as const)
      copyLayout(log, layout)
      log.truncate(205)
      expect(log.endOffset()).toBe(210)
      expectChained(log)
      const before = logState(log)
      const reopened = (await reopenStorage(ctx)).partitionLog(TP, SMALL_SEGMENTS)
      expect(logState(reopened)).toEqual(before)
      expect(reopened.appendCopy(copyAt(210, 4)).lastOffset).toBe(213)
    })

    it('deleteBefore removes the segments wholly below the offset and starts exactly there; the gaps after it stay', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const layout: Layout = Array.from({ length: 60 }, (_, i) => [i * 7, 4] as const)
      copyLayout(log, layout)
      const target = log.segments()[3]
      if (target === undefined) throw new Error('expected more than 3 segments')
      expect(log.deleteBefore(target.baseOffset + 2)).toBe(target.baseOffset + 2)
      expect(log.segments()[0]?.baseOffset).toBe(target.baseOffset)
      expect(stored(log)).toEqual(keysOf(layout, target.baseOffset + 2))
      // In a gap: the start is the asked offset all the same, and a read there gets the next batch.
      const held = new Set(keysOf(layout).map(([o]) => o))
      let inGap = target.baseOffset + 8
      while (held.has(inGap)) inGap++
      expect(log.deleteBefore(inGap)).toBe(inGap)
      expect(firstBase(log, inGap)).toBeGreaterThan(inGap)
      expect(firstBase(log, log.startOffset())).toBeGreaterThanOrEqual(log.startOffset())
      expectChained(log)
    })

    it('a copy far past the end (more than 2^31 offsets on) keeps its offset, also across a reopen', async () => {
      const far = 3_000_000_000
      const log = openLog(ctx, SMALL_SEGMENTS)
      log.appendCopy(copyAt(0, 5))
      log.appendCopy(copyAt(far, 3))
      log.appendCopy(copyAt(far + 10, 2))
      const expected = keysOf([
        [0, 5],
        [far, 3],
        [far + 10, 2],
      ])
      expect([log.endOffset(), stored(log), firstBase(log, 5)]).toEqual([far + 12, expected, far])
      const reopened = (await reopenStorage(ctx)).partitionLog(TP, SMALL_SEGMENTS)
      expect([reopened.endOffset(), stored(reopened), firstBase(reopened, far + 4)]).toEqual([far + 12, expected, far + 10])
    })

    it('gaps, offsets and the end survive a reopen; appends resume at the end', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const layout: Layout = Array.from({ length: 50 }, (_, i) => [i * 9, 5] as const)
      copyLayout(log, layout)
      const before = logState(log)
      const reopened = (await reopenStorage(ctx)).partitionLog(TP, SMALL_SEGMENTS)
      expect(logState(reopened)).toEqual(before)
      expect(reopened.append(makeBatch(recordsAt(450, 1))).baseOffset).toBe(446)
    })

    it('synced copies survive a crash with their gaps; a later unsynced copy is kept whole or lost whole', async () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const layout: Layout = Array.from({ length: 50 }, (_, i) => [i * 9, 5] as const)
      copyLayout(log, layout)
      await log.sync()
      const synced = logState(log)
      log.appendCopy(copyAt(1000, 5))
      const unsynced = logState(log)
      const crashed = await crashStorage(ctx)
      if (crashed === null) return
      const after = crashed.partitionLog(TP, SMALL_SEGMENTS)
      expect([synced, unsynced]).toContainEqual(logState(after))
      expect(after.appendCopy(copyAt(2000, 1)).baseOffset).toBe(2000)
    })

    it('after close, resetTo and appendCopy throw CLIENT_CLOSED', async () => {
      const log = openLog(ctx)
      await ctx.storage.close()
      expectCode(() => log.resetTo(5), 'CLIENT_CLOSED')
      expectCode(() => log.appendCopy(copyAt(0, 1)), 'CLIENT_CLOSED')
      await expectCodeAsync(() => ctx.storage.sync(), 'CLIENT_CLOSED')
    })
  })
}
