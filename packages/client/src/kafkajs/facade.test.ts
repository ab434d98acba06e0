import { TributaryError, registerCompressionCodec } from '@tributary/core'
import { deadAddress } from '../testing/remote-kit'
import { Tributary } from '../tributary'
import {
  CompressionTypes,
  Kafka,
  KafkaJSConnectionError,
  KafkaJSDeleteGroupsError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  Partitioners,
  logLevel,
  legacyMurmur2,
  type LogEntry,
} from './index'
import { toKafkaJSError } from './errors'
import { waitFor as until } from '../testing/client-kit'

/** Group timings short enough for tests (KafkaJS option names). */
const FAST = Object.freeze({ sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 })
import { toPositive } from '@tributary/core'

/*
 * What the facade adds around the programs: refusals (transactionalId, bad input), error
 * translation, partitioners, crash restarts, the backend seam and logging. Each bad input must be
 * a typed KafkaJS error that wraps a TributaryError and changes nothing.
 */

jest.setTimeout(30_000)

let tb: Tributary
let kafka: Kafka
beforeEach(async () => {
  tb = await Tributary.open()
  kafka = new Kafka({ clientId: 'facade-test', tributary: tb, logLevel: logLevel.NOTHING })
})
afterEach(() => tb.close())

/** endOffsets reads a topic's log ends straight from Tributary. */
async function endOffsets(topic: string): Promise<number[]> {
  return (await tb.admin().fetchTopicOffsets(topic)).map((o) => o.offset)
}

describe('producer refusals', () => {
  test('transactionalId is refused with KafkaJSNotImplemented wrapping UNSUPPORTED_VERSION; transaction() rejects', async () => {
    let error: unknown
    try {
      kafka.producer({ transactionalId: 'billing-tx' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(KafkaJSNotImplemented)
    expect(error).toMatchObject({ name: 'KafkaJSNotImplemented', retriable: false, message: expect.stringContaining('no transactions') })
    expect((error as Error).cause).toMatchObject({ code: 'UNSUPPORTED_VERSION' })
    await expect(kafka.producer().transaction()).rejects.toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'Must provide transactional id for transactional producer',
    })
  })

  test('bad messages and settings fail the whole send with KafkaJSNonRetriableError and write nothing', async () => {
    await tb.admin().createTopics({ topics: [{ topic: 'strict' }] })
    const producer = kafka.producer({ idempotent: true })
    await producer.connect()
    expect(producer.isIdempotent()).toBe(true)
    const attempts = [
      producer.send({ topic: 'strict', messages: [{ value: 'ok' }, { key: 'k' } as never] }),
      producer.send({ topic: 'strict', messages: [{ value: 'ok' }, { value: 'x', timestamp: 'yesterday' }] }),
      producer.send({ topic: 'strict', messages: [{ value: 'ok' }], compression: 9 }),
      producer.send({ topic: 'strict', messages: [{ value: 'ok' }], acks: 1 }),
      producer.send({ topic: '', messages: [{ value: 'ok' }] }),
    ]
    for (const attempt of attempts) {
      const error = await attempt.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
      expect((error as Error).cause).toBeInstanceOf(TributaryError)
    }
    expect(await endOffsets('strict')).toEqual([0])
    expect(() => kafka.producer({ idempotent: true, retry: { retries: 0 } })).toThrow('Idempotent producer must allow retries')
    await producer.disconnect()
  })

  test('an unknown topic without auto-creation fails with KafkaJSNumberOfRetriesExceeded around UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1, initialRetryTime: 10, maxRetryTime: 20 } })
    await producer.connect()
    const error = await producer.send({ topic: 'nowhere', messages: [{ value: 'x' }] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    const cause = (error as Error).cause
    expect(cause).toBeInstanceOf(KafkaJSProtocolError)
    expect(cause).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true })
    expect((cause as Error).cause).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
    await producer.disconnect()
  })

  test('a codec registered in Tributary serves CompressionTypes.LZ4 end to end', async () => {
    const calls: string[] = []
    registerCompressionCodec('lz4', {
      compress: (b) => (calls.push('compress'), Buffer.from(b)),
      decompress: (b) => (calls.push('decompress'), Buffer.from(b)),
    })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'squeezed', compression: CompressionTypes.LZ4, messages: [{ value: 'small' }] })
    const consumer = kafka.consumer({ groupId: 'squeezer', ...FAST })
    await consumer.subscribe({ topic: 'squeezed', fromBeginning: true })
    const values: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) })
    await until(() => values.length === 1, 'the lz4 message')
    expect(values).toEqual(['small'])
    expect(calls).toEqual(['compress', 'decompress'])
    await consumer.disconnect()
    await producer.disconnect()
  })
})

