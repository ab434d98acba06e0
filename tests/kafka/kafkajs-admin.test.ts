import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs'
import { type Served, serve } from './kit'

/*
 * KafkaJS 2.2.4's admin client against KafkaServer: configs (describe with sources, alter,
 * refused names), partitions, records, topics by timestamp, groups, the cluster.
 */

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let s: Served
let kafka: Kafka
beforeEach(async () => {
  s = await serve({ storage: 'memory' })
  kafka = new Kafka({
    clientId: 'admin-test',
    brokers: [s.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
  })
})
afterEach(() => s.close())

test('describeConfigs lists every topic config with its source; alterConfigs replaces the overrides', async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'cfg', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })
  const describe = async () => {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg' }],
      includeSynonyms: false,
    })
    return Object.fromEntries((resources[0]?.configEntries ?? []).map((e) => [e.configName, [e.configValue, e.isDefault, e.configSource]]))
  }
  const before = await describe()
  expect(before['retention.ms']).toEqual(['3600000', false, 1])
  expect(before['cleanup.policy']).toEqual(['delete', true, 5])
  expect(Object.keys(before)).toHaveLength(11)
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  })
  const after = await describe()
  // AlterConfigs (not incremental) replaces the whole set: retention.ms is back to its default.
  expect(after['cleanup.policy']).toEqual(['compact', false, 1])
  expect(after['retention.ms']).toEqual(['604800000', true, 5])
  await expect(
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'no.such.config', value: '1' }] }],
    }),
  ).rejects.toMatchObject({ type: 'INVALID_CONFIG' })
  const broker = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }], includeSynonyms: false })
  expect(broker.resources[0]?.configEntries.find((e) => e.configName === 'socket.request.max.bytes')?.configValue).toBe('104857600')
  await admin.disconnect()
})

test('createPartitions, deleteTopicRecords, offsets by timestamp, deleteTopics and describeCluster', async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] })
  await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] })
  await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] })).rejects.toMatchObject({
    type: 'INVALID_PARTITIONS',
  })
  const meta = await admin.fetchTopicMetadata({ topics: ['grow'] })
  expect(meta.topics[0]?.partitions).toHaveLength(3)

  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic: 'grow',
    messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `m${i}`, timestamp: String(1_000_000 + i * 1000) })),
  })
  await producer.disconnect()
  // Partition 0's first record at or after the time is offset 5; the empty partitions have none
  // (-1 on the wire), which KafkaJS reports as their end offset.
  expect(await admin.fetchTopicOffsetsByTimestamp('grow', 1_004_500)).toEqual([
    { partition: 0, offset: '5' },
    { partition: 1, offset: '0' },
    { partition: 2, offset: '0' },
  ])
  await admin.deleteTopicRecords({ topic: 'grow', partitions: [{ partition: 0, offset: '4' }] })
  const offsets = await admin.fetchTopicOffsets('grow')
  const p0 = offsets.find((o) => o.partition === 0)
  expect(p0?.high).toBe('10')
  // As Kafka: the low watermark is exactly the asked offset, inside the batch of offsets 0–9.
  expect(p0?.low).toBe('4')

  const cluster = await admin.describeCluster()
  expect(cluster.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: s.server.address.port }])
  expect(cluster.controller).toBe(0)
  expect(cluster.clusterId).toEqual(expect.any(String))

  await admin.deleteTopics({ topics: ['grow'] })
  expect(await admin.listTopics()).toEqual([])
  await admin.disconnect()
})

test('deleteGroups removes an empty group and refuses an unknown one', async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'g', numPartitions: 1 }] })
  await admin.setOffsets({ groupId: 'offline', topic: 'g', partitions: [{ partition: 0, offset: '0' }] })
  // (Only this test's group is asserted: the server listens on an ephemeral port that a client of
  // another test's closed server may reach while it retries.)
  expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('offline')
  await admin.deleteGroups(['offline'])
  expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('offline')
  await expect(admin.deleteGroups(['never-was'])).rejects.toMatchObject({ name: 'KafkaJSDeleteGroupsError' })
  await admin.disconnect()
})
