import { ConfigResourceTypes } from './admin'
import { FAST_GROUP, openMemory, readTopic, waitFor } from './testing/client-kit'
import type { Tributary } from './tributary'

describe('Admin', () => {
  let tb: Tributary
  beforeEach(async () => {
    tb = await openMemory()
  })
  afterEach(() => tb.close())

  test('createTopics returns true when created and false when the topic exists; listTopics and metadata agree', async () => {
    const admin = tb.admin()
    expect(
      await admin.createTopics({
        topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      }),
    ).toBe(true)
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })).toBe(false)
    expect(await admin.listTopics()).toEqual(['orders'])
    const meta = await admin.fetchTopicMetadata({ topics: ['orders'] })
    expect(meta.topics[0]?.partitions.map((p) => p.partitionId)).toEqual([0, 1, 2])
    await expect(admin.fetchTopicMetadata({ topics: ['missing'] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
    await expect(
      admin.createTopics({ topics: [{ topic: 'bad', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
    await expect(admin.createTopics({ topics: [{ topic: 'x y' }] })).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' })
  })

  test('describeCluster names the single node; replica moves need a replicated cluster', async () => {
    const admin = tb.admin()
    const cluster = await admin.describeCluster()
    expect(cluster.brokers).toHaveLength(1)
    expect(cluster.controller).toBe(cluster.brokers[0]?.nodeId)
    await admin.createTopics({ topics: [{ topic: 'orders' }] })
    await expect(
      admin.alterPartitionReassignments({ topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [2] }] }] }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' })
    await expect(admin.unregisterBroker(1)).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' })
    expect(await admin.listPartitionReassignments()).toEqual({ topics: [] })
  })

  test('describeConfigs and alterConfigs speak Kafka config names', async () => {
    const admin = tb.admin()
    await admin.createTopics({ topics: [{ topic: 'c', configEntries: [{ name: 'retention.ms', value: '1000' }] }] })
    const describe = async () =>
      (
        await admin.describeConfigs({
          resources: [{ type: ConfigResourceTypes.TOPIC, name: 'c', configNames: ['retention.ms', 'cleanup.policy'] }],
        })
      ).resources[0]?.configEntries
    expect(await describe()).toEqual([
      expect.objectContaining({ configName: 'retention.ms', configValue: '1000', isDefault: false }),
      expect.objectContaining({ configName: 'cleanup.policy', configValue: 'delete', isDefault: true }),
    ])
    await admin.alterConfigs({
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'c',
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: null },
          ],
        },
      ],
    })
    expect(await describe()).toEqual([
      expect.objectContaining({ configName: 'retention.ms', isDefault: true }),
      expect.objectContaining({ configName: 'cleanup.policy', configValue: 'compact', isDefault: false }),
    ])
  })

  test('createPartitions, fetchTopicOffsets, byTimestamp, deleteTopicRecords and deleteTopics', async () => {
    const admin = tb.admin()
    await admin.createTopics({ topics: [{ topic: 'o', numPartitions: 1 }] })
    await admin.createPartitions({ topicPartitions: [{ topic: 'o', count: 2 }] })
    const producer = tb.producer()
    await producer.send({ topic: 'o', messages: [1, 2, 3].map((i) => ({ value: `v${i}`, partition: 0, timestamp: i * 1000 })) })
    expect(await admin.fetchTopicOffsets('o')).toEqual([
      { partition: 0, offset: 3, high: 3, low: 0 },
      { partition: 1, offset: 0, high: 0, low: 0 },
    ])
    expect(await admin.fetchTopicOffsetsByTimestamp('o', 2000)).toEqual([
      { partition: 0, offset: 1 },
      { partition: 1, offset: 0 },
    ])
    // As Kafka: the log start moves to exactly the asked offset, inside the one batch; -1 is the high watermark.
    await admin.deleteTopicRecords({ topic: 'o', partitions: [{ partition: 0, offset: 1 }] })
    expect((await admin.fetchTopicOffsets('o'))[0]).toEqual({ partition: 0, offset: 3, high: 3, low: 1 })
    await admin.deleteTopicRecords({ topic: 'o', partitions: [{ partition: 0, offset: -1 }] })
    expect((await admin.fetchTopicOffsets('o'))[0]?.low).toBe(3)
    await admin.deleteTopics({ topics: ['o'] })
    expect(await admin.listTopics()).toEqual([])
    await expect(admin.deleteTopics({ topics: ['o'] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  test('groups: list, describe, fetchOffsets with lag, set/reset offsets only when empty, delete', async () => {
    const admin = tb.admin()
    await admin.createTopics({ topics: [{ topic: 'g', numPartitions: 2 }] })
    await tb.producer().send({ topic: 'g', messages: [0, 1, 2, 3].map((i) => ({ value: String(i), partition: i % 2 })) })
    const consumer = tb.consumer({ groupId: 'grp', ...FAST_GROUP })
    let seen = 0
    await consumer.subscribe({ topics: ['g'], fromBeginning: true })
    await consumer.run({ eachMessage: async () => void seen++ })
    await waitFor(() => seen === 4, 'four messages')
    expect((await admin.listGroups()).groups).toEqual([{ groupId: 'grp', protocolType: 'consumer', state: 'Stable' }])
    expect((await admin.describeGroups(['grp'])).groups[0]?.members).toHaveLength(1)
    await expect(admin.setOffsets({ groupId: 'grp', topic: 'g', partitions: [{ partition: 0, offset: 0 }] })).rejects.toMatchObject({
      code: 'NON_EMPTY_GROUP',
    })
    await consumer.stop()
    expect(await admin.fetchOffsets({ groupId: 'grp' })).toEqual([
      {
        topic: 'g',
        partitions: [
          { partition: 0, offset: 2, metadata: null, high: 2, lag: 0 },
          { partition: 1, offset: 2, metadata: null, high: 2, lag: 0 },
        ],
      },
    ])
    await admin.resetOffsets({ groupId: 'grp', topic: 'g', earliest: true })
    expect((await admin.fetchOffsets({ groupId: 'grp', topics: ['g'] }))[0]?.partitions.map((p) => p.lag)).toEqual([2, 2])
    await admin.setOffsets({ groupId: 'grp', topic: 'g', partitions: [{ partition: 1, offset: 1 }] })
    expect((await admin.fetchOffsets({ groupId: 'grp', topics: ['g'] }))[0]?.partitions.map((p) => p.offset)).toEqual([0, 1])
    expect(await admin.deleteGroups(['grp'])).toEqual([{ groupId: 'grp', errorCode: 0 }])
    expect((await admin.listGroups()).groups).toEqual([])
    expect((await readTopic(tb.broker, 'g')).length).toBe(4)
  })
})
