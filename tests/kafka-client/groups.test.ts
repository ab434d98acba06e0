import { Assigners, type Tributary } from '@tributary/client'
import { Kafka, logLevel } from 'kafkajs'
import { requireTool, start } from '../kafka/kit'
import { type Cluster, FAST_GROUP, startCluster, uniqueName, waitFor } from './kit'

/*
 * Consumer groups over the Kafka protocol: the classic protocol at the broker's coordinator,
 * Tributary's assignors, static membership, and a group shared with a KafkaJS consumer (the
 * subscription and assignment bytes are Kafka's ConsumerProtocol, which both read).
 */

let cluster: Cluster
let tb: Tributary
beforeAll(async () => {
  cluster = await startCluster()
  tb = await cluster.connect()
})
afterAll(() => cluster.close())

async function topicWith(partitions: number, perPartition: number): Promise<string> {
  const topic = uniqueName('group-topic')
  await tb.admin().createTopics({ topics: [{ topic, numPartitions: partitions }] })
  const producer = tb.producer()
  for (let partition = 0; partition < partitions && perPartition > 0; partition++) {
    await producer.send({ topic, messages: Array.from({ length: perPartition }, (_, i) => ({ partition, value: `${partition}:${i}` })) })
  }
  return topic
}

test('two members split the partitions, and when one leaves the other takes them all', async () => {
  const topic = await topicWith(4, 5)
  const groupId = uniqueName('split')
  const seen = [new Set<string>(), new Set<string>()]
  const members = [0, 1].map(() => tb.consumer({ groupId, ...FAST_GROUP, partitionAssigners: ['roundRobin'] }))
  for (const [i, m] of members.entries()) {
    await m.subscribe({ topics: [topic], fromBeginning: true })
    await m.run({ eachMessage: async ({ message }) => void seen[i]?.add(String(message.value)) })
  }
  await waitFor(() => members.every((m) => m.assignment().length === 2), 'two partitions each')
  const owned = members.map((m) => m.assignment().map((a) => a.partition))
  expect([...(owned[0] ?? []), ...(owned[1] ?? [])].sort()).toEqual([0, 1, 2, 3])
  await waitFor(() => (seen[0]?.size ?? 0) + (seen[1]?.size ?? 0) === 20, 'all twenty messages')

  const description = await members[0]?.describeGroup()
  expect(description?.state).toBe('Stable')
  expect(description?.members).toHaveLength(2)
  expect(description?.members.flatMap((m) => m.assignment?.assignment[topic] ?? []).sort()).toEqual([0, 1, 2, 3])
  expect(description?.members[0]?.subscription?.topics).toEqual([topic])

  await members[1]?.stop()
  await waitFor(() => members[0]?.assignment().length === 4, 'the remaining member owning every partition')
  await members[0]?.stop()
})

test('a static member (groupInstanceId) that restarts within the session keeps its partitions without a rebalance', async () => {
  const topic = await topicWith(2, 1)
  const groupId = uniqueName('static')
  const options = { groupId, ...FAST_GROUP, sessionTimeoutMs: 10_000 }
  const a = tb.consumer({ ...options, groupInstanceId: 'instance-a' })
  const b = tb.consumer({ ...options, groupInstanceId: 'instance-b' })
  for (const c of [a, b]) {
    await c.subscribe({ topics: [topic], fromBeginning: true })
    await c.run({ eachMessage: async () => undefined })
  }
  await waitFor(() => a.assignment().length === 1 && b.assignment().length === 1, 'one partition each')
  const before = b.assignment()
  // A static member's stop does not leave the group (Kafka keeps its place for the session timeout).
  await b.disconnect()
  const again = tb.consumer({ ...options, groupInstanceId: 'instance-b' })
  await again.subscribe({ topics: [topic], fromBeginning: true })
  await again.run({ eachMessage: async () => undefined })
  await waitFor(() => again.assignment().length === 1, 'the restarted member assigned')
  expect(again.assignment()).toEqual(before)
  expect(a.assignment()).toHaveLength(1)
  await Promise.all([a.stop(), again.stop()])
})

/**
 * A group shared with KafkaJS members needs an assignor both sides name alike: KafkaJS calls its
 * round robin 'RoundRobinAssigner', so the Tributary member offers its own round robin under that
 * name. Whichever member leads runs its own implementation; each reads the other's bytes.
 */
const kafkaJsRoundRobin = { ...Assigners.roundRobin, name: 'RoundRobinAssigner' }

