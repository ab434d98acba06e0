import { FAST, kafkaFor, until, type Connection, type KafkaLib } from './programs'

/*
 * More KafkaJS programs (see programs.ts): the admin client, instrumentation events and a
 * logCreator, written as KafkaJS's documentation shows them.
 */

/** adminProgram exercises the admin client end to end and returns every result. */
export async function adminProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const admin = kafka.admin()
  await admin.connect()
  const topic = `${ns}-admin`
  const groupId = `${ns}-admin-group`
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
  })
  const createdAgain = await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
  const validated = await admin.createTopics({ validateOnly: true, topics: [{ topic: `${ns}-never`, numPartitions: 1 }] })
  const topics = await admin.listTopics()
  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] })

  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: Array.from({ length: 9 }, (_, i) => ({ value: `m${i}`, partition: i % 3, timestamp: String(1_700_000_000_000 + i) })),
  })
  await producer.disconnect()
  const offsets = await admin.fetchTopicOffsets(topic)
  const byTimestamp = await admin.fetchTopicOffsetsByTimestamp(topic, 1_700_000_000_004)

  const { ConfigResourceTypes } = lib
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'retention.bytes'] }],
  })
  const altered = await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.bytes', value: '1048576' }] }],
  })
  const configsAfter = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'retention.bytes'] }],
  })

  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] })
  const afterSet = await admin.fetchOffsets({ groupId, topics: [topic] })
  await admin.resetOffsets({ groupId, topic, earliest: true })
  const consumer = kafka.consumer({ groupId, ...FAST })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic] })
  const read: string[] = []
  await consumer.run({ eachMessage: async ({ message }) => void read.push(message.value?.toString() ?? '') })
  await until(() => read.length === 9, 'the group reading from the reset (earliest) offsets')
  const groups = await admin.listGroups()
  const described = await admin.describeGroups([groupId])
  const setWhileRunning = await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }).catch((e: Error) => e)
  await consumer.disconnect()
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] })

  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] })
  const afterDelete = await admin.fetchTopicOffsets(topic)
  const deletedGroups = await admin.deleteGroups([groupId])
  const cluster = await admin.describeCluster()
  await admin.deleteTopics({ topics: [topic] })
  const topicsAfter = await admin.listTopics()
  await admin.disconnect()
  return {
    created,
    createdAgain,
    validated,
    topics,
    metadata,
    offsets,
    byTimestamp,
    configs,
    altered,
    configsAfter,
    afterSet,
    read,
    groups,
    described,
    setWhileRunning,
    committed,
    afterDelete,
    deletedGroups,
    cluster,
    topicsAfter,
  }
}

/** Recorded is one instrumentation event as the program saw it. */
export interface Recorded {
  id: unknown
  type: string
  timestamp: unknown
  payload: Record<string, unknown> | undefined
}

/** instrumentationProgram listens to every consumer, producer and admin event and runs a small workload. */
export async function instrumentationProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const kafka = kafkaFor(lib, connection)
  const topic = `${ns}-instrumented`
  const events: Recorded[] = []
  const record = (e: Recorded) => void events.push({ id: e.id, type: e.type, timestamp: e.timestamp, payload: e.payload })

  const admin = kafka.admin()
  for (const name of Object.values(admin.events)) admin.on(name, record)
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })

  const producer = kafka.producer()
  for (const name of Object.values(producer.events)) producer.on(name, record)
  await producer.connect()
  await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })

  const consumer = kafka.consumer({ groupId: `${ns}-observed`, ...FAST })
  const removers = Object.values(consumer.events).map((name) => consumer.on(name, record))
  const { HEARTBEAT } = consumer.events
  let heartbeats = 0
  const removeHeartbeatCounter = consumer.on(HEARTBEAT, () => void heartbeats++)
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let handled = 0
  await consumer.run({ eachMessage: async () => void handled++ })
  await until(() => handled === 3 && events.some((e) => e.type === consumer.events.COMMIT_OFFSETS), 'three messages and a commit')
  await until(() => heartbeats > 0, 'a heartbeat')
  removeHeartbeatCounter()
  const heartbeatsAfterRemoval = heartbeats
  await new Promise((r) => setTimeout(r, 300))
  const unknownEvent = (() => {
    try {
      consumer.on('consumer.no_such_event' as never, record)
      return null
    } catch (e) {
      return e as Error
    }
  })()
  await consumer.disconnect()
  for (const remove of removers) remove()
  await producer.disconnect()
  await admin.disconnect()
  return { events, heartbeatsAfterRemoval, heartbeatsAtEnd: heartbeats, unknownEvent }
}

/** LogLine is one entry a logCreator received. */
export interface LogLine {
  namespace: string
  level: number
  label: string
  message: string
  extra: Record<string, unknown>
}

/** loggingProgram runs a consumer with a custom logCreator at INFO and returns every line it received. */
export async function loggingProgram(lib: KafkaLib, connection: Connection, ns: string) {
  const lines: LogLine[] = []
  const levels: number[] = []
  const logCreator = (level: number) => {
    levels.push(level)
    return ({ namespace, level, label, log }: { namespace: string; level: number; label: string; log: Record<string, unknown> }) => {
      const { message, ...extra } = log
      lines.push({ namespace, level, label, message: String(message), extra })
    }
  }
  const kafka = kafkaFor(lib, connection, { logLevel: lib.logLevel.INFO, logCreator })
  const topic = `${ns}-logged`
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: [{ value: 'x' }] })
  const consumer = kafka.consumer({ groupId: `${ns}-logger`, ...FAST })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let handled = 0
  await consumer.run({ eachMessage: async () => void handled++ })
  await until(() => handled === 1, 'the message')
  kafka.logger().info('application line', { answer: 42 })
  kafka.logger().debug('dropped at INFO')
  kafka.logger().namespace('App').warn('namespaced line')
  await consumer.disconnect()
  await producer.disconnect()
  return { lines, levels }
}
