import { join } from 'node:path'
import type { Broker } from '@tributary/core'
import { makeBatch, makeRecords } from '@tributary/core/testing'
import { Kafka, logLevel } from 'kafkajs'
import { requirePython, run, type Served, serve } from './kit'

/*
 * The ACL on the Kafka listener, with real clients (KafkaJS, and confluent-kafka for librdkafka):
 * alice may describe every topic but produce, fetch and use groups only under `app.`; carol may do
 * everything, but only under `app.`; admin may do anything. Each refusal is Kafka's error
 * (TOPIC_AUTHORIZATION_FAILED 29, GROUP_AUTHORIZATION_FAILED 30) and changes nothing: no topic
 * created or deleted, no record written, no offset committed.
 */

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const PYTHON = '/usr/bin/python3'
const USERS = [
  { username: 'alice', password: 'alice-secret' },
  { username: 'carol', password: 'carol-secret' },
  { username: 'admin', password: 'admin-secret' },
]
const ACL = [
  { principal: 'alice', operations: ['describe' as const] },
  { principal: 'alice', operations: ['produce' as const, 'fetch' as const, 'group' as const], resourcePrefix: 'app.' },
  { principal: 'User:carol', operations: '*' as const, resourcePrefix: 'app.' },
  { principal: 'User:admin', operations: '*' as const },
]

let s: Served
beforeEach(async () => {
  s = await serve({ server: { sasl: { users: USERS }, acl: ACL } })
  await s.broker.createTopics([
    { topic: 'app.orders', numPartitions: 1 },
    { topic: 'secret', numPartitions: 1 },
  ])
})
afterEach(() => s.close())

const client = (user: string) =>
  new Kafka({
    brokers: [s.bootstrap],
    clientId: `acl-${user}`,
    sasl: { mechanism: 'scram-sha-256', username: user, password: `${user}-secret` },
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 50 },
  })

const highWatermark = async (broker: Broker, topic: string) =>
  (await broker.listOffsets([{ topic, partition: 0, timestamp: -1 }]))[0]?.offset
const topicNames = async (broker: Broker) => (await broker.metadata()).topics.map((t) => t.name).sort()

test('KafkaJS: a user allowed on app. produces and consumes there in a group, and commits', async () => {
  const kafka = client('alice')
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'app.orders', messages: [{ value: 'a' }, { value: 'b' }] })
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: 'app.readers', sessionTimeout: 10_000, heartbeatInterval: 500 })
  await consumer.connect()
  await consumer.subscribe({ topic: 'app.orders', fromBeginning: true })
  const seen: string[] = []
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value))
          if (seen.length === 2) resolve()
        },
      })
      .catch(reject)
  })
  await consumer.disconnect()
  expect(seen).toEqual(['a', 'b'])
  expect((await s.broker.fetchOffsets('app.readers'))[0]?.offset).toBe(2)
})

test('KafkaJS: producing to a topic outside app. is TOPIC_AUTHORIZATION_FAILED and writes nothing', async () => {
  const producer = client('alice').producer()
  await producer.connect()
  await expect(producer.send({ topic: 'secret', messages: [{ value: 'x' }] })).rejects.toMatchObject({
    type: 'TOPIC_AUTHORIZATION_FAILED',
  })
  await producer.disconnect()
  expect(await highWatermark(s.broker, 'secret')).toBe(0)
})

test('KafkaJS: a group outside app. is GROUP_AUTHORIZATION_FAILED and commits nothing', async () => {
  await s.broker.produce({
    acks: 1,
    timeoutMs: 5000,
    partitions: [{ topic: 'app.orders', partition: 0, batch: makeBatch(makeRecords('v', 1)) }],
  })
  const consumer = client('alice').consumer({ groupId: 'others', sessionTimeout: 10_000 })
  const crashed = new Promise((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)))
  await consumer.connect().catch((error: unknown) => error)
  await consumer.subscribe({ topic: 'app.orders', fromBeginning: true }).catch(() => undefined)
  const run = consumer.run({ eachMessage: async () => undefined }).catch((error: unknown) => error)
  const error = await Promise.race([crashed, run])
  expect(error).toMatchObject({ type: 'GROUP_AUTHORIZATION_FAILED' })
  await consumer.disconnect()
  expect(await s.broker.fetchOffsets('others')).toEqual([])
  expect((await s.broker.listGroups()).map((g) => g.groupId)).not.toContain('others')
})

test('KafkaJS admin: metadata lists only what the principal may describe; a named refused topic is TOPIC_AUTHORIZATION_FAILED', async () => {
  const admin = client('carol').admin()
  await admin.connect()
  expect((await admin.fetchTopicMetadata()).topics.map((t) => t.name)).toEqual(['app.orders'])
  expect(await admin.listTopics()).toEqual(['app.orders'])
  await expect(admin.fetchTopicMetadata({ topics: ['secret'] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' })
  await admin.disconnect()
})

test('KafkaJS admin: a user may not create or delete topics; nothing changes', async () => {
  const admin = client('alice').admin()
  await admin.connect()
  await expect(admin.createTopics({ topics: [{ topic: 'app.new', numPartitions: 1 }] })).rejects.toMatchObject({
    errors: [expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' })],
  })
  await expect(admin.deleteTopics({ topics: ['secret'] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' })
  await admin.disconnect()
  expect(await topicNames(s.broker)).toEqual(['app.orders', 'secret'])
})

test('KafkaJS admin: the admin principal creates and deletes topics', async () => {
  const admin = client('admin').admin()
  await admin.connect()
  expect(await admin.createTopics({ topics: [{ topic: 'ops.audit', numPartitions: 2 }] })).toBe(true)
  expect(await topicNames(s.broker)).toEqual(['app.orders', 'ops.audit', 'secret'])
  await admin.deleteTopics({ topics: ['ops.audit', 'secret'] })
  expect(await topicNames(s.broker)).toEqual(['app.orders'])
  await admin.disconnect()
})

test('confluent-kafka: produce and fetch are allowed under app. and TOPIC_AUTHORIZATION_FAILED elsewhere', async () => {
  requirePython('confluent_kafka', 'python3-confluent-kafka')
  await s.broker.produce({
    acks: 1,
    timeoutMs: 5000,
    partitions: [{ topic: 'secret', partition: 0, batch: makeBatch(makeRecords('s', 1)) }],
  })
  const r = await run(
    PYTHON,
    [join(__dirname, 'python', 'confluent_acl.py'), s.bootstrap, 'alice', 'alice-secret', 'app.orders', 'secret'],
    {
      timeoutMs: 90_000,
    },
  )
  if (r.code !== 0) throw new Error(`python failed (${r.code}): ${r.stderr}`)
  const out = JSON.parse(r.stdout) as { produced: Record<string, string>; consumed: Record<string, string | number> }
  expect(out.produced).toEqual({ 'app.orders': 'ok', secret: 'TOPIC_AUTHORIZATION_FAILED' })
  expect(out.consumed).toEqual({ 'app.orders': 1, secret: 'TOPIC_AUTHORIZATION_FAILED' })
  // The refused produce wrote nothing: only the record written here.
  expect(await highWatermark(s.broker, 'secret')).toBe(1)
})
