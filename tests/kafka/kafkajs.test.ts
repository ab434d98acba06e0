import { Tributary } from '@tributary/client'
import { partitionForKey } from '@tributary/core'
import { AssignerProtocol, type Consumer, type EachMessagePayload, Kafka, logLevel } from 'kafkajs'
import { readAll, type Served, serve, sleep } from './kit'

/*
 * KafkaJS 2.2.4 against KafkaServer over a LocalBroker on file storage: the idempotent producer
 * with acks -1, key placement identical to Tributary's (murmur2), a two-member consumer group that
 * splits and rebalances, committed offsets that survive a restart, the admin client, and
 * Tributary's own client sharing a topic with KafkaJS.
 */

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let s: Served
let kafka: Kafka

beforeEach(async () => {
  s = await serve({ storage: 'file', broker: { numPartitions: 1 } })
  kafka = new Kafka({
    clientId: 'kafkajs-test',
    brokers: [s.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  })
})
afterEach(async () => {
  await s.close()
})

async function waitUntil(what: string, test: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(50)
  }
}

test('an idempotent producer with acks -1 writes keyed messages where Tributary would put them (murmur2)', async () => {
  const admin = kafka.admin()
  await admin.connect()
  expect(await admin.createTopics({ topics: [{ topic: 'placed', numPartitions: 6 }] })).toBe(true)
  expect(await admin.createTopics({ topics: [{ topic: 'placed', numPartitions: 6 }] })).toBe(false)
  await admin.disconnect()
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 })
  await producer.connect()
  const keys = Array.from({ length: 300 }, (_, i) => `customer-${i}`)
  const sent = await producer.send({ topic: 'placed', acks: -1, messages: keys.map((key) => ({ key, value: `order of ${key}` })) })
  expect(sent.every((r) => r.errorCode === 0)).toBe(true)
  // A retried send of the same batch would be deduplicated by the broker; here every key lands once.
  await producer.disconnect()
  let total = 0
  for (let p = 0; p < 6; p++) {
    const records = await readAll(s.broker, 'placed', p)
    total += records.length
    for (const r of records) expect(partitionForKey(Buffer.from(r.key ?? ''), 6)).toBe(p)
  }
  expect(total).toBe(keys.length)
  expect(s.warnings).toEqual([])
})

test('producing to a topic that does not exist creates it (LEADER_NOT_AVAILABLE first, then the partitions)', async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  const [meta] = await producer.send({ topic: 'born-on-first-send', messages: [{ key: 'a', value: '1' }] })
  expect(meta).toMatchObject({ topicName: 'born-on-first-send', errorCode: 0, baseOffset: '0' })
  await producer.disconnect()
  expect((await s.broker.metadata({ topics: ['born-on-first-send'] })).topics[0]?.partitions).toHaveLength(1)
})

test('two consumers in a group split the partitions and one takes all when the other leaves', async () => {
  await s.broker.createTopics([{ topic: 'work', numPartitions: 4 }])
  const received: Array<{ member: string; partition: number; value: string }> = []
  const assignments = new Map<string, number[]>()
  const startConsumer = async (name: string): Promise<Consumer> => {
    const consumer = kafka.consumer({ groupId: 'workers', heartbeatInterval: 300, sessionTimeout: 10_000, maxWaitTimeInMs: 200 })
    consumer.on(consumer.events.GROUP_JOIN, (e) => assignments.set(name, [...(e.payload.memberAssignment.work ?? [])].sort()))
    await consumer.connect()
    await consumer.subscribe({ topic: 'work', fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }: EachMessagePayload) => {
        received.push({ member: name, partition, value: message.value?.toString() ?? '' })
      },
    })
    return consumer
  }
  const a = await startConsumer('a')
  const b = await startConsumer('b')
  await waitUntil('both members hold two partitions', () => assignments.get('a')?.length === 2 && assignments.get('b')?.length === 2)
  expect([...(assignments.get('a') ?? []), ...(assignments.get('b') ?? [])].sort()).toEqual([0, 1, 2, 3])
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'work', messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `first-${i}` })) })
  await waitUntil('the first 40 are consumed', () => received.length >= 40)
  for (const r of received) expect(assignments.get(r.member)).toContain(r.partition)
  await b.disconnect()
  await waitUntil('a holds every partition', () => assignments.get('a')?.length === 4)
  await producer.send({ topic: 'work', messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `second-${i}` })) })
  await waitUntil('the second 40 are consumed', () => received.filter((r) => r.value.startsWith('second')).length >= 40)
  expect(received.filter((r) => r.value.startsWith('second')).every((r) => r.member === 'a')).toBe(true)
  await producer.disconnect()
  await a.disconnect()
}, 90_000)