describe('partitioners', () => {
  test('LegacyPartitioner places keys by the pre-2.0 hash, and a custom partitioner sees KafkaJS partition metadata', async () => {
    await tb.admin().createTopics({
      topics: [
        { topic: 'legacy', numPartitions: 5 },
        { topic: 'custom', numPartitions: 4 },
      ],
    })
    const legacy = kafka.producer({ createPartitioner: Partitioners.LegacyPartitioner })
    await legacy.connect()
    const keys = Array.from({ length: 20 }, (_, i) => `customer-${i}`)
    const results = await Promise.all(keys.map((key) => legacy.send({ topic: 'legacy', messages: [{ key, value: key }] })))
    results.forEach((r, i) => expect(r[0]?.partition).toBe(toPositive(legacyMurmur2(keys[i])) % 5))

    const seen: unknown[] = []
    const custom = kafka.producer({
      createPartitioner: () => (args) => {
        seen.push(args.partitionMetadata)
        return args.partitionMetadata.length - 1
      },
    })
    await custom.connect()
    const [meta] = await custom.send({ topic: 'custom', messages: [{ key: 'a', value: '1' }] })
    expect(meta?.partition).toBe(3)
    expect(seen[0]).toEqual(
      [0, 1, 2, 3].map((partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0], offlineReplicas: [] })),
    )
    await legacy.disconnect()
    await custom.disconnect()
  })
})

describe('consumer', () => {
  test('a handler that keeps failing crashes with KafkaJSNumberOfRetriesExceeded; restartOnFailure false stops the consumer', async () => {
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'poison', messages: [{ value: 'bad' }] })
    const restartedWith: Error[] = []
    const consumer = kafka.consumer({
      groupId: 'poisoned',
      ...FAST,
      retry: {
        retries: 1,
        initialRetryTime: 10,
        restartOnFailure: async (e) => {
          restartedWith.push(e)
          return false
        },
      },
    })
    const crashes: Array<{ error: Error; restart: boolean }> = []
    let stopped = 0
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload))
    consumer.on(consumer.events.STOP, () => void stopped++)
    await consumer.subscribe({ topic: 'poison', fromBeginning: true })
    const boom = new Error('cannot handle this')
    await consumer.run({
      eachMessage: async () => {
        throw boom
      },
    })
    await until(() => crashes.length === 1 && stopped === 1, 'a crash and a stop')
    expect(crashes[0]?.error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect(crashes[0]?.error.cause).toBe(boom)
    expect(crashes[0]?.restart).toBe(false)
    expect(restartedWith).toEqual([crashes[0]?.error])
    expect(consumer.paused()).toEqual([])
    await consumer.disconnect()
    await producer.disconnect()
  })

  test('consumer options are checked with KafkaJS names; run twice is ignored; subscribe while running is refused', async () => {
    expect(() => kafka.consumer({ groupId: '' })).toThrow('Consumer groupId must be a non-empty string.')
    expect(() => kafka.consumer({ groupId: 'g', sessionTimeout: 1000, heartbeatInterval: 1000 })).toThrow(
      'Consumer heartbeatInterval (1000) must be lower than sessionTimeout (1000)',
    )
    expect(() => kafka.consumer({ groupId: 'g', maxWaitTimeInMs: -1 })).toThrow(/consumer\.maxWaitTimeInMs/)
    expect(() => kafka.consumer({ groupId: 'g', partitionAssigners: [() => ({})] })).toThrow(KafkaJSNonRetriableError)
    const consumer = kafka.consumer({ groupId: 'twice', ...FAST })
    await consumer.subscribe({ topics: [/^twice-/, 'twice-a'] })
    await consumer.run({ eachMessage: async () => {} })
    await expect(consumer.run({ eachMessage: async () => {} })).resolves.toBeUndefined()
    await expect(consumer.subscribe({ topic: 'later' })).rejects.toThrow('Cannot subscribe to topic while consumer is running')
    await expect(consumer.commitOffsets([{ topic: 'twice-a', partition: 0, offset: 'x' }])).rejects.toThrow(KafkaJSNonRetriableError)
    const group = await consumer.describeGroup()
    expect(group).toMatchObject({ groupId: 'twice', state: 'Stable', protocol: 'RoundRobinAssigner' })
    expect(group.members[0]).toMatchObject({ clientId: 'facade-test', clientHost: '' })
    await consumer.disconnect()
  })
})

