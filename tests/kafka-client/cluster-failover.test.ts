import { Tributary } from '@tributary/client'
import { FAST_GROUP, uniqueName, waitFor } from './kit'
import { KafkaCluster } from './kafka-cluster'

/*
 * The Kafka backend against a replicated cluster: three Tributary nodes, each its own process
 * with a Kafka listener (a Kafka cluster of three brokers as a Kafka client sees it). Partitions
 * have three replicas and min.insync.replicas 2; the leader of one is SIGKILLed in the middle of
 * an idempotent acks=all load.
 */

let cluster: KafkaCluster
beforeAll(async () => {
  cluster = await KafkaCluster.start(3)
}, 90_000)
afterAll(() => cluster?.stop(), 30_000)

test("sends go to each partition's leader; with a leader SIGKILLed mid-load every acknowledged message is read once, none lost or duplicated", async () => {
  const tb = await Tributary.connect({ kafka: { brokers: cluster.bootstrap, requestTimeoutMs: 10_000, retry: { retries: 10 } } })
  try {
    const topic = uniqueName('failover')
    const admin = tb.admin()
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    })
    const { brokers } = await admin.describeCluster()
    expect(brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...cluster.bootstrap].sort())
    const meta = await admin.fetchTopicMetadata({ topics: [topic] })
    const leaderOf0 = meta.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader as number
    expect(cluster.kafka.has(leaderOf0)).toBe(true)

    const producer = tb.producer({ acks: 'all', idempotent: true, retry: { retries: 40, initialRetryTimeMs: 50, maxRetryTimeMs: 500 } })
    const total = 3_000
    const perSend = 50
    let acked = 0
    let killed: Promise<void> | null = null
    const sends: Array<Promise<unknown>> = []
    for (let start = 0; start < total; start += perSend) {
      const messages = Array.from({ length: perSend }, (_, i) => ({ key: `k${(start + i) % 97}`, value: `m${start + i}` }))
      sends.push(
        producer.send({ topic, messages }).then(() => {
          acked += perSend
          if (acked >= total / 3 && killed === null) killed = cluster.kill(leaderOf0)
        }),
      )
      // A few sends in flight at once, as an application under load has.
      if (sends.length % 4 === 0) await Promise.all(sends.slice(-4))
    }
    await Promise.all(sends)
    await killed
    expect(acked).toBe(total)

    const consumer = tb.consumer({ groupId: uniqueName('failover-readers'), ...FAST_GROUP })
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const seen: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
    await waitFor(() => seen.length >= total, `all ${total} messages`, 60_000)
    await new Promise((r) => setTimeout(r, 300))
    await consumer.stop()
    expect(seen).toHaveLength(total)
    expect(new Set(seen).size).toBe(total)
  } finally {
    await tb.close()
  }
}, 120_000)
