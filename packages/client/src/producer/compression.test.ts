import { BatchAttributes, CompressionTypes, TributaryError, iterateBatches, type CompressionType } from '@tributary/core'
import { FAST_GROUP, openMemory, readTopic, waitFor } from '../testing/client-kit'
import type { Tributary } from '../tributary'

/** batchCodecIds returns the compression id (attribute bits 0–2) of every stored batch of `topic`-0. */
async function batchCodecIds(tb: Tributary, topic: string): Promise<number[]> {
  const [r] = await tb.broker.fetch({ partitions: [{ topic, partition: 0, offset: 0, maxBytes: 16 << 20 }], maxWaitMs: 0 })
  return [...iterateBatches(r?.batches ?? [])].map((b) => b.attributes & BatchAttributes.COMPRESSION_MASK)
}

/** messages are JSON-ish records with keys and headers, compressible as real traffic is. */
function messages(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => ({
    key: `user-${i % 13}`,
    value: JSON.stringify({ tag, seq: i, event: i % 3 === 0 ? 'click' : 'view', at: 1_700_000_000_000 + i }),
    headers: { source: tag },
  }))
}

async function withMemory(fn: (tb: Tributary) => Promise<void>): Promise<void> {
  const tb = await openMemory()
  try {
    await fn(tb)
  } finally {
    await tb.close()
  }
}

const CODECS = Object.entries(CompressionTypes) as Array<[CompressionType, number]>

describe('Producer compression: every Kafka codec is built in', () => {
  test.each(CODECS)('%s: a consumer reads back what the producer sent, and the batches name the codec (id %d)', (name, id) =>
    withMemory(async (tb) => {
      const topic = `c-${name}`
      await tb.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] })
      const producer = tb.producer({ compression: name, batchSizeBytes: 64 * 1024 })
      const sent = messages(500, name)
      await producer.send({ topic, messages: sent })
      const ids = await batchCodecIds(tb, topic)
      expect(ids.length).toBeGreaterThan(0)
      expect(new Set(ids)).toEqual(new Set([id]))

      const got: Array<{ key: string; value: string; source: string }> = []
      const consumer = tb.consumer({ groupId: `g-${name}`, ...FAST_GROUP })
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }) => {
          got.push({ key: String(message.key), value: String(message.value), source: String(message.headers.source) })
        },
      })
      await waitFor(() => got.length >= sent.length, `${sent.length} messages consumed`)
      await consumer.disconnect()
      expect(got).toEqual(sent.map((m) => ({ key: m.key, value: m.value, source: name })))
    }),
  )

  test('Kafka ids are accepted where names are: CompressionTypes.gzip on send and on the producer (the "1 is not available" bug)', () =>
    withMemory(async (tb) => {
      await tb.admin().createTopics({ topics: [{ topic: 'ids', numPartitions: 1 }] })
      await tb.producer().send({ topic: 'ids', compression: CompressionTypes.gzip, messages: [{ value: 'by id on send' }] })
      await tb.producer({ compression: CompressionTypes.zstd }).send({ topic: 'ids', messages: [{ value: 'by id on the producer' }] })
      await tb
        .producer({ compression: 'lz4' })
        .send({ topic: 'ids', compression: CompressionTypes.snappy, messages: [{ value: 'send wins' }] })
      await tb.producer({ compression: 'zstd' }).send({ topic: 'ids', compression: CompressionTypes.none, messages: [{ value: 'none' }] })
      expect(await batchCodecIds(tb, 'ids')).toEqual([1, 4, 2, 0])
      expect((await readTopic(tb.broker, 'ids')).map((m) => m.value)).toEqual([
        'by id on send',
        'by id on the producer',
        'send wins',
        'none',
      ])
    }))

  test.each([['brotli'], ['GZIP'], [5], [-1], [1.5], [null]])(
    'send.compression %j is INVALID_CONFIG naming the option, and nothing is written',
    (bad) =>
      withMemory(async (tb) => {
        await tb.admin().createTopics({ topics: [{ topic: 'bad', numPartitions: 1 }] })
        const producer = tb.producer()
        const sending = producer.send({ topic: 'bad', compression: bad as never, messages: [{ value: 'x' }] })
        await expect(sending).rejects.toBeInstanceOf(TributaryError)
        await expect(sending).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: { path: 'send.compression' } })
        expect(await readTopic(tb.broker, 'bad')).toEqual([])
      }),
  )

  test('producer.compression that is not a codec is INVALID_CONFIG at producer()', () =>
    withMemory(async (tb) => {
      expect(() => tb.producer({ compression: 7 as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG', details: { path: 'producer.compression' } }),
      )
    }))
})
