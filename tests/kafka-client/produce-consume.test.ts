import type { KafkaMessage, Tributary } from '@tributary/client'
import { partitionForKey } from '@tributary/core'
import { type Cluster, FAST_GROUP, externalBrokers, startCluster, uniqueName, waitFor } from './kit'

/*
 * Tributary's producer and consumer, unchanged, over the Kafka protocol: KafkaBroker against a
 * KafkaServer on memory and on file storage (or a real cluster named by KAFKA_BROKERS).
 */

const storages = externalBrokers() === null ? (['memory', 'file'] as const) : (['external'] as const)

describe.each(storages)('Tributary over the Kafka protocol (%s)', (storage) => {
  let cluster: Cluster
  let tb: Tributary
  beforeAll(async () => {
    cluster = await startCluster({ storage: storage === 'file' ? 'file' : 'memory' })
    tb = await cluster.connect()
  })
  afterAll(() => cluster.close())

  test('keyed messages sent idempotently with acks=all land on the Java partitions and a group reads each key in order', async () => {
    const topic = uniqueName('orders')
    expect(await tb.admin().createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(true)
    const producer = tb.producer({ acks: 'all', idempotent: true, lingerMs: 5 })
    const keys = ['alice', 'bob', 'carol', 'dave', 'erin']
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: keys[i % keys.length] as string, value: `order-${i}` }))
    const sent = await producer.send({ topic, messages })
    expect(sent.every((r) => r.errorCode === 0 && r.baseOffset >= 0)).toBe(true)

    const consumer = tb.consumer({ groupId: uniqueName('billing'), ...FAST_GROUP })
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const got: Array<{ partition: number; message: KafkaMessage }> = []
    await consumer.run({ eachMessage: async ({ partition, message }) => void got.push({ partition, message }) })
    await waitFor(() => got.length >= messages.length, 'every message consumed')
    await consumer.stop()

    expect(got).toHaveLength(messages.length)
    for (const { partition, message } of got) expect(partition).toBe(partitionForKey(message.key as Buffer, 3))
    for (const key of keys) {
      const values = got.filter((g) => String(g.message.key) === key).map((g) => String(g.message.value))
      expect(values).toEqual(messages.filter((m) => m.key === key).map((m) => m.value))
    }
  })

  test.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)(
    '%s batches pass through the broker as the producer wrote them',
    async (compression) => {
      const topic = uniqueName(`codec-${compression}`)
      await tb.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] })
      const producer = tb.producer({ compression, batchSizeBytes: 1 << 20 })
      const values = Array.from({ length: 200 }, (_, i) => `${compression} value ${i} `.repeat(10))
      await producer.send({ topic, messages: values.map((value) => ({ value, headers: { codec: compression } })) })
      const consumer = tb.consumer({ groupId: uniqueName('codec'), ...FAST_GROUP })
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      const got: string[] = []
      await consumer.run({
        eachMessage: async ({ message }) => {
          expect(String(message.headers?.codec)).toBe(compression)
          got.push(String(message.value))
        },
      })
      await waitFor(() => got.length >= values.length, `${compression} messages consumed`)
      await consumer.stop()
      expect(got).toEqual(values)
    },
  )

  test('a producer sending to an unknown topic creates it (auto-creation) and a consumer of a new group starts at the end by default', async () => {
    const topic = uniqueName('auto')
    const producer = tb.producer()
    await producer.send({ topic, messages: [{ value: 'before' }] })
    const consumer = tb.consumer({ groupId: uniqueName('late'), ...FAST_GROUP })
    await consumer.subscribe({ topics: [topic] })
    const got: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) })
    await waitFor(() => consumer.assignment().length === 1, 'an assignment')
    await waitFor(async () => (await consumer.lag()).every((l) => l.offset >= 1), 'the position at the log end')
    await producer.send({ topic, messages: [{ value: 'after' }] })
    await waitFor(() => got.length >= 1, 'the new message')
    await consumer.stop()
    expect(got).toEqual(['after'])
  })

  test('seek, pause, resume and lag behave as embedded', async () => {
    const topic = uniqueName('seek')
    await tb.admin().createTopics({ topics: [{ topic, numPartitions: 2 }] })
    const producer = tb.producer()
    for (const partition of [0, 1])
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition, value: `p${partition}-${i}` })) })
    const consumer = tb.consumer({ groupId: uniqueName('seeker'), ...FAST_GROUP })
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const got: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) })
    await waitFor(() => got.length >= 20, 'both partitions consumed')

    consumer.pause([{ topic, partitions: [1] }])
    expect(consumer.paused()).toEqual([{ topic, partitions: [1] }])
    await producer.send({
      topic,
      messages: [
        { partition: 1, value: 'p1-paused' },
        { partition: 0, value: 'p0-live' },
      ],
    })
    await waitFor(() => got.includes('p0-live'), 'the unpaused partition')
    await new Promise((r) => setTimeout(r, 300))
    expect(got).not.toContain('p1-paused')
    const lag = await consumer.lag()
    expect(lag.find((l) => l.partition === 1)).toMatchObject({ highWatermark: 11, lag: 1 })
    consumer.resume([{ topic, partitions: [1] }])
    await waitFor(() => got.includes('p1-paused'), 'the resumed partition')

    const before = got.length
    consumer.seek({ topic, partition: 0, offset: 8 })
    await waitFor(() => got.length >= before + 3, 'the sought messages again')
    expect(got.slice(before)).toEqual(['p0-8', 'p0-9', 'p0-live'])
    await consumer.stop()
  })

  test('commits carry their metadata and a restarted group member resumes after them', async () => {
    const topic = uniqueName('commits')
    const groupId = uniqueName('resume')
    await tb.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] })
    const producer = tb.producer()
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })) })

    const first = tb.consumer({ groupId, ...FAST_GROUP })
    await first.subscribe({ topics: [topic], fromBeginning: true })
    const got: string[] = []
    await first.run({ autoCommit: false, eachMessage: async ({ message }) => void got.push(String(message.value)) })
    await waitFor(() => got.length === 5, 'five messages')
    await first.commitOffsets([{ topic, partition: 0, offset: 3, metadata: 'checkpoint-3' }])
    await first.stop()
    const offsets = await tb.admin().fetchOffsets({ groupId, topics: [topic] })
    expect(offsets[0]?.partitions[0]).toMatchObject({ partition: 0, offset: 3, metadata: 'checkpoint-3', high: 5, lag: 2 })

    const second = tb.consumer({ groupId, ...FAST_GROUP })
    await second.subscribe({ topics: [topic], fromBeginning: true })
    const again: string[] = []
    await second.run({ eachMessage: async ({ message }) => void again.push(String(message.value)) })
    await waitFor(() => again.length === 2, 'the uncommitted messages')
    await second.stop()
    expect(again).toEqual(['m3', 'm4'])
  })

  test("a batch over the topic's max.message.bytes is MESSAGE_TOO_LARGE, as embedded", async () => {
    const topic = uniqueName('small')
    await tb.admin().createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }] })
    const producer = tb.producer({ retry: { retries: 0 } })
    await expect(producer.send({ topic, messages: [{ value: 'x'.repeat(5000) }] })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' })
  })
})