describe('reconnecting', () => {
  test('a consumer and a producer can disconnect and connect again; the consumer keeps its subscription and offsets', async () => {
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'again', messages: [{ value: 'one' }] })
    const consumer = kafka.consumer({ groupId: 'again', ...FAST })
    await consumer.subscribe({ topic: 'again', fromBeginning: true })
    const values: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) })
    await until(() => values.length === 1, 'the first message')
    await consumer.disconnect()
    await producer.disconnect()

    await producer.connect()
    await producer.send({ topic: 'again', messages: [{ value: 'two' }] })
    await consumer.connect()
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) })
    await until(() => values.length === 2, 'the second message')
    expect(values).toEqual(['one', 'two'])
    await consumer.disconnect()
    await producer.disconnect()
  })
})

describe('admin', () => {
  test('ACLs are not implemented, BROKER configs are refused, a non-empty group is not deleted', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await expect(admin.createAcls({ acl: [] })).rejects.toBeInstanceOf(KafkaJSNotImplemented)
    await expect(admin.describeAcls({})).rejects.toBeInstanceOf(KafkaJSNotImplemented)
    await expect(admin.describeConfigs({ resources: [{ type: 4, name: '0' }] })).rejects.toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'INVALID_REQUEST',
    })
    const consumer = kafka.consumer({ groupId: 'busy', ...FAST })
    await consumer.subscribe({ topic: 'busy-topic' })
    await consumer.run({ eachMessage: async () => {} })
    const error = await admin.deleteGroups(['busy']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSDeleteGroupsError)
    expect((error as KafkaJSDeleteGroupsError).groups).toEqual([
      { groupId: 'busy', errorCode: 68, error: expect.any(KafkaJSProtocolError) },
    ])
    expect((error as KafkaJSDeleteGroupsError).groups[0]?.error?.type).toBe('NON_EMPTY_GROUP')
    await consumer.disconnect()
    await admin.disconnect()
  })
})

describe('Kafka and backends', () => {
  test('exactly one of tributary and brokers is required', () => {
    expect(() => new Kafka({ tributary: tb, brokers: ['a:1'] })).toThrow(KafkaJSNonRetriableError)
    expect(() => new Kafka({})).toThrow('brokers parameter should not be null')
  })

  test('the connect seam opens a Tributary per client with KafkaJS connection settings and closes it on disconnect', async () => {
    const opened: Array<{ options: unknown; tb: Tributary }> = []
    const seam = new Kafka({
      clientId: 'seamed',
      brokers: async () => ['kafka-1:9092'],
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
      connectionTimeout: 2500,
      logLevel: logLevel.NOTHING,
      connect: async (options) => {
        const own = await Tributary.open()
        opened.push({ options, tb: own })
        return own
      },
    })
    const producer = seam.producer({ maxInFlightRequests: 3 })
    await producer.connect()
    await producer.send({ topic: 'seam', messages: [{ value: 'through the seam' }] })
    expect(opened[0]?.options).toEqual({
      brokers: ['kafka-1:9092'],
      clientId: 'seamed',
      ssl: undefined,
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
      connectTimeoutMs: 2500,
      requestTimeoutMs: undefined,
      maxInFlightRequests: 3,
      client: 'producer',
    })
    await producer.disconnect()
    expect(() => opened[0]?.tb.admin()).toThrow(expect.objectContaining({ code: 'CLIENT_CLOSED' }))
  })

  test('ssl over the Tributary cluster protocol is not implemented; an unreachable broker is a KafkaJSConnectionError', async () => {
    const tls = new Kafka({ brokers: ['127.0.0.1:1'], ssl: true, logLevel: logLevel.NOTHING })
    await expect(tls.admin().connect()).rejects.toBeInstanceOf(KafkaJSNotImplemented)
    const dead = new Kafka({ brokers: [await deadAddress()], logLevel: logLevel.NOTHING, retry: { retries: 0 } })
    const admin = dead.admin()
    const error = await admin.listTopics().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect((error as Error).cause).toBeInstanceOf(KafkaJSConnectionError)
    await admin.disconnect()
  })
})

