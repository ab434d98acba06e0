import { ConfigResourceTypes, type Tributary } from '@tributary/client'
import { type Cluster, FAST_GROUP, startCluster, uniqueName, waitFor } from './kit'

/*
 * Tributary's admin, unchanged, over the Kafka protocol: topics (CreateTopics, DeleteTopics,
 * CreatePartitions at the controller), configs (DescribeConfigs, IncrementalAlterConfigs),
 * offsets (ListOffsets, DeleteRecords at the leaders) and groups (at their coordinators).
 */

let cluster: Cluster
let tb: Tributary
beforeAll(async () => {
  cluster = await startCluster()
  tb = await cluster.connect()
})
afterAll(() => cluster.close())

test('topics are created (false when they exist), listed, described, grown and deleted', async () => {
  const admin = tb.admin()
  const topic = uniqueName('admin-topic')
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(true)
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false)
  expect(await admin.listTopics()).toContain(topic)
  const meta = await admin.fetchTopicMetadata({ topics: [topic] })
  expect(meta.topics[0]?.partitions.map((p) => p.partitionId)).toEqual([0, 1])
  expect(meta.topics[0]?.partitions.every((p) => p.leader >= 0)).toBe(true)

  await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] })
  expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions).toHaveLength(4)
  await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' })

  await admin.deleteTopics({ topics: [topic] })
  expect(await admin.listTopics()).not.toContain(topic)
  await expect(admin.deleteTopics({ topics: [topic] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
  await expect(admin.fetchTopicMetadata({ topics: [topic] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
})

test('invalid topics are refused with the codes the embedded broker uses', async () => {
  const admin = tb.admin()
  await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' })
  await expect(admin.createTopics({ topics: [{ topic: uniqueName('zero'), numPartitions: 0 }] })).rejects.toMatchObject({
    code: 'INVALID_PARTITIONS',
  })
  await expect(
    admin.createTopics({ topics: [{ topic: uniqueName('cfg'), configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
  ).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
})

test('configs are described with their defaults, set, and reset', async () => {
  const admin = tb.admin()
  const topic = uniqueName('configs')
  await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })
  const read = async (): Promise<Map<string, { value: string; isDefault: boolean }>> => {
    const { resources } = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] })
    return new Map(resources[0]?.configEntries.map((e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }]))
  }
  const before = await read()
  expect(before.get('retention.ms')).toEqual({ value: '3600000', isDefault: false })
  expect(before.get('cleanup.policy')).toMatchObject({ value: 'delete', isDefault: true })

  await admin.alterConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  })
  const set = await read()
  expect(set.get('cleanup.policy')).toEqual({ value: 'compact', isDefault: false })
  expect(set.get('retention.ms')).toEqual({ value: '3600000', isDefault: false })

  await admin.alterConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: null }] }],
  })
  expect((await read()).get('retention.ms')?.isDefault).toBe(true)
  await expect(
    admin.alterConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'segment.bytes', value: '-5' }] }],
    }),
  ).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
})

test("offsets: log ends, offsets by time, deleted records, and a group's committed offsets set and reset", async () => {
  const admin = tb.admin()
  const topic = uniqueName('offsets')
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
  const producer = tb.producer()
  const t0 = Date.now() - 10_000
  for (let i = 0; i < 10; i++) await producer.send({ topic, messages: [{ value: `m${i}`, timestamp: t0 + i * 1000 }] })

  expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: 10, high: 10, low: 0 }])
  expect(await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 4500)).toEqual([{ partition: 0, offset: 5 }])
  expect(await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 60_000)).toEqual([{ partition: 0, offset: 10 }])

  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: 3 }] })
  expect((await admin.fetchTopicOffsets(topic))[0]).toMatchObject({ low: 3, high: 10 })

  const groupId = uniqueName('offsets-group')
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: 7 }] })
  expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]).toMatchObject({ offset: 7, lag: 3 })
  await admin.resetOffsets({ groupId, topic, earliest: true })
  expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]).toMatchObject({ offset: 3, lag: 7 })
  expect((await admin.fetchOffsets({ groupId }))[0]?.topic).toBe(topic)
})

test('groups are listed, described and deleted; a group with members cannot be deleted', async () => {
  const admin = tb.admin()
  const topic = uniqueName('groups')
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
  const groupId = uniqueName('listed')
  const consumer = tb.consumer({ groupId, ...FAST_GROUP })
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({ eachMessage: async () => undefined })
  await waitFor(() => consumer.assignment().length === 1, 'the member assigned')

  const listed = (await admin.listGroups()).groups.find((g) => g.groupId === groupId)
  expect(listed).toEqual({ groupId, protocolType: 'consumer', state: 'Stable' })
  const [described] = (await admin.describeGroups([groupId])).groups
  expect(described).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer' })
  expect(described?.members[0]?.assignment?.assignment).toEqual({ [topic]: [0] })
  await expect(admin.deleteGroups([groupId])).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' })

  await consumer.stop()
  await waitFor(async () => (await admin.describeGroups([groupId])).groups[0]?.state === 'Empty', 'the group empty')
  expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }])
  expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId)
  expect((await admin.describeGroups([uniqueName('never')])).groups[0]?.state).toBe('Dead')
})

test('describeCluster names the cluster, its brokers and the controller', async () => {
  const described = await tb.admin().describeCluster()
  expect(described.brokers.length).toBeGreaterThan(0)
  expect(described.brokers.map((b) => b.nodeId)).toContain(described.controller)
  expect(described.clusterId).not.toBe('')
})