test('committed offsets survive a consumer restart; admin describes the group and fetches offsets', async () => {
  await s.broker.createTopics([{ topic: 'ledger', numPartitions: 2 }])
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'ledger', messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 2, value: `v${i}` })) })
  const seen: string[] = []
  const run = async () => {
    const consumer = kafka.consumer({ groupId: 'ledger-readers', heartbeatInterval: 300, maxWaitTimeInMs: 200 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'ledger', fromBeginning: true })
    await consumer.run({ autoCommit: true, eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') })
    return consumer
  }
  const first = await run()
  await waitUntil('the first 30 are consumed', () => seen.length >= 30)
  const admin = kafka.admin()
  await admin.connect()
  const described = await admin.describeGroups(['ledger-readers'])
  const group = described.groups[0]
  expect(group?.state).toBe('Stable')
  expect(group?.protocolType).toBe('consumer')
  expect(group?.members).toHaveLength(1)
  const assignment = AssignerProtocol.MemberAssignment.decode(group?.members[0]?.memberAssignment as Buffer)
  expect(assignment?.assignment).toEqual({ ledger: [0, 1] })
  expect(group?.members[0]?.clientHost).toBe('/127.0.0.1')
  await first.disconnect() // commits what it consumed
  const offsets = await admin.fetchOffsets({ groupId: 'ledger-readers', topics: ['ledger'] })
  expect(offsets[0]?.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
    [0, '15'],
    [1, '15'],
  ])
  await producer.send({ topic: 'ledger', messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `late${i}` })) })
  const second = await run()
  await waitUntil('the 10 new ones are consumed', () => seen.length >= 40)
  await sleep(500)
  expect(seen.slice(30).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `late${i}`).sort())
  const topicOffsets = await admin.fetchTopicOffsets('ledger')
  expect(topicOffsets.map((o) => [o.partition, o.offset, o.high, o.low]).sort()).toEqual([
    [0, '20', '20', '0'],
    [1, '20', '20', '0'],
  ])
  const listed = await admin.listGroups()
  expect(listed.groups).toEqual([{ groupId: 'ledger-readers', protocolType: 'consumer' }])
  await second.disconnect()
  await admin.disconnect()
  await producer.disconnect()
}, 90_000)

test("Tributary's own producer and KafkaJS share a topic and see each other's messages and offsets", async () => {
  await s.broker.createTopics([{ topic: 'shared', numPartitions: 1 }])
  const tb = await Tributary.open({ broker: s.broker })
  const tp = tb.producer({ acks: 'all' })
  await tp.send({
    topic: 'shared',
    messages: [
      { key: 'from', value: 'tributary-0' },
      { key: 'from', value: 'tributary-1' },
    ],
  })
  const producer = kafka.producer({ idempotent: true })
  await producer.connect()
  const [meta] = await producer.send({ topic: 'shared', acks: -1, messages: [{ key: 'from', value: 'kafkajs-2' }] })
  expect(meta?.baseOffset).toBe('2')
  await tp.send({ topic: 'shared', messages: [{ key: 'from', value: 'tributary-3' }] })
  const consumer = kafka.consumer({ groupId: 'mixed', maxWaitTimeInMs: 200 })
  const got: Array<[string, string]> = []
  await consumer.connect()
  await consumer.subscribe({ topic: 'shared', fromBeginning: true })
  await consumer.run({ eachMessage: async ({ message }) => void got.push([message.offset, message.value?.toString() ?? '']) })
  await waitUntil('KafkaJS reads all four', () => got.length >= 4)
  expect(got).toEqual([
    ['0', 'tributary-0'],
    ['1', 'tributary-1'],
    ['2', 'kafkajs-2'],
    ['3', 'tributary-3'],
  ])
  const tc = tb.consumer({ groupId: 'tributary-side' })
  await tc.subscribe({ topics: ['shared'], fromBeginning: true })
  const mine: Array<[number, string]> = []
  await tc.run({ eachMessage: async ({ message }) => void mine.push([message.offset, message.value?.toString() ?? '']) })
  await waitUntil('Tributary reads all four', () => mine.length >= 4)
  expect(mine.map(([o, v]) => [String(o), v])).toEqual(got)
  await consumer.disconnect()
  await producer.disconnect()
  await tc.disconnect?.()
  await tb.close()
}, 60_000)