test.each(['kafkajs', 'tributary'] as const)(
  'a Tributary member and a KafkaJS member share one group (%s leads): the partitions are split and every message is read once',
  async (leader) => {
    const topic = await topicWith(4, 0)
    const groupId = uniqueName('mixed')
    const kafka = new Kafka({ clientId: 'kafkajs-member', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING })
    const kjs = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 100, rebalanceTimeout: 5_000, maxWaitTimeInMs: 300 })
    const fromKafkaJs: string[] = []
    const fromTributary: string[] = []
    const ours = tb.consumer({ groupId, ...FAST_GROUP, partitionAssigners: [kafkaJsRoundRobin] })
    const startKafkaJs = async (): Promise<void> => {
      await kjs.connect()
      await kjs.subscribe({ topic, fromBeginning: true })
      await kjs.run({ eachMessage: async ({ message }) => void fromKafkaJs.push(String(message.value)) })
    }
    const startOurs = async (): Promise<void> => {
      await ours.subscribe({ topics: [topic], fromBeginning: true })
      await ours.run({ eachMessage: async ({ message }) => void fromTributary.push(String(message.value)) })
    }
    try {
      if (leader === 'kafkajs') {
        await startKafkaJs()
        await waitFor(async () => (await ours.describeGroup()).state === 'Stable', 'the KafkaJS member alone in the group')
        await startOurs()
      } else {
        await startOurs()
        await waitFor(() => ours.assignment().length === 4, 'the Tributary member alone in the group')
        await startKafkaJs()
      }
      await waitFor(async () => {
        const d = await ours.describeGroup()
        return d.state === 'Stable' && d.members.length === 2 && ours.assignment().length === 2
      }, 'a stable group of two with two partitions each')
      // Written once the group is settled, so each message is read by the member that owns its partition.
      const producer = tb.producer()
      for (let partition = 0; partition < 4; partition++)
        await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition, value: `${partition}:${i}` })) })
      await waitFor(() => fromKafkaJs.length + fromTributary.length >= 40, 'every message read')
      expect(new Set([...fromKafkaJs, ...fromTributary]).size).toBe(40)
      expect(fromKafkaJs.length + fromTributary.length).toBe(40)
      const description = await ours.describeGroup()
      const leaderMember = description.members.find((m) => m.clientId === (leader === 'kafkajs' ? 'kafkajs-member' : 'tributary'))
      expect(leaderMember).toBeDefined()
      const ourPartitions = ours.assignment().map((a) => a.partition)
      const theirs = description.members.find((m) => m.clientId === 'kafkajs-member')
      const theirPartitions = theirs?.assignment?.assignment[topic] ?? []
      expect([...ourPartitions, ...theirPartitions].sort()).toEqual([0, 1, 2, 3])
      expect(fromTributary.every((v) => ourPartitions.includes(Number(v.split(':')[0])))).toBe(true)
      expect(fromKafkaJs.every((v) => theirPartitions.includes(Number(v.split(':')[0])))).toBe(true)
    } finally {
      await ours.stop()
      await kjs.disconnect()
    }
  },
)

test('a Tributary member and a kcat (librdkafka) member share one group on the range assignor both name alike', async () => {
  requireTool('kcat', 'apt-get install -y kcat')
  const topic = await topicWith(4, 0)
  const groupId = uniqueName('mixed-kcat')
  const kcat = start('kcat', [
    '-b',
    cluster.bootstrap.join(','),
    '-u',
    '-G',
    groupId,
    '-f',
    '%p %s\\n',
    '-X',
    'auto.offset.reset=earliest',
    '-X',
    'partition.assignment.strategy=range',
    topic,
  ])
  // Tributary's default assignors are ['range', 'sticky']: range is the protocol both offer.
  const ours = tb.consumer({ groupId, ...FAST_GROUP })
  const fromTributary: string[] = []
  try {
    await kcat.waitFor((_, err) => /assigned:.*/.test(err), 30_000, 'kcat assigned')
    await ours.subscribe({ topics: [topic], fromBeginning: true })
    await ours.run({ eachMessage: async ({ message }) => void fromTributary.push(String(message.value)) })
    await waitFor(
      async () => {
        const d = await ours.describeGroup()
        return d.state === 'Stable' && d.members.length === 2 && d.protocol === 'range' && ours.assignment().length === 2
      },
      'a stable range group of two with two partitions each',
      30_000,
    )
    const producer = tb.producer()
    for (let partition = 0; partition < 4; partition++)
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition, value: `${partition}:${i}` })) })
    const fromKcat = (): string[][] =>
      kcat
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '))
    await waitFor(() => fromTributary.length + fromKcat().length >= 40, 'every message read')
    const ourPartitions = ours.assignment().map((a) => a.partition)
    const kcatPartitions = [...new Set(fromKcat().map((r) => Number(r[0])))]
    expect([...ourPartitions, ...kcatPartitions].sort()).toEqual([0, 1, 2, 3])
    expect([...fromTributary, ...fromKcat().map((r) => r[1])].sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `${Math.floor(i / 10)}:${i % 10}`).sort(),
    )
  } finally {
    await ours.stop()
    await kcat.stop()
  }
})
