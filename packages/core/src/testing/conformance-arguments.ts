import type { CommittedOffset, PartitionLogConfig, StoredMetadata } from '../storage'
import type { TopicPartition } from '../model'
import {
  type Ctx,
  CONFORMANCE_LOG_CONFIG,
  TP,
  appendBatches,
  committed,
  expectCode,
  expectCodeAsync,
  logState,
  metadata,
  openLog,
  sortOffsets,
} from './conformance-kit'

/**
 * The argument checks every adapter shares (core's storage-checks.ts): each bad argument gets
 * its exact code and changes nothing. Kafka's rules decide the bounds: `segment.bytes` ≥ 14 and
 * an int32, `segment.ms` ≥ 1, `index.interval.bytes` ≥ 0 (0 is legal), Kafka topic names, and
 * committed offsets ≥ -1.
 */
export function describeArguments(ctx: Ctx): void {
  describe('arguments', () => {
    it('a log config outside Kafka bounds is INVALID_CONFIG and creates nothing', () => {
      const bad: Array<Partial<PartitionLogConfig>> = [
        { segmentBytes: 0 },
        { segmentBytes: 13 },
        { segmentBytes: 1.5 },
        { segmentBytes: 2 ** 31 },
        { segmentMs: 0 },
        { segmentMs: Number.NaN },
        { indexIntervalBytes: -1 },
        { indexIntervalBytes: 0.5 },
        { indexIntervalBytes: 2 ** 31 },
      ]
      for (const fields of bad) expectCode(() => ctx.storage.partitionLog(TP, { ...CONFORMANCE_LOG_CONFIG, ...fields }), 'INVALID_CONFIG')
      expectCode(() => ctx.storage.partitionLog(TP, null as unknown as PartitionLogConfig), 'INVALID_CONFIG')
      expect(ctx.storage.listPartitions()).toEqual([])
    })

    it('the smallest legal log config is accepted (segment.bytes 14, segment.ms 1, index.interval.bytes 0)', () => {
      const log = openLog(ctx, { segmentBytes: 14, segmentMs: 1, indexIntervalBytes: 0 })
      expect(log.endOffset()).toBe(0)
    })

    it('setConfig with a bad config is INVALID_CONFIG and keeps the log as it was', () => {
      const log = openLog(ctx)
      appendBatches(log, [2, 3])
      const before = logState(log)
      expectCode(() => log.setConfig({ ...CONFORMANCE_LOG_CONFIG, segmentBytes: 0 }), 'INVALID_CONFIG')
      expect(logState(log)).toEqual(before)
    })

    it('an illegal topic name is INVALID_TOPIC_EXCEPTION, a bad partition INVALID_ARGUMENT, and nothing is created', async () => {
      for (const topic of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(250)])
        expectCode(() => ctx.storage.partitionLog({ topic, partition: 0 }, CONFORMANCE_LOG_CONFIG), 'INVALID_TOPIC_EXCEPTION')
      for (const partition of [-1, 1.5, 2 ** 31, Number.NaN])
        expectCode(() => ctx.storage.partitionLog({ topic: 'ok', partition }, CONFORMANCE_LOG_CONFIG), 'INVALID_ARGUMENT')
      expectCode(() => ctx.storage.partitionLog(null as unknown as TopicPartition, CONFORMANCE_LOG_CONFIG), 'INVALID_ARGUMENT')
      await expectCodeAsync(() => ctx.storage.deletePartition({ topic: 'ok', partition: -1 }), 'INVALID_ARGUMENT')
      expect(ctx.storage.listPartitions()).toEqual([])
    })

    it('log methods reject malformed offsets, sizes, timestamps, batches and filters with INVALID_ARGUMENT and change nothing', () => {
      const log = openLog(ctx)
      appendBatches(log, [2, 3])
      const before = logState(log)
      for (const offset of [1.5, Number.NaN]) expectCode(() => log.read(offset, 1000), 'INVALID_ARGUMENT')
      for (const maxBytes of [-1, 1.5, Number.NaN]) expectCode(() => log.read(0, maxBytes), 'INVALID_ARGUMENT')
      for (const offset of [-1, 1.5, Number.NaN]) {
        expectCode(() => log.truncate(offset), 'INVALID_ARGUMENT')
        expectCode(() => log.deleteBefore(offset), 'INVALID_ARGUMENT')
        expectCode(() => log.resetTo(offset), 'INVALID_ARGUMENT')
      }
      expectCode(() => log.offsetForTimestamp(Number.NaN), 'INVALID_ARGUMENT')
      expectCode(() => log.append('not a batch' as unknown as Buffer), 'INVALID_ARGUMENT')
      expectCode(() => log.appendCopy({} as unknown as Buffer), 'INVALID_ARGUMENT')
      expectCode(() => log.compact('keep' as never), 'INVALID_ARGUMENT')
      expect(logState(log)).toEqual(before)
    })

    it('a well-formed read offset outside the log is OFFSET_OUT_OF_RANGE with the range in its details', () => {
      const log = openLog(ctx)
      appendBatches(log, [2, 3])
      for (const offset of [-1, 6]) {
        let error: unknown
        try {
          log.read(offset, 1000)
        } catch (e) {
          error = e
        }
        expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', details: { offset, startOffset: 0, endOffset: 5 } })
      }
    })

    it('a bad committed offset fails the whole commit with its code and stores none of it', async () => {
      const good = committed('g', 't', 0, 5)
      await ctx.storage.commitOffsets([good])
      const bad: Array<[Partial<CommittedOffset>, string]> = [
        [{ offset: -2 }, 'INVALID_ARGUMENT'],
        [{ offset: 1.5 }, 'INVALID_ARGUMENT'],
        [{ partition: -1 }, 'INVALID_ARGUMENT'],
        [{ topic: '' }, 'INVALID_TOPIC_EXCEPTION'],
        [{ groupId: 7 as unknown as string }, 'INVALID_ARGUMENT'],
        [{ metadata: 3 as unknown as string }, 'INVALID_ARGUMENT'],
        [{ commitTimestampMs: Number.NaN }, 'INVALID_ARGUMENT'],
      ]
      for (const [fields, code] of bad) {
        await expectCodeAsync(
          () => ctx.storage.commitOffsets([committed('g', 't', 1, 9), { ...good, ...fields }]),
          code as 'INVALID_ARGUMENT',
        )
      }
      await expectCodeAsync(() => ctx.storage.commitOffsets('nope' as unknown as CommittedOffset[]), 'INVALID_ARGUMENT')
      expect(sortOffsets(ctx.storage.loadCommittedOffsets())).toEqual([good])
    })

    it('-1 is a legal committed offset (Kafka: no offset)', async () => {
      await ctx.storage.commitOffsets([committed('g', 't', 0, -1)])
      expect(ctx.storage.loadCommittedOffsets()).toEqual([committed('g', 't', 0, -1)])
    })

    it('deleteCommittedOffsets with a bad group id or partition list is INVALID_ARGUMENT and deletes nothing', async () => {
      await ctx.storage.commitOffsets([committed('g', 't', 0, 5)])
      await expectCodeAsync(() => ctx.storage.deleteCommittedOffsets(3 as unknown as string), 'INVALID_ARGUMENT')
      await expectCodeAsync(() => ctx.storage.deleteCommittedOffsets('g', [{ topic: 't', partition: -1 }]), 'INVALID_ARGUMENT')
      await expectCodeAsync(() => ctx.storage.deleteCommittedOffsets('g', 't' as unknown as TopicPartition[]), 'INVALID_ARGUMENT')
      expect(ctx.storage.loadCommittedOffsets()).toEqual([committed('g', 't', 0, 5)])
    })

    it('saveMetadata with anything but a version-1 document is INVALID_ARGUMENT and keeps what was stored', async () => {
      await ctx.storage.saveMetadata(metadata())
      for (const bad of [null, {}, { version: 2, topics: [] }, { version: 1, topics: 'x' }])
        await expectCodeAsync(() => ctx.storage.saveMetadata(bad as unknown as StoredMetadata), 'INVALID_ARGUMENT')
      expect(ctx.storage.loadMetadata()).toEqual(metadata())
    })
  })
}
