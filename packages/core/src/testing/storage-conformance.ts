import type { CommittedOffset, PartitionLog } from '../storage'
import {
  type Ctx,
  type StorageConformanceOptions,
  type StorageFactory,
  CONFORMANCE_LOG_CONFIG,
  TP,
  appendBatches,
  committed,
  expectCode,
  expectCodeAsync,
  expectRecords,
  logState,
  metadata,
  openLog,
  readAll,
  sortOffsets,
} from './conformance-kit'
import { describeArguments } from './conformance-arguments'
import { describeAppendCopy, describeResetTo } from './conformance-copy'
import { describeAppend, describeRead, describeSegments, describeTruncate } from './conformance-log'
import { describeDeleteBefore } from './conformance-delete-before'
import { describeCompaction, describeReopen, describeTimestamps } from './conformance-retention'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, makeRecords, type TestRecord } from './make-batch'
import { ManualClock } from './manual-clock'
import { createRandom } from './random'

/**
 * The storage conformance suite: the behaviour every `Storage` adapter (memory, file, SQLite)
 * must share. An adapter's test file calls `runStorageConformance('file', factory)`. The suite is
 * split by subject: conformance-log.ts (append, read, truncate, segments), conformance-retention.ts
 * (timestamps, compaction, reopen), conformance-delete-before.ts (the log start offset),
 * conformance-copy.ts (resetTo, appendCopy) and
 * conformance-arguments.ts (every bad argument's code) and this file (metadata, committed offsets,
 * partitions, errors); conformance-kit.ts holds the helpers.
 */

export { CONFORMANCE_LOG_CONFIG } from './conformance-kit'
export type { StorageConformanceOptions, StorageFactory, StorageHandle } from './conformance-kit'

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
    describeResetTo(ctx)
    describeAppendCopy(ctx)
    describeMetadata(ctx)
    describeCommittedOffsets(ctx)
    describePartitions(ctx, options.manyPartitions ?? 200)
    describeErrors(ctx)
    describeArguments(ctx)
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
      await ctx.storage.commitOffsets([
        committed('g1', 'orders', 0, 10),
        committed('g1', 'orders', 1, 11),
        committed('g2', 'orders', 0, 20),
      ])
      await ctx.storage.deleteCommittedOffsets('g1')
      expect(load()).toEqual([committed('g2', 'orders', 0, 20)])
    })

    it('deleteCommittedOffsets with partitions removes only those', async () => {
      await ctx.storage.commitOffsets([committed('g1', 'orders', 0, 10), committed('g1', 'orders', 1, 11), committed('g1', 'audit', 0, 12)])
      await ctx.storage.deleteCommittedOffsets('g1', [
        { topic: 'orders', partition: 1 },
        { topic: 'missing', partition: 0 },
      ])
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
      expect(
        ctx.storage
          .listPartitions()
          .map((tp) => tp.topic)
          .sort(),
      ).toEqual(['conformance', 'other'])
    })

    it(`${manyPartitions} partitions with interleaved appends each keep their own contiguous offsets`, async () => {
      const logs = Array.from({ length: manyPartitions }, (_, p) =>
        openLog(ctx, CONFORMANCE_LOG_CONFIG, { topic: `t${p % 7}`, partition: p }),
      )
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
      for (const bad of [
        good.subarray(0, good.length - 1),
        good.subarray(0, 20),
        Buffer.concat([good, good]),
        wrongMagic,
        Buffer.alloc(0),
        Buffer.alloc(100),
      ]) {
        expectCode(() => log.append(bad), 'CORRUPT_MESSAGE')
      }
      expect(logState(log)).toEqual(before)
    })
  })
}
