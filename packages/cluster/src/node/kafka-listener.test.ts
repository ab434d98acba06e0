import { encodeRecordBatch } from '@tributary/core'
import { eventually, waitUntil } from '@tributary/core/testing'
import { MetadataState } from '../metadata/metadata-state'
import { MemoryCluster } from '../testing/memory-cluster'

/*
 * What a KafkaServer over a cluster node relies on: each node's Kafka listener recorded in the
 * metadata (so any node lists every listener), the coordinator named on the metadata leader, and
 * `forward: false` answering NOT_LEADER_OR_FOLLOWER for partitions led elsewhere.
 */

jest.setTimeout(30_000)

let cluster: MemoryCluster
beforeEach(async () => {
  cluster = await MemoryCluster.start(3)
  await waitUntil(() => cluster.metaLeader() !== 0, 10_000)
})
afterEach(() => cluster.close())

test("every node's Kafka listener reaches every node's metadata; the coordinator is the metadata leader's", async () => {
  for (const id of [1, 2, 3]) await cluster.node(id).setKafkaAddress({ host: '127.0.0.1', port: 9090 + id })
  for (const id of [1, 2, 3]) {
    const node = cluster.node(id)
    const expected = JSON.stringify([1, 2, 3].map((n) => ({ nodeId: n, host: '127.0.0.1', port: 9090 + n })))
    const listed = async () =>
      JSON.stringify(
        node
          .kafkaTopology()
          .brokers(await node.metadata({ topics: [] }))
          .sort((a, b) => a.nodeId - b.nodeId),
      )
    await eventually(async () => ((await listed()) === expected ? true : undefined), 10_000)
    // The coordinator is the metadata leader's listener (read again if leadership moved in between).
    await eventually(async () => {
      const coordinator = await node.kafkaTopology().coordinator('any-group')
      return coordinator.nodeId === cluster.metaLeader() && coordinator.port === 9090 + coordinator.nodeId ? true : undefined
    }, 10_000)
  }
  await expect(cluster.node(1).setKafkaAddress({ host: '', port: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
})

test('produce and fetch with forward: false answer NOT_LEADER_OR_FOLLOWER for a partition led elsewhere; forwarded ones work', async () => {
  await cluster.node(1).createTopics([{ topic: 't', numPartitions: 1, replicationFactor: 3 }])
  // Not `leaderOf`: a racy first election's leader hands leadership back, and refuses meanwhile.
  const leader = await cluster.preferredLeaderOf('t', 0)
  const other = cluster.node([1, 2, 3].find((id) => id !== leader) as number)
  const batch = encodeRecordBatch([{ key: null, value: Buffer.from('x'), headers: [], timestamp: 1 }])
  const [refused] = await other.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 't', partition: 0, batch }], forward: false })
  expect(refused?.error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' })
  const [forwarded] = await other.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 't', partition: 0, batch }] })
  expect(forwarded?.error).toBeUndefined()
  const [notHere] = await other.fetch({
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1024 }],
    maxWaitMs: 0,
    forward: false,
  })
  expect(notHere?.error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER', details: { leaderId: leader } })
  const [read] = await cluster
    .node(leader)
    .fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1024 }], maxWaitMs: 0, forward: false })
  expect(read?.batches).toHaveLength(1)
})

test('a registration that names no Kafka listener keeps the one recorded for the same address', () => {
  const state = new MetadataState()
  const address = { host: '127.0.0.1', port: 7001 }
  state.apply({ op: 'registerBroker', nodeId: 1, address: { ...address, kafka: { host: '127.0.0.1', port: 9092 } } })
  state.apply({ op: 'registerBroker', nodeId: 1, address })
  expect(state.brokers.get(1)).toEqual({ ...address, kafka: { host: '127.0.0.1', port: 9092 } })
  state.apply({ op: 'registerBroker', nodeId: 1, address: { ...address, kafka: { host: '127.0.0.1', port: 9093 } } })
  expect(state.brokers.get(1)?.kafka?.port).toBe(9093)
  state.apply({ op: 'registerBroker', nodeId: 1, address: { host: '127.0.0.1', port: 7005 } })
  expect(state.brokers.get(1)).toEqual({ host: '127.0.0.1', port: 7005 })
})
