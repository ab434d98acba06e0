import { murmur2, toPositive } from '@tributary/core'
import { BACKENDS, type ProgramBackend } from './backends'
import type { KafkaLib } from './programs'
import { adminProgram, instrumentationProgram, loggingProgram } from './programs-admin'
import { eachBatchProgram, eachMessageProgram, pauseProgram, producerProgram, rebalanceProgram, seekProgram } from './programs'

/*
 * KafkaJS programs, written as KafkaJS's documentation shows them, run unchanged on Tributary
 * through the facade, embedded and over TCP. The same programs take the real `kafkajs` module as
 * `lib` for a parity run against a Kafka-protocol server: KAFKAJS_PARITY_BROKERS=host:port adds
 * that run (see testing/backends.ts).
 */

jest.setTimeout(60_000)

let nsCounter = 0
const ns = (name: string) => `${name}-${++nsCounter}`
const partitionFor = (key: string, partitions: number) => toPositive(murmur2(Buffer.from(key))) % partitions

describe.each(BACKENDS)('KafkaJS programs on %s', (_name, open) => {
  let backend: ProgramBackend
  let lib: KafkaLib
  beforeAll(async () => {
    backend = await open()
    lib = backend.lib
  })
  afterAll(() => backend.close())

  test('a producer sends with keys, headers, string timestamps, acks, GZIP, tombstones and sendBatch; results have KafkaJS shapes', async () => {
    const r = await producerProgram(lib, backend.connection, ns('produce'))
    const orders = r.first[0]?.topicName as string
    expect(r.first).toEqual([
      { topicName: orders, partition: expect.any(Number), errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' },
    ])
    const key1Partition = partitionFor('key1', 3)
    expect(r.keyed.map((m) => m.partition).sort()).toEqual([...new Set([key1Partition, 2])].sort())
    for (const m of [...r.keyed, ...r.tombstone, ...r.batch]) expect(typeof m.baseOffset).toBe('string')
    expect(r.tombstone[0]?.partition).toBe(key1Partition)
    expect(r.batch.map((m) => m.topicName).sort()).toEqual([orders, orders.replace(/orders$/, 'audit')].sort())
    expect(r.noAck).toEqual([])
    expect(r.afterDisconnect).toMatchObject({ name: 'KafkaJSError', message: 'The producer is disconnected', retriable: true })

    expect(r.messages).toHaveLength(5)
    const hello = r.messages.find((m) => m.value === 'hello world')
    expect(hello).toMatchObject({ key: 'key1', partition: key1Partition, timestamp: '1700000000000' })
    expect(hello?.headers).toEqual({ 'correlation-id': '2bfb68bb', 'system-id': 'my-system' })
    expect(r.messages.find((m) => m.value === 'hey hey!')).toMatchObject({ key: 'key2', partition: 2 })
    expect(r.messages.find((m) => m.key === 'key1' && m.value === null)).toBeDefined()
    for (const m of r.messages) {
      expect(m.offset).toMatch(/^\d+$/)
      expect(m.timestamp).toMatch(/^\d+$/)
    }
  })

  test('a consumer group reads every partition with eachMessage and commits what it handled', async () => {
    const r = await eachMessageProgram(lib, backend.connection, ns('each-message'))
    expect(r.received.map((m) => m.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `event-${i}`).sort())
    for (const m of r.received) expect(m.partition).toBe(partitionFor(m.key as string, 3))
    const committed = r.committed[0]?.partitions ?? []
    expect(committed.map((p) => [p.partition, p.offset]).sort()).toEqual(r.ends.map((e) => [e.partition, e.offset]).sort())
    expect(committed.every((p) => p.metadata === null)).toBe(true)
  })

  test('eachBatch with manual resolveOffset sees string offsets and lags, and commits through commitOffsetsIfNecessary', async () => {
    const r = await eachBatchProgram(lib, backend.connection, ns('each-batch'))
    expect(r.values).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`))
    const last = r.batches[r.batches.length - 1]
    expect(r.batches[0]).toMatchObject({ highWatermark: '20', first: '0' })
    expect(last).toMatchObject({ last: '19', lag: '0' })
    expect(r.batches.reduce((n, b) => n + b.size, 0)).toBe(20)
    expect(r.uncommitted[r.uncommitted.length - 1]).toEqual({
      topics: [{ topic: expect.stringMatching(/batches$/), partitions: [{ partition: 0, offset: '20' }] }],
    })
    expect(r.committed[0]?.partitions).toEqual([{ partition: 0, offset: '20', metadata: null }])
  })

  test('two members split the partitions, and when one leaves the other takes them all', async () => {
    const r = await rebalanceProgram(lib, backend.connection, ns('rebalance'))
    expect([...r.split.a, ...r.split.b].sort()).toEqual([0, 1, 2, 3])
    expect(r.split.a).toHaveLength(2)
    expect(r.before.a + r.before.b).toBe(40)
    expect(r.before.a).toBeGreaterThan(0)
    expect(r.before.b).toBeGreaterThan(0)
    expect(r.afterAll.filter((v) => v.startsWith('after-'))).toHaveLength(40)
    const [group] = r.description.groups
    expect(group).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' })
    expect(group?.members).toHaveLength(1)
    const assignment = lib.AssignerProtocol.MemberAssignment.decode(group?.members[0]?.memberAssignment as Buffer)
    expect(Object.values(assignment?.assignment ?? {})[0]?.sort()).toEqual([0, 1, 2, 3])
  })

  test('seek with string offsets replays from an offset and from the log start; seek before run is refused', async () => {
    const r = await seekProgram(lib, backend.connection, ns('seek'))
    expect(r.offsets).toEqual(['0', '1', '2', '3', '4', '2', '3', '4', '0', '1', '2', '3', '4'])
    expect(r.beforeRun).toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'Consumer group was not initialized, consumer#run must be called first',
    })
  })

  test("pause() from eachMessage and consumer.pause/resume stop and restart a topic's delivery", async () => {
    const r = await pauseProgram(lib, backend.connection, ns('pause'))
    expect(r.whilePaused.slow).toBe(1)
    expect(r.whilePaused.paused).toEqual([{ topic: expect.stringMatching(/slow$/), partitions: [0] }])
    expect(r.fastWhilePaused).toBe(false)
    expect(r.pausedTopics).toEqual([{ topic: expect.stringMatching(/fast$/), partitions: [0] }])
    expect(r.got.filter((v) => v.startsWith('s'))).toEqual(['s0', 's1', 's2', 's3', 's4'])
  })

  test('the admin client creates, describes, alters and deletes topics, configs, offsets and groups', async () => {
    const r = await adminProgram(lib, backend.connection, ns('admin'))
    const topic = r.metadata.topics[0]?.name as string
    expect([r.created, r.createdAgain, r.validated]).toEqual([true, false, true])
    expect(r.topics).toContain(topic)
    expect(r.topics.some((t) => t.endsWith('-never'))).toBe(false)
    expect(r.metadata.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2])
    expect(r.metadata.topics[0]?.partitions[0]).toMatchObject({
      partitionErrorCode: 0,
      leader: expect.any(Number),
      replicas: expect.any(Array),
    })
    expect(r.offsets.sort((a, b) => a.partition - b.partition)).toEqual(
      [0, 1, 2].map((partition) => ({ partition, offset: '3', high: '3', low: '0' })),
    )
    expect(r.byTimestamp.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '2' },
      { partition: 1, offset: '1' },
      { partition: 2, offset: '1' },
    ])
    const entries = (d: typeof r.configs) =>
      Object.fromEntries(d.resources[0]?.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]]) ?? [])
    expect(entries(r.configs)).toEqual({ 'retention.ms': ['3600000', false], 'retention.bytes': ['-1', true] })
    expect(r.altered).toEqual({ resources: [{ errorCode: 0, errorMessage: null, resourceName: topic, resourceType: 2 }], throttleTime: 0 })
    // AlterConfigs (what KafkaJS sends) replaces the overrides: retention.ms went back to its default.
    expect(entries(r.configsAfter)).toEqual({ 'retention.ms': ['604800000', true], 'retention.bytes': ['1048576', false] })
    expect(r.afterSet[0]?.partitions.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '2', metadata: null },
      { partition: 1, offset: '-1', metadata: null },
      { partition: 2, offset: '-1', metadata: null },
    ])
    expect(r.read).toHaveLength(9)
    expect(r.groups.groups).toContainEqual({ groupId: expect.stringMatching(/admin-group$/), protocolType: 'consumer' })
    expect(r.described.groups[0]).toMatchObject({ state: 'Stable', members: [expect.objectContaining({ clientId: 'my-app' })] })
    expect(r.setWhileRunning).toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: expect.stringContaining('must have no running instances'),
    })
    expect(r.committed[0]?.partitions.map((p) => p.offset)).toEqual(['3', '3', '3'])
    // As Kafka's DeleteRecords: the log start moves to exactly '2', whatever the segments.
    expect(r.afterDelete.find((o) => o.partition === 0)).toEqual({ partition: 0, offset: '3', high: '3', low: '2' })
    expect(r.deletedGroups).toEqual([{ groupId: expect.stringMatching(/admin-group$/), errorCode: 0 }])
    expect(r.cluster).toMatchObject({ clusterId: expect.any(String), brokers: [expect.objectContaining({ host: expect.any(String) })] })
    expect(r.topicsAfter).not.toContain(topic)
  })

  test('instrumentation events carry KafkaJS names and payloads, and on() returns a remover', async () => {
    const r = await instrumentationProgram(lib, backend.connection, ns('events'))
    const types = new Set(r.events.map((e) => e.type))
    for (const type of [
      'admin.connect',
      'producer.connect',
      'consumer.connect',
      'consumer.group_join',
      'consumer.fetch_start',
      'consumer.fetch',
      'consumer.start_batch_process',
      'consumer.end_batch_process',
      'consumer.commit_offsets',
      'consumer.heartbeat',
      'consumer.stop',
      'consumer.disconnect',
      'producer.disconnect',
      'admin.disconnect',
    ])
      expect(types).toContain(type)
    const first = (type: string) => r.events.find((e) => e.type === type)
    for (const e of r.events) expect(e).toMatchObject({ id: expect.any(Number), timestamp: expect.any(Number) })
    expect(first('consumer.group_join')?.payload).toMatchObject({
      groupId: expect.any(String),
      memberId: expect.any(String),
      leaderId: expect.any(String),
      isLeader: true,
      groupProtocol: 'RoundRobinAssigner',
      duration: expect.any(Number),
    })
    expect(Object.values(first('consumer.group_join')?.payload?.memberAssignment as object)).toEqual([[0]])
    expect(first('consumer.fetch_start')?.payload).toEqual({ nodeId: expect.any(Number) })
    expect(first('consumer.fetch')?.payload).toEqual({
      numberOfBatches: expect.any(Number),
      duration: expect.any(Number),
      nodeId: expect.any(Number),
    })
    expect(first('consumer.start_batch_process')?.payload).toEqual({
      topic: expect.stringMatching(/instrumented$/),
      partition: 0,
      highWatermark: '3',
      offsetLag: '0',
      offsetLagLow: '2',
      batchSize: 3,
      firstOffset: '0',
      lastOffset: '2',
    })
    expect(first('consumer.end_batch_process')?.payload).toMatchObject({ batchSize: 3, lastOffset: '2', duration: expect.any(Number) })
    expect(first('consumer.commit_offsets')?.payload).toEqual({
      groupId: expect.any(String),
      memberId: expect.any(String),
      groupGenerationId: expect.any(Number),
      topics: [{ topic: expect.stringMatching(/instrumented$/), partitions: [{ partition: 0, offset: '3' }] }],
    })
    expect(first('consumer.heartbeat')?.payload).toEqual({
      groupId: expect.any(String),
      memberId: expect.any(String),
      groupGenerationId: expect.any(Number),
    })
    expect(r.heartbeatsAtEnd).toBe(r.heartbeatsAfterRemoval)
    expect(r.unknownEvent).toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: expect.stringContaining('consumer.events.HEARTBEAT'),
    })
  })

  test('a logCreator is called once with the level and receives KafkaJS-shaped entries', async () => {
    const r = await loggingProgram(lib, backend.connection, ns('logging'))
    expect(r.levels).toEqual([lib.logLevel.INFO])
    const find = (message: string) => r.lines.find((l) => l.message === message)
    expect(find('Consumer has joined the group')).toMatchObject({
      namespace: 'Runner',
      level: lib.logLevel.INFO,
      label: 'INFO',
      extra: { groupId: expect.any(String), memberId: expect.any(String), isLeader: true },
    })
    expect(find('Starting')).toMatchObject({ namespace: 'Consumer', label: 'INFO' })
    expect(find('Stopped')).toMatchObject({ namespace: 'Consumer', label: 'INFO' })
    expect(find('application line')).toMatchObject({ namespace: undefined, label: 'INFO', extra: { answer: 42 } })
    expect(find('namespaced line')).toMatchObject({ namespace: 'App', label: 'WARN', level: lib.logLevel.WARN })
    expect(find('dropped at INFO')).toBeUndefined()
    for (const l of r.lines) expect(l.extra).toMatchObject({ timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), logger: 'kafkajs' })
  })
})
