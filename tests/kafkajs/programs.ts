import type * as Facade from '@tributary/client/kafkajs'

/*
 * KafkaJS programs written as KafkaJS's documentation shows them. Each takes the library it runs
 * on (`lib`: this facade, or the real `kafkajs` package against a Kafka-protocol server), the
 * `new Kafka()` fields that say where to connect, and a namespace for its topic and group names,
 * and returns what it observed; the tests assert on that. Nothing here is Tributary-specific, so
 * the same program can be run with `import * as lib from 'kafkajs'` for a parity check.
 */

/** KafkaLib is what the programs use of the library: KafkaJS's top-level exports. */
export type KafkaLib = Pick<
  typeof Facade,
  'Kafka' | 'logLevel' | 'CompressionTypes' | 'Partitioners' | 'ConfigResourceTypes' | 'AssignerProtocol' | 'PartitionAssigners'
>

/** Connection is the `new Kafka()` fields that choose where to run (`brokers`, or `tributary` for the facade). */
export type Connection = Record<string, unknown>

/** FAST are consumer options a KafkaJS user sets for quick rebalances (all within Kafka's defaults). */
export const FAST = Object.freeze({ sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 })

/** until polls `condition` until it holds, failing with `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** kafkaFor is the `new Kafka()` every program starts with. */
export function kafkaFor(lib: KafkaLib, connection: Connection, extra: Record<string, unknown> = {}) {
  return new lib.Kafka({ clientId: 'my-app', ...connection, logLevel: lib.logLevel.NOTHING, ...extra } as never)
}

/** Seen is one consumed message, as the tests compare them. */
export interface Seen {
  partition: number
  offset: string
  key: string | null
  value: string | null
}

function seen(partition: number, message: { offset: string; key: Buffer | null; value: Buffer | null }): Seen {
  return { partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null }
}

/** producerProgram: send, send with key/headers/timestamp/partition/acks/compression, a tombstone, sendBatch; read back. */
export async function producerProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const orders = `${ns}-orders`
  const audit = `${ns}-audit`
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: orders, numPartitions: 3 }, { topic: audit }] })

  const producer = kafka.producer({ createPartitioner: lib.Partitioners.DefaultPartitioner })
  await producer.connect()
  const first = await producer.send({ topic: orders, messages: [{ value: 'Hello KafkaJS user!' }] })
  const keyed = await producer.send({
    topic: orders,
    acks: 1,
    compression: lib.CompressionTypes.GZIP,
    messages: [
      {
        key: 'key1',
        value: 'hello world',
        timestamp: '1700000000000',
        headers: { 'correlation-id': '2bfb68bb', 'system-id': Buffer.from('my-system') },
      },
      { key: 'key2', value: Buffer.from('hey hey!'), partition: 2 },
    ],
  })
  const tombstone = await producer.send({ topic: orders, messages: [{ key: 'key1', value: null }] })
  const batch = await producer.sendBatch({
    topicMessages: [
      { topic: orders, messages: [{ key: 'key3', value: 'x' }] },
      { topic: audit, messages: [{ value: 'y' }] },
    ],
  })
  const noAck = await producer.send({ topic: audit, acks: 0, messages: [{ value: 'z' }] })
  await producer.disconnect()
  const afterDisconnect = await producer.send({ topic: audit, messages: [{ value: 'late' }] }).catch((e: Error) => e)

  const consumer = kafka.consumer({ groupId: `${ns}-reader`, ...FAST })
  await consumer.connect()
  await consumer.subscribe({ topic: orders, fromBeginning: true })
  const messages: Array<Seen & { timestamp: string; headers: Record<string, string> }> = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))
      messages.push({ ...seen(partition, message), timestamp: message.timestamp, headers })
    },
  })
  await until(() => messages.length === 5, 'the five messages sent to orders')
  await consumer.disconnect()
  await admin.disconnect()
  return { first, keyed, tombstone, batch, noAck, afterDisconnect, messages }
}

/** eachMessageProgram: a consumer group reads a three-partition topic with eachMessage and commits. */
export async function eachMessageProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const topic = `${ns}-events`
  const groupId = `${ns}-group`
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 10}`, value: `event-${i}` })) })

  const consumer = kafka.consumer({ groupId, ...FAST })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const received: Seen[] = []
  await consumer.run({
    eachMessage: async ({ topic: t, partition, message, heartbeat }) => {
      if (t !== topic) throw new Error(`unexpected topic ${t}`)
      received.push(seen(partition, message))
      await heartbeat()
    },
  })
  await until(() => received.length === 30, '30 messages')
  await consumer.stop()
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
  const ends = await admin.fetchTopicOffsets(topic)
  await consumer.disconnect()
  await producer.disconnect()
  await admin.disconnect()
  return { received, committed, ends }
}

/** eachBatchProgram: eachBatch with eachBatchAutoResolve off, resolving, committing and heartbeating by hand. */
export async function eachBatchProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const topic = `${ns}-batches`
  const groupId = `${ns}-batcher`
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` })) })

  const consumer = kafka.consumer({ groupId, ...FAST })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const values: string[] = []
  const batches: Array<{ highWatermark: string; first: string | null; last: string; lag: string; lagLow: string; size: number }> = []
  const uncommitted: unknown[] = []
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale }) => {
      batches.push({
        highWatermark: batch.highWatermark,
        first: batch.firstOffset(),
        last: batch.lastOffset(),
        lag: batch.offsetLag(),
        lagLow: batch.offsetLagLow(),
        size: batch.messages.length,
      })
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break
        values.push(message.value?.toString() ?? '')
        resolveOffset(message.offset)
        await heartbeat()
      }
      uncommitted.push(uncommittedOffsets())
      await commitOffsetsIfNecessary()
    },
  })
  await until(() => values.length === 20, '20 messages')
  await consumer.disconnect()
  const admin = kafka.admin()
  await admin.connect()
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
  await admin.disconnect()
  await producer.disconnect()
  return { values, batches, uncommitted, committed }
}

