import type { ProduceRequest } from '../broker'
import { makeBatch } from './make-batch'
import { eventually } from './wait'
import {
  type BrokerCtx,
  createTopic,
  expectError,
  expectRejects,
  produce,
  produceOnce,
  readPartition,
  records,
  retrying,
  settled,
  uniqueName,
} from './broker-kit'

/** describeProduce: offsets, acks, idempotence, timestamps, and every bad produce input's code (changing nothing). */
export function describeProduce(ctx: BrokerCtx): void {
  describe('produce', () => {
    it('assigns contiguous offsets from 0 per partition and reads back what was written', async () => {
      const topic = await createTopic(ctx, 'produce-offsets', { numPartitions: 2 })
      expect((await produce(ctx, topic, 0, records('a', 3))).baseOffset).toBe(0)
      expect((await produce(ctx, topic, 0, records('b', 2))).baseOffset).toBe(3)
      expect((await produce(ctx, topic, 1, records('c', 1))).baseOffset).toBe(0)
      const read = await readPartition(ctx, topic, 0)
      expect(read.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4])
      expect(read.map((r) => r.value)).toEqual(['v-a-0', 'v-a-1', 'v-a-2', 'v-b-0', 'v-b-1'])
      expect(read.map((r) => r.key)).toEqual(['k-a-0', 'k-a-1', 'k-a-2', 'k-b-0', 'k-b-1'])
    })

    it('acks=1 answers the offset, acks=0 answers -1, and both append', async () => {
      const topic = await createTopic(ctx, 'produce-acks')
      await produce(ctx, topic, 0, records('first', 1))
      const one = await retrying(async () => {
        const r = await produceOnce(ctx, topic, 0, makeBatch(records('one', 2)), 1)
        if (r.error) throw r.error
        return r
      })
      expect(one.baseOffset).toBe(1)
      const zero = await produceOnce(ctx, topic, 0, makeBatch(records('zero', 1)), 0)
      expect(zero.baseOffset).toBe(-1)
      // acks=0 promises nothing about when: the batch shows up eventually.
      const values = await eventually(async () => {
        const read = (await readPartition(ctx, topic, 0)).map((r) => r.value)
        return read.length >= 4 ? read : undefined
      }, 10_000)
      expect(values).toEqual(['v-first-0', 'v-one-0', 'v-one-1', 'v-zero-0'])
    })

    it('an idempotent batch sent twice is written once and answered with its first offset', async () => {
      const topic = await createTopic(ctx, 'produce-idempotent')
      const { producerId, producerEpoch } = await retrying(() => ctx.broker.initProducerId())
      const batch = () => makeBatch(records('idem', 3), { producerId, producerEpoch, baseSequence: 0 })
      const first = await retrying(async () => {
        const r = await produceOnce(ctx, topic, 0, batch())
        if (r.error) throw r.error
        return r
      })
      const again = await produceOnce(ctx, topic, 0, batch())
      expect(again.error).toBeUndefined()
      expect(again.baseOffset).toBe(first.baseOffset)
      expect(await readPartition(ctx, topic, 0)).toHaveLength(3)
    })

    it('a LogAppendTime topic answers the append time and stamps it on the records', async () => {
      const topic = await createTopic(ctx, 'produce-logtime', {
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })
      const before = Date.now()
      const r = await produce(ctx, topic, 0, records('t', 2))
      expect(r.logAppendTime).toBeGreaterThanOrEqual(before - 60_000)
      expect(r.logAppendTime).toBeLessThanOrEqual(Date.now() + 60_000)
    })

    it('a malformed request is refused whole: INVALID_REQUIRED_ACKS or INVALID_REQUEST, and nothing is written', async () => {
      const topic = await createTopic(ctx, 'produce-malformed')
      const batch = makeBatch(records('m', 1))
      const good: ProduceRequest = { acks: -1, timeoutMs: 5000, partitions: [{ topic, partition: 0, batch }] }
      await expectRejects(ctx.broker.produce({ ...good, acks: 2 as never }), 'INVALID_REQUIRED_ACKS')
      await expectRejects(ctx.broker.produce({ ...good, acks: 'all' as never }), 'INVALID_REQUIRED_ACKS')
      for (const timeoutMs of [-1, 1.5, 2 ** 31]) await expectRejects(ctx.broker.produce({ ...good, timeoutMs }), 'INVALID_REQUEST')
      await expectRejects(ctx.broker.produce({ ...good, partitions: 'p' as never }), 'INVALID_REQUEST')
      await expectRejects(ctx.broker.produce({ ...good, partitions: [null as never] }), 'INVALID_REQUEST')
      expect(await readPartition(ctx, topic, 0)).toEqual([])
    })

    it('a record without a key on a compacted topic is INVALID_RECORD, and none of its batch is written', async () => {
      const compacted = await createTopic(ctx, 'produce-compacted', { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })
      const keyless = makeBatch([
        { key: 'k', value: 'a' },
        { key: null, value: 'b' },
      ])
      const r = await produceOnce(ctx, compacted, 0, keyless)
      expect(r).toMatchObject({ topic: compacted, partition: 0, baseOffset: -1 })
      expectError(r, 'INVALID_RECORD')
      expect(await readPartition(ctx, compacted, 0)).toEqual([])
    })

    it('each bad partition gets its own code and writes nothing, while a good partition beside it is written', async () => {
      const topic = await createTopic(ctx, 'produce-bad', { configEntries: [{ name: 'max.message.bytes', value: '2000' }] })
      const good = makeBatch(records('good', 2))
      const flipped = Buffer.from(good)
      flipped[good.length - 1] = (flipped[good.length - 1] ?? 0) ^ 0x01
      const cases: Array<[{ topic: string; partition: number; batch: Buffer }, string]> = [
        [{ topic: uniqueName('produce-unknown'), partition: 0, batch: good }, 'UNKNOWN_TOPIC_OR_PARTITION'],
        [{ topic, partition: 1, batch: good }, 'UNKNOWN_TOPIC_OR_PARTITION'],
        [{ topic, partition: -1, batch: good }, 'UNKNOWN_TOPIC_OR_PARTITION'],
        [{ topic, partition: 0, batch: flipped }, 'CORRUPT_MESSAGE'],
        [{ topic, partition: 0, batch: Buffer.concat([good, good]) }, 'CORRUPT_MESSAGE'],
        [{ topic, partition: 0, batch: good.subarray(0, 30) }, 'CORRUPT_MESSAGE'],
        [{ topic, partition: 0, batch: 'not a batch' as unknown as Buffer }, 'CORRUPT_MESSAGE'],
        [{ topic, partition: 0, batch: makeBatch([{ key: 'k', value: 'x'.repeat(3000) }]) }, 'MESSAGE_TOO_LARGE'],
      ]
      for (const [data, code] of cases) {
        const results = await settled(() => ctx.broker.produce({ acks: -1, timeoutMs: 5000, partitions: [data] }))
        expect(results).toHaveLength(1)
        expect(results[0]).toMatchObject({ topic: data.topic, partition: data.partition, baseOffset: -1 })
        expectError(results[0], code as 'CORRUPT_MESSAGE')
      }
      const [bad, ok] = await retrying(async () => {
        const both = await ctx.broker.produce({
          acks: -1,
          timeoutMs: 5000,
          partitions: [
            { topic, partition: 0, batch: flipped },
            { topic, partition: 0, batch: makeBatch(records('beside', 1)) },
          ],
        })
        if (both[1]?.error?.retriable) throw both[1].error
        return both
      })
      expectError(bad, 'CORRUPT_MESSAGE')
      expect(ok?.error).toBeUndefined()
      expect((await readPartition(ctx, topic, 0)).map((r) => r.value)).toEqual(['v-beside-0'])
    })

    it('a compacted topic accepts records that all have keys, tombstones included', async () => {
      const topic = await createTopic(ctx, 'produce-compacted-ok', { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })
      await produce(ctx, topic, 0, [
        { key: 'k1', value: 'a' },
        { key: 'k2', value: null },
      ])
      expect((await readPartition(ctx, topic, 0)).map((r) => [r.key, r.value])).toEqual([
        ['k1', 'a'],
        ['k2', null],
      ])
    })
  })
}
