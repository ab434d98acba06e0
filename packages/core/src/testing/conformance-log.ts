import { checkBatchAt } from '../batch-header'
import { decodeRecordBatch } from '../record-batch'
import type { PartitionLog } from '../storage'
import {
  type Ctx,
  CONFORMANCE_LOG_CONFIG,
  SMALL_SEGMENTS,
  openLog,
  appendBatches,
  readAll,
  readBatches,
  text,
  expectRecords,
  expectCode,
  logState,
} from './conformance-kit'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, makeRecords, type TestRecord } from './make-batch'
import { createRandom } from './random'

/** Conformance of a partition log's basics: append, read, truncate, segments. See storage-conformance.ts. */

// ---------------------------------------------------------------------------------------------
// Append, offsets and FIFO

export function describeAppend(ctx: Ctx): void {
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
        expect(info).toEqual({
          baseOffset: end,
          lastOffset: end + count - 1,
          maxTimestamp: DEFAULT_TEST_TIMESTAMP_MS + i + count - 1,
          sizeBytes: info.sizeBytes,
        })
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
        {
          key: 'ключ',
          value: '値 ✓',
          headers: [
            { key: 'dup', value: Buffer.from('1') },
            { key: 'dup', value: null },
          ],
          timestamp: 9,
        },
      ]
      for (const record of records) log.append(makeBatch([record]))
      log.append(makeBatch(makeRecords('tail', 10)))
      const read = readAll(log)
      expect(read.slice(0, 5).map((r) => [r.key, r.value, r.timestamp])).toEqual(
        records.map((r) => [
          typeof r.key === 'string' ? Buffer.from(r.key) : r.key,
          typeof r.value === 'string' ? Buffer.from(r.value) : r.value,
          r.timestamp,
        ]),
      )
      expect(read[4]?.headers).toEqual([
        { key: 'dup', value: Buffer.from('1') },
        { key: 'dup', value: null },
      ])
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

    it('copies appends (copiesAppends): the caller may overwrite its buffer once append returns', () => {
      // Every storage of this repository copies; the Kafka server reuses request memory on the strength of it.
      expect(ctx.storage.copiesAppends).toBe(true)
      const log = openLog(ctx)
      const records = makeRecords('kept', 20)
      const batch = makeBatch(records)
      log.append(batch)
      batch.fill(0x5a)
      expectRecords(readAll(log), records)
    })

    it('crcChecked skips only the CRC pass: framing is checked, the bytes stored are the same', () => {
      const log = openLog(ctx)
      const records = makeRecords('pre', 5)
      log.append(makeBatch(records), { crcChecked: true })
      expectRecords(readAll(log), records)
      const torn = makeBatch(makeRecords('torn', 3))
      expectCode(() => log.append(torn.subarray(0, torn.length - 1), { crcChecked: true }), 'CORRUPT_MESSAGE')
      expect(log.endOffset()).toBe(5)
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

export function describeRead(ctx: Ctx): void {
  describe('read', () => {
    /** Ten batches of 5 records: offsets 0..49, batch i holds 5i..5i+4. */
    const tenBatches = (): PartitionLog => {
      const log = openLog(ctx)
      appendBatches(
        log,
        Array.from({ length: 10 }, () => 5),
      )
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
      for (const maxBytes of [
        0,
        1,
        (sizes[0] ?? 0) - 1,
        sizes[0] ?? 0,
        (sizes[0] ?? 0) + 1,
        3 * (sizes[0] ?? 0),
        total - 1,
        total,
        total * 2,
      ]) {
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
      const records = appendBatches(
        log,
        Array.from({ length: 40 }, (_, i) => 1 + (i % 7)),
      )
      expectRecords(readAll(log, 0, 1), records)
      expectRecords(readAll(log, 0, 700), records)
    })

    it('returned buffers are not changed by later appends, truncates or deletes', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      appendBatches(log, [3, 3, 3])
      const before = log.read(0, 1024 * 1024).map((b) => Buffer.from(b))
      const held = log.read(0, 1024 * 1024)
      appendBatches(
        log,
        Array.from({ length: 20 }, () => 3),
        'more',
      )
      log.truncate(3)
      expect(held).toEqual(before)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Truncate

export function describeTruncate(ctx: Ctx): void {
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
      const records = appendBatches(
        log,
        Array.from({ length: 40 }, () => 3),
      )
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

export function describeSegments(ctx: Ctx): void {
  describe('segments', () => {
    it('segments() chain without gaps, sizes sum to sizeBytes, max timestamps are right and only the last is active', () => {
      const log = openLog(ctx, SMALL_SEGMENTS)
      const records = appendBatches(
        log,
        Array.from({ length: 30 }, (_, i) => 1 + (i % 4)),
      )
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
      appendBatches(
        log,
        Array.from({ length: 30 }, () => 3),
      )
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
      expect(afterRoll.map((s) => [s.baseOffset, s.endOffset, s.active])).toEqual([
        [0, 3, false],
        [3, 3, true],
      ])
      log.roll()
      expect(log.segments()).toHaveLength(2)
      expect(log.append(makeBatch(makeRecords('n', 2))).baseOffset).toBe(3)
      expect(log.segments().map((s) => [s.baseOffset, s.endOffset, s.active])).toEqual([
        [0, 3, false],
        [3, 5, true],
      ])
    })

    it('a segment older than segmentMs (by the injected clock) rolls at the next append', () => {
      const log = openLog(ctx, { ...CONFORMANCE_LOG_CONFIG, segmentMs: 1000 })
      appendBatches(log, [2])
      ctx.clock.advance(500)
      appendBatches(log, [2], 'b')
      expect(log.segments()).toHaveLength(1)
      ctx.clock.advance(600)
      appendBatches(log, [2], 'c')
      expect(log.segments().map((s) => [s.baseOffset, s.endOffset, s.active])).toEqual([
        [0, 4, false],
        [4, 6, true],
      ])
    })

    it('setConfig applies a smaller segmentBytes to later appends', () => {
      const log = openLog(ctx)
      appendBatches(
        log,
        Array.from({ length: 10 }, () => 3),
      )
      expect(log.segments()).toHaveLength(1)
      log.setConfig(SMALL_SEGMENTS)
      appendBatches(
        log,
        Array.from({ length: 20 }, () => 3),
        'more',
      )
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
