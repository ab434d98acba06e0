import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalBroker } from '@tributary/core'
import { KafkaServer } from '@tributary/kafka-protocol'
import { FileStorage } from '@tributary/storage-file'
import { Kafka, logLevel } from 'kafkajs'
import { requirePython, requireTool, run } from './kit'
import { KafkaServeCluster } from './serve-cluster'

/*
 * DeleteRecords as Kafka does it, seen by real clients against KafkaServer over file storage:
 * KafkaJS's admin.deleteTopicRecords moves the log start to exactly the asked offset (inside a
 * batch), fetchTopicOffsets reports it as the low watermark, and kcat, confluent-kafka and KafkaJS
 * consuming from the beginning start there, also after the server restarts on the same files;
 * and the same through three `tributary serve` processes in cluster mode, where the start is
 * replicated: it stays when the partition's leader is SIGKILLed and another replica leads.
 */

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const PYTHON = '/usr/bin/python3'
const TOPIC = 'trimmed'

/** Node is a LocalBroker on file storage in `dir` with a KafkaServer in front. */
interface Node {
  broker: LocalBroker
  server: KafkaServer
  bootstrap: string
}

async function startNode(dir: string): Promise<Node> {
  const broker = await LocalBroker.open({ storage: new FileStorage({ dir }), numPartitions: 1 })
  const server = await KafkaServer.start({ broker, listen: '127.0.0.1:0' })
  return { broker, server, bootstrap: `127.0.0.1:${server.address.port}` }
}

async function stopNode(node: Node): Promise<void> {
  await node.server.close()
  await node.broker.close()
}

const kafkaOf = (node: Node): Kafka =>
  new Kafka({
    clientId: 'delete-records-test',
    brokers: [node.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
  })

/** kcatFromBeginning reads the topic from the beginning to its end with kcat: "offset value" lines. */
async function kcatFromBeginning(node: { bootstrap: string }): Promise<string[]> {
  const r = await run('kcat', ['-b', node.bootstrap, '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], {
    timeoutMs: 30_000,
  })
  if (r.code !== 0) throw new Error(`kcat failed (${r.code}): ${r.stderr}`)
  return r.stdout.trimEnd().split('\n')
}

/** lowAndHigh is what KafkaJS's fetchTopicOffsets reports for partition 0. */
async function lowAndHigh(kafka: Kafka): Promise<{ low: string; high: string }> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [p0] = await admin.fetchTopicOffsets(TOPIC)
    return { low: p0?.low ?? '', high: p0?.high ?? '' }
  } finally {
    await admin.disconnect()
  }
}

let dir: string
let node: Node | undefined
beforeAll(() => {
  requireTool('kcat', 'apt-get install -y kcat')
  requirePython('confluent_kafka', 'python3-confluent-kafka')
})
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-delete-records-'))
  node = await startNode(dir)
})
afterEach(async () => {
  if (node !== undefined) await stopNode(node)
  node = undefined
  rmSync(dir, { recursive: true, force: true })
})

test('deleteTopicRecords inside a batch: the low watermark is the asked offset and every client starts reading there, also after a restart', async () => {
  let current = node as Node
  const kafka = kafkaOf(current)
  const producer = kafka.producer()
  await producer.connect()
  // One send per batch: offsets 0–9 in one batch, 10–14 in another.
  await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `m${i}` })) })
  await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `m${10 + i}` })) })
  await producer.disconnect()

  const admin = kafka.admin()
  await admin.connect()
  // KafkaJS looks the partition leaders up in its cached metadata.
  await admin.fetchTopicMetadata({ topics: [TOPIC] })
  await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '4' }] })
  await admin.disconnect()
  expect(await lowAndHigh(kafka)).toEqual({ low: '4', high: '15' })

  const expected = Array.from({ length: 11 }, (_, i) => `${4 + i} m${4 + i}`)
  expect(await kcatFromBeginning(current)).toEqual(expected)
  const py = await run(PYTHON, [join(__dirname, 'python', 'confluent_from_beginning.py'), current.bootstrap, TOPIC, '11'], {
    timeoutMs: 60_000,
  })
  if (py.code !== 0) throw new Error(`python failed (${py.code}): ${py.stderr}`)
  expect(JSON.parse(py.stdout)).toEqual(Array.from({ length: 11 }, (_, i) => [4 + i, `m${4 + i}`]))

  const consumer = kafka.consumer({ groupId: 'kafkajs-from-beginning', sessionTimeout: 6000, heartbeatInterval: 500 })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  const seen: string[] = []
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.offset} ${message.value?.toString()}`) })
  const deadline = Date.now() + 30_000
  while (seen.length < 11 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  await consumer.disconnect()
  expect(seen).toEqual(expected)

  // The log start survives a restart on the same files.
  await stopNode(current)
  node = current = await startNode(dir)
  const again = kafkaOf(current)
  expect(await lowAndHigh(again)).toEqual({ low: '4', high: '15' })
  expect(await kcatFromBeginning(current)).toEqual(expected)

  // -1 is the high watermark: nothing is left to read, and appends go on at 15.
  const admin2 = again.admin()
  await admin2.connect()
  await admin2.fetchTopicMetadata({ topics: [TOPIC] })
  await admin2.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '-1' }] })
  await admin2.disconnect()
  expect(await lowAndHigh(again)).toEqual({ low: '15', high: '15' })
  const producer2 = again.producer()
  await producer2.connect()
  const [meta] = await producer2.send({ topic: TOPIC, acks: -1, messages: [{ partition: 0, value: 'after' }] })
  await producer2.disconnect()
  expect(meta?.baseOffset).toBe('15')
  expect(await kcatFromBeginning(current)).toEqual(['15 after'])
})

test('tributary serve cluster: deleteTopicRecords inside a batch is replicated; the low watermark and kcat stay at it after the leader is killed', async () => {
  const cluster = await KafkaServeCluster.start(3)
  try {
    const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }] })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `m${i}` })) })
    await producer.disconnect()
    await admin.fetchTopicMetadata({ topics: [TOPIC] })
    await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '6' }] })
    expect(await lowAndHigh(kafka)).toEqual({ low: '6', high: '10' })
    const expected = ['6 m6', '7 m7', '8 m8', '9 m9']
    expect(await kcatFromBeginning({ bootstrap: cluster.bootstrap.join(',') })).toEqual(expected)

    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] })
    const leader = meta.topics[0]?.partitions[0]?.leader as number
    await admin.disconnect()
    await cluster.kill(leader)
    // Until a new leader is elected and the metadata shows it, clients may still try the dead node.
    const deadline = Date.now() + 60_000
    let after: { low: string; high: string } | Error = new Error('not asked')
    while (Date.now() < deadline) {
      const survivors = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } })
      after = await lowAndHigh(survivors).catch((error: Error) => error)
      if (!(after instanceof Error)) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    expect(after).toEqual({ low: '6', high: '10' })
    expect(await kcatFromBeginning({ bootstrap: cluster.bootstrap.join(',') })).toEqual(expected)
  } finally {
    await cluster.stop()
  }
}, 240_000)
