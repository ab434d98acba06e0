import type { FetchRequest } from '../broker'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../model'
import { DEFAULT_TEST_TIMESTAMP_MS } from './make-batch'
import {
  type BrokerCtx,
  createTopic,
  expectError,
  expectRejects,
  fetchOnce,
  produce,
  readPartition,
  records,
  retrying,
  settled,
  sleep,
  uniqueName,
  valuesOf,
} from './broker-kit'

/** describeFetch: reads, watermarks, long polls, byte budgets, and every bad fetch input's code. */
export function describeFetch(ctx: BrokerCtx): void {
  describe('fetch', () => {
    it('returns whole batches from the asked offset with the high watermark; at the end, none', async () => {
      const topic = await createTopic(ctx, 'fetch-basic')
      await produce(ctx, topic, 0, records('a', 2))
      await produce(ctx, topic, 0, records('b', 2))
      const r = await fetchOnce(ctx, topic, 0, 2)
      expect(r.error).toBeUndefined()
      expect(r.highWatermark).toBe(4)
      expect(r.logStartOffset).toBe(0)
      expect(valuesOf(r.batches)).toEqual(['v-b-0', 'v-b-1'])
      const end = await fetchOnce(ctx, topic, 0, 4)
      expect(end).toMatchObject({ highWatermark: 4, batches: [] })
      expect(end.error).toBeUndefined()
    })

    it('a batch larger than maxBytes is still returned whole (progress); the byte budget stops later ones', async () => {
      const topic = await createTopic(ctx, 'fetch-budget')
      await produce(ctx, topic, 0, records('big', 20))
      await produce(ctx, topic, 0, records('next', 20))
      const r = await fetchOnce(ctx, topic, 0, 0, 10)
      expect(valuesOf(r.batches)).toHaveLength(20)
    })

    it('an offset outside [logStart, highWatermark] is OFFSET_OUT_OF_RANGE for that partition only', async () => {
      const topic = await createTopic(ctx, 'fetch-range', { numPartitions: 2 })
      await produce(ctx, topic, 0, records('r', 2))
      const results = await settled(() =>
        ctx.broker.fetch({
          partitions: [
            { topic, partition: 0, offset: 3, maxBytes: 1 << 20 },
            { topic, partition: 0, offset: -1, maxBytes: 1 << 20 },
            { topic, partition: 0, offset: 0, maxBytes: 1 << 20 },
          ],
          maxWaitMs: 0,
        }),
      )
      expectError(results[0], 'OFFSET_OUT_OF_RANGE')
      expectError(results[1], 'OFFSET_OUT_OF_RANGE')
      expect(results[2]?.error).toBeUndefined()
      expect(valuesOf(results[2]?.batches ?? [])).toEqual(['v-r-0', 'v-r-1'])
    })

    it('an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION for that partition', async () => {
      const topic = await createTopic(ctx, 'fetch-unknown')
      expectError(await fetchOnce(ctx, uniqueName('fetch-none'), 0, 0), 'UNKNOWN_TOPIC_OR_PARTITION')
      expectError(await fetchOnce(ctx, topic, 5, 0), 'UNKNOWN_TOPIC_OR_PARTITION')
    })

    it('a malformed request is INVALID_REQUEST', async () => {
      const topic = await createTopic(ctx, 'fetch-malformed')
      const good: FetchRequest = { partitions: [{ topic, partition: 0, offset: 0, maxBytes: 1000 }], maxWaitMs: 0 }
      await expectRejects(ctx.broker.fetch({ ...good, partitions: 'x' as never }), 'INVALID_REQUEST')
      await expectRejects(ctx.broker.fetch({ ...good, partitions: [null as never] }), 'INVALID_REQUEST')
      for (const maxWaitMs of [-1, 0.5, 2 ** 31]) await expectRejects(ctx.broker.fetch({ ...good, maxWaitMs }), 'INVALID_REQUEST')
      await expectRejects(ctx.broker.fetch({ ...good, minBytes: -1 }), 'INVALID_REQUEST')
    })

    it("an invalid maxBytes (the request's or a partition's) is INVALID_ARGUMENT; 0 still returns the first batch", async () => {
      const topic = await createTopic(ctx, 'fetch-max-bytes')
      await produce(ctx, topic, 0, records('m', 2))
      const good: FetchRequest = { partitions: [{ topic, partition: 0, offset: 0, maxBytes: 1000 }], maxWaitMs: 0 }
      for (const maxBytes of [-1, Number.NaN, 'big', 1.5, Number.POSITIVE_INFINITY])
        await expectRejects(ctx.broker.fetch({ ...good, maxBytes: maxBytes as number }), 'INVALID_ARGUMENT')
      for (const maxBytes of [-5, Number.NaN, 'big'])
        await expectRejects(
          ctx.broker.fetch({ ...good, partitions: [{ topic, partition: 0, offset: 0, maxBytes: maxBytes as number }] }),
          'INVALID_ARGUMENT',
        )
      // As Kafka (KIP-74): a budget of 0 still answers the first batch whole, so no valid value makes a fetch impossible.
      const [r] = await ctx.broker.fetch({ ...good, maxBytes: 0 })
      expect(r?.error).toBeUndefined()
      expect(valuesOf(r?.batches ?? [])).toEqual(['v-m-0', 'v-m-1'])
    })

    it('a long poll at the end waits for data and returns it once produced', async () => {
      const topic = await createTopic(ctx, 'fetch-poll')
      await produce(ctx, topic, 0, records('before', 1))
      const polled = ctx.broker.fetch({ partitions: [{ topic, partition: 0, offset: 1, maxBytes: 1 << 20 }], maxWaitMs: 20_000 })
      await sleep(50)
      await produce(ctx, topic, 0, records('after', 1))
      const [r] = await polled
      expect(r?.error).toBeUndefined()
      expect(valuesOf(r?.batches ?? [])).toEqual(['v-after-0'])
    })

    it('a long poll that sees no data answers empty once maxWaitMs has passed', async () => {
      const topic = await createTopic(ctx, 'fetch-timeout')
      const [r] = await ctx.broker.fetch({ partitions: [{ topic, partition: 0, offset: 0, maxBytes: 1 << 20 }], maxWaitMs: 100 })
      expect(r).toMatchObject({ topic, partition: 0, highWatermark: 0, batches: [] })
    })
  })

  describe('offsets', () => {
    it('listOffsets answers the start, the end and the first offset at or after a timestamp (-1 past the last)', async () => {
      const topic = await createTopic(ctx, 'offsets-list')
      await produce(ctx, topic, 0, records('t', 4))
      const [earliest, latest, at, past] = await retrying(() =>
        ctx.broker.listOffsets([
          { topic, partition: 0, timestamp: EARLIEST_TIMESTAMP },
          { topic, partition: 0, timestamp: LATEST_TIMESTAMP },
          { topic, partition: 0, timestamp: DEFAULT_TEST_TIMESTAMP_MS + 2 },
          { topic, partition: 0, timestamp: DEFAULT_TEST_TIMESTAMP_MS + 100 },
        ]),
      )
      expect(earliest?.offset).toBe(0)
      expect(latest?.offset).toBe(4)
      expect(at).toMatchObject({ offset: 2, timestamp: DEFAULT_TEST_TIMESTAMP_MS + 2 })
      expect(past?.offset).toBe(-1)
    })

    it('a bad timestamp is INVALID_TIMESTAMP, an unknown partition UNKNOWN_TOPIC_OR_PARTITION, a non-list INVALID_REQUEST', async () => {
      const topic = await createTopic(ctx, 'offsets-bad')
      const [badTs, fraction, unknown] = await settled(() =>
        ctx.broker.listOffsets([
          { topic, partition: 0, timestamp: -3 },
          { topic, partition: 0, timestamp: 1.5 },
          { topic: uniqueName('offsets-none'), partition: 0, timestamp: LATEST_TIMESTAMP },
        ]),
      )
      expectError(badTs, 'INVALID_TIMESTAMP')
      expectError(fraction, 'INVALID_TIMESTAMP')
      expectError(unknown, 'UNKNOWN_TOPIC_OR_PARTITION')
      await expectRejects(ctx.broker.listOffsets('x' as never), 'INVALID_REQUEST')
    })

    it('deleteRecords moves the log start to exactly the offset, inside a batch: the low watermark, earliest and fetch bounds agree', async () => {
      const topic = await createTopic(ctx, 'offsets-delete-mid')
      await produce(ctx, topic, 0, records('m', 5))
      await produce(ctx, topic, 0, records('n', 2))
      const [cut] = await retrying(async () => {
        const r = await ctx.broker.deleteRecords([{ topic, partition: 0, offset: 3 }])
        if (r[0]?.error?.retriable) throw r[0].error
        return r
      })
      expect(cut).toEqual({ topic, partition: 0, lowWatermark: 3 })
      const [earliest] = await ctx.broker.listOffsets([{ topic, partition: 0, timestamp: EARLIEST_TIMESTAMP }])
      expect(earliest?.offset).toBe(3)
      expectError(await fetchOnce(ctx, topic, 0, 2), 'OFFSET_OUT_OF_RANGE')
      // Kafka serves whole batches: a fetch at the log start gets the batch that holds it, and the reader skips below its offset.
      const atStart = await fetchOnce(ctx, topic, 0, 3)
      expect(atStart).toMatchObject({ logStartOffset: 3, highWatermark: 7 })
      expect(Number(atStart.batches[0]?.readBigInt64BE(0))).toBe(0)
      expect((await readPartition(ctx, topic, 0, 3)).map((r) => r.value)).toEqual(['v-m-3', 'v-m-4', 'v-n-0', 'v-n-1'])
      const [again] = await settled(() => ctx.broker.deleteRecords([{ topic, partition: 0, offset: 1 }]))
      expect(again).toEqual({ topic, partition: 0, lowWatermark: 3 })
      const [all] = await settled(() => ctx.broker.deleteRecords([{ topic, partition: 0, offset: -1 }]))
      expect(all).toEqual({ topic, partition: 0, lowWatermark: 7 })
      expect((await fetchOnce(ctx, topic, 0, 7)).batches).toEqual([])
    })

    it('deleteRecords at a segment boundary removes whole segments and reads below it are OFFSET_OUT_OF_RANGE', async () => {
      // segment.bytes at its minimum: every batch rolls a segment of its own, so a cut lands exactly.
      const topic = await createTopic(ctx, 'offsets-delete', { configEntries: [{ name: 'segment.bytes', value: '14' }] })
      for (let i = 0; i < 4; i++) await produce(ctx, topic, 0, records(`d${i}`, 1))
      const [cut] = await retrying(async () => {
        const r = await ctx.broker.deleteRecords([{ topic, partition: 0, offset: 2 }])
        if (r[0]?.error?.retriable) throw r[0].error
        return r
      })
      expect(cut).toEqual({ topic, partition: 0, lowWatermark: 2 })
      expectError(await fetchOnce(ctx, topic, 0, 1), 'OFFSET_OUT_OF_RANGE')
      expect((await readPartition(ctx, topic, 0, 2)).map((r) => r.value)).toEqual(['v-d2-0', 'v-d3-0'])
      const [earliest] = await ctx.broker.listOffsets([{ topic, partition: 0, timestamp: EARLIEST_TIMESTAMP }])
      expect(earliest?.offset).toBe(2)
    })

    it('deleteRecords past the end is OFFSET_OUT_OF_RANGE; -1 means the high watermark; a non-list is INVALID_REQUEST', async () => {
      const topic = await createTopic(ctx, 'offsets-delete-bad')
      await produce(ctx, topic, 0, records('x', 2))
      const [past, unknown] = await settled(() =>
        ctx.broker.deleteRecords([
          { topic, partition: 0, offset: 3 },
          { topic: uniqueName('offsets-delete-none'), partition: 0, offset: 0 },
        ]),
      )
      expectError(past, 'OFFSET_OUT_OF_RANGE')
      expectError(unknown, 'UNKNOWN_TOPIC_OR_PARTITION')
      const [all] = await settled(() => ctx.broker.deleteRecords([{ topic, partition: 0, offset: -1 }]))
      expect(all?.error).toBeUndefined()
      await expectRejects(ctx.broker.deleteRecords('x' as never), 'INVALID_REQUEST')
    })
  })
}