describe('errors', () => {
  test('TributaryErrors become the KafkaJS classes a KafkaJS program checks for, keeping the TributaryError as cause', () => {
    const cases: Array<[TributaryError, new (...a: never[]) => Error, Record<string, unknown>]> = [
      [
        new TributaryError('NOT_LEADER_OR_FOLLOWER', 'moved'),
        KafkaJSProtocolError,
        { type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true },
      ],
      [
        new TributaryError('REBALANCE_IN_PROGRESS', 'rejoin'),
        KafkaJSProtocolError,
        { type: 'REBALANCE_IN_PROGRESS', code: 27, retriable: false },
      ],
      [
        new TributaryError('OFFSET_OUT_OF_RANGE', 'gone', { details: { topic: 't', partition: 2 } }),
        KafkaJSOffsetOutOfRange,
        { type: 'OFFSET_OUT_OF_RANGE', topic: 't', partition: 2 },
      ],
      [
        new TributaryError('LEADER_NOT_AVAILABLE', 'down', { details: { broker: 'h:1' } }),
        KafkaJSConnectionError,
        { broker: 'h:1', retriable: true },
      ],
      [new TributaryError('REQUEST_TIMED_OUT', 'slow', { details: { broker: 'h:1' } }), KafkaJSRequestTimeoutError, { broker: 'h:1' }],
      [new TributaryError('INVALID_CONFIG', 'bad', { details: { path: 'consumer.x' } }), KafkaJSNonRetriableError, { retriable: false }],
      [new TributaryError('CLIENT_CLOSED', 'closed'), KafkaJSNonRetriableError, { retriable: false }],
    ]
    for (const [tributary, cls, fields] of cases) {
      const converted = toKafkaJSError(tributary)
      expect(converted).toBeInstanceOf(cls)
      expect(converted).toBeInstanceOf(KafkaJSError)
      expect(converted).toMatchObject({ ...fields, message: tributary.message })
      expect(converted.cause).toBe(tributary)
    }
    const foreign = new Error('mine')
    expect(toKafkaJSError(foreign)).toBe(foreign)
  })
})

describe('logging', () => {
  test('setLogLevel, namespace levels and KAFKAJS_LOG_LEVEL decide what reaches the logCreator', () => {
    const entries: LogEntry[] = []
    const logged = new Kafka({ tributary: tb, logLevel: logLevel.ERROR, logCreator: () => (e) => void entries.push(e) })
    const logger = logged.logger()
    logger.warn('hidden')
    logger.setLogLevel(logLevel.DEBUG)
    logger.debug('shown', { n: 1 })
    logger.namespace('Quiet', logLevel.NOTHING).error('hidden too')
    expect(entries.map((e) => [e.namespace, e.label, e.log.message])).toEqual([[undefined, 'DEBUG', 'shown']])
    process.env.KAFKAJS_LOG_LEVEL = 'warn'
    try {
      const envEntries: LogEntry[] = []
      const fromEnv = new Kafka({ tributary: tb, logLevel: logLevel.NOTHING, logCreator: () => (e) => void envEntries.push(e) })
      fromEnv.logger().warn('env says warn')
      fromEnv.logger().info('but not info')
      expect(envEntries.map((e) => e.log.message)).toEqual(['env says warn'])
    } finally {
      delete process.env.KAFKAJS_LOG_LEVEL
    }
  })
})
