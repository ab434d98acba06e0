import { encodeRecordBatch } from '@tributary/core'
import { decodeResponse, encodeRequest, parseHostPort } from '@tributary/kafka-protocol'
import { Kafka, logLevel } from 'kafkajs'
import { rawClient } from '@tributary/kafka-protocol/testing'
import { sleep } from './kit'
import { KafkaServeCluster } from './serve-cluster'

/*
 * Three `tributary serve` processes in cluster mode, each with its Kafka listener registered in the
 * cluster metadata: Metadata lists every node's Kafka address and each partition's real leader,
 * replicas and ISR; a node that does not lead a partition answers NOT_LEADER_OR_FOLLOWER; and
 * KafkaJS producing with acks -1 while a partition's leader is SIGKILLed gets every acknowledged
 * message read back exactly once.
 */

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
jest.setTimeout(240_000)

let cluster: KafkaServeCluster
afterAll(() => cluster?.stop())

test('Metadata names every node and the real leaders; a non-leader answers NOT_LEADER_OR_FOLLOWER', async () => {
  cluster = await KafkaServeCluster.start(3)
  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'ha', numPartitions: 3, replicationFactor: 3 }] })
  const described = await admin.describeCluster()
  expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...cluster.bootstrap].sort())
  expect([1, 2, 3]).toContain(described.controller)
  const meta = await admin.fetchTopicMetadata({ topics: ['ha'] })
  const partitions = meta.topics[0]?.partitions ?? []
  expect(partitions).toHaveLength(3)
  for (const p of partitions) {
    expect(p.replicas.sort()).toEqual([1, 2, 3])
    expect([1, 2, 3]).toContain(p.leader)
    expect(p.isr).toContain(p.leader)
  }
  // Produce straight to a node that does not lead partition 0.
  const leader = partitions.find((p) => p.partitionId === 0)?.leader as number
  const other = [1, 2, 3].find((id) => id !== leader) as number
  const address = parseHostPort(cluster.kafka.get(other)) as { port: number }
  const raw = await rawClient(address.port)
  const batch = encodeRecordBatch([{ key: null, value: Buffer.from('misrouted'), headers: [], timestamp: Date.now() }])
  raw.send(
    encodeRequest(
      0,
      7,
      { correlationId: 1 },
      { acks: -1, timeoutMs: 5000, topicData: [{ name: 'ha', partitionData: [{ index: 0, records: batch }] }] },
    ),
  )
  raw.send(
    encodeRequest(
      1,
      11,
      { correlationId: 2 },
      {
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1024,
        topics: [{ topic: 'ha', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] }],
      },
    ),
  )
  const [produced, fetched] = await raw.waitFrames(2)
  expect(decodeResponse(0, 7, produced as Buffer).body.responses[0]?.partitionResponses[0]?.errorCode).toBe(6)
  expect(decodeResponse(1, 11, fetched as Buffer).body.responses[0]?.partitions[0]?.errorCode).toBe(6)
  raw.end()
  // FindCoordinator names a node with a Kafka listener; a group works through it.
  const coordinator = await rawClient(address.port)
  coordinator.send(encodeRequest(10, 2, { correlationId: 3 }, { key: 'g', keyType: 0 }))
  const [found] = await coordinator.waitFrames(1)
  const body = decodeResponse(10, 2, found as Buffer).body
  expect(body.errorCode).toBe(0)
  expect(cluster.kafka.get(body.nodeId)).toBe(`${body.host}:${body.port}`)
  coordinator.end()
  await admin.disconnect()
})

test('KafkaJS with acks -1 while a partition leader is SIGKILLed: every acknowledged message is read back once', async () => {
  const kafka = new Kafka({
    brokers: cluster.bootstrap,
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    requestTimeout: 5000,
  })
  const admin = kafka.admin()
  await admin.connect()
  const meta = await admin.fetchTopicMetadata({ topics: ['ha'] })
  const victim = meta.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader as number
  await admin.disconnect()
  const producer = kafka.producer({ idempotent: true })
  await producer.connect()
  const acked: string[] = []
  const failed: string[] = []
  for (let i = 0; i < 300; i++) {
    if (i === 100) await cluster.kill(victim)
    const value = `v${i}`
    try {
      await producer.send({ topic: 'ha', acks: -1, messages: [{ key: `k${i}`, value }] })
      acked.push(value)
    } catch {
      failed.push(value)
    }
  }
  await producer.disconnect()
  expect(acked.length).toBeGreaterThan(250)
  const consumer = kafka.consumer({ groupId: 'verify', maxWaitTimeInMs: 200 })
  const seen = new Map<string, number>()
  await consumer.connect()
  await consumer.subscribe({ topic: 'ha', fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) =>
      void seen.set(message.value?.toString() ?? '', (seen.get(message.value?.toString() ?? '') ?? 0) + 1),
  })
  const deadline = Date.now() + 60_000
  while (acked.some((v) => !seen.has(v)) && Date.now() < deadline) await sleep(200)
  await sleep(1000)
  await consumer.disconnect()
  expect(acked.filter((v) => seen.get(v) !== 1)).toEqual([])
  // A send that failed may still have been written (its answer lost with the leader), but never twice.
  expect([...seen.values()].every((n) => n === 1)).toBe(true)
})