/** rebalanceProgram: two members split four partitions; when one disconnects the other takes all four. */
export async function rebalanceProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const topic = `${ns}-work`
  const groupId = `${ns}-workers`
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] })
  const producer = kafka.producer()
  await producer.connect()

  const assignments = new Map<string, Record<string, number[]>>()
  const received = new Map<string, string[]>()
  const members = ['a', 'b'].map((name) => {
    const consumer = kafka.consumer({ groupId, ...FAST })
    consumer.on(consumer.events.GROUP_JOIN, (e: { payload: { memberAssignment: Record<string, number[]> } }) => {
      assignments.set(name, e.payload.memberAssignment)
    })
    received.set(name, [])
    return { name, consumer }
  })
  for (const { name, consumer } of members) {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => void received.get(name)?.push(message.value?.toString() ?? '') })
  }
  const partitionsOf = (name: string) => assignments.get(name)?.[topic]?.length ?? 0
  await until(() => partitionsOf('a') === 2 && partitionsOf('b') === 2, 'both members owning two partitions')
  const split = { a: [...(assignments.get('a')?.[topic] ?? [])].sort(), b: [...(assignments.get('b')?.[topic] ?? [])].sort() }

  await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `before-${i}` })) })
  const total = () => (received.get('a')?.length ?? 0) + (received.get('b')?.length ?? 0)
  await until(() => total() === 40, 'the 40 messages produced while both members ran')
  const before = { a: received.get('a')?.length ?? 0, b: received.get('b')?.length ?? 0 }

  await members[1]?.consumer.disconnect()
  await until(() => partitionsOf('a') === 4, 'member a owning all four partitions')
  await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `after-${i}` })) })
  await until(() => (received.get('a') ?? []).filter((v) => v.startsWith('after-')).length === 40, 'member a reading everything')
  const description = await admin.describeGroups([groupId])
  await members[0]?.consumer.disconnect()
  await producer.disconnect()
  await admin.disconnect()
  return { split, before, afterAll: received.get('a') ?? [], description }
}

/** seekProgram: read a topic, seek back to offset '2' and read again from there; then seek to the log start ('-2'). */
export async function seekProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const topic = `${ns}-replay`
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `r${i}` })) })

  const consumer = kafka.consumer({ groupId: `${ns}-replayer`, ...FAST })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const offsets: string[] = []
  let sought = false
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      offsets.push(message.offset)
      if (message.offset === '4' && !sought) {
        sought = true
        consumer.seek({ topic, partition, offset: '2' })
      }
    },
  })
  await until(() => offsets.length === 8, 'five messages and three replayed')
  const beforeRun = await (async () => {
    const other = kafka.consumer({ groupId: `${ns}-unstarted` })
    try {
      other.seek({ topic, partition: 0, offset: '0' })
      return null
    } catch (e) {
      return e as Error
    }
  })()
  // '-2' is the log start: everything is read again.
  consumer.seek({ topic, partition: 0, offset: '-2' })
  await until(() => offsets.length === 13, 'the whole partition read again after seeking to the start')
  await consumer.disconnect()
  await producer.disconnect()
  return { offsets, beforeRun }
}

/** pauseProgram: pause() from eachMessage and consumer.pause/resume stop and restart a topic's delivery. */
export async function pauseProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const slow = `${ns}-slow`
  const fast = `${ns}-fast`
  const producer = kafka.producer()
  await producer.connect()
  await producer.sendBatch({
    topicMessages: [
      { topic: slow, messages: Array.from({ length: 5 }, (_, i) => ({ value: `s${i}` })) },
      { topic: fast, messages: Array.from({ length: 5 }, (_, i) => ({ value: `f${i}` })) },
    ],
  })
  const consumer = kafka.consumer({ groupId: `${ns}-pauser`, ...FAST })
  await consumer.connect()
  await consumer.subscribe({ topics: [slow, fast], fromBeginning: true })
  const got: string[] = []
  let resumeSlow: (() => void) | null = null
  await consumer.run({
    eachMessage: async ({ topic, message, pause }) => {
      got.push(message.value?.toString() ?? '')
      // Back-pressure: the first slow message pauses its partition, as KafkaJS's docs show.
      if (topic === slow && resumeSlow === null) resumeSlow = pause()
    },
  })
  await until(() => got.filter((v) => v.startsWith('f')).length === 5, 'every fast message')
  await new Promise((r) => setTimeout(r, 300))
  const whilePaused = { slow: got.filter((v) => v.startsWith('s')).length, paused: consumer.paused() }
  ;(resumeSlow as (() => void) | null)?.()
  await until(() => got.filter((v) => v.startsWith('s')).length === 5, 'every slow message after resuming')

  consumer.pause([{ topic: fast }])
  await producer.send({ topic: fast, messages: [{ value: 'f5' }] })
  await new Promise((r) => setTimeout(r, 300))
  const fastWhilePaused = got.includes('f5')
  const pausedTopics = consumer.paused()
  consumer.resume([{ topic: fast }])
  await until(() => got.includes('f5'), 'f5 after resume')
  await consumer.disconnect()
  await producer.disconnect()
  return { whilePaused, fastWhilePaused, pausedTopics, got }
}
