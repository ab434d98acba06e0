import { encodeRecordBatch } from '@tributary/core'
import { Tributary } from '@tributary/client'
import { ClusterNode } from '@tributary/cluster'
import { startTcpCluster } from '@tributary/cluster/testing'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'

jest.setTimeout(30_000)

test('three nodes on localhost TCP: a produce forwarded over the peer channel is read back from a third node', async () => {
  const { nodes } = await startTcpCluster(3)
  try {
    await eventually(async () =>
      (await nodes[1]!.createTopics([{ topic: 'tcp', numPartitions: 1, replicationFactor: 3 }]))[0]?.error ? undefined : true,
    )
    const leader = await waitUntil(() => nodes.find((n) => n.status().leaderOf.includes('tcp/0'))?.nodeId)
    const via = nodes.find((n) => n.nodeId !== leader) as ClusterNode
    const batch = encodeRecordBatch([{ key: null, value: Buffer.from('over tcp'), timestamp: 1, headers: [] }] as never)
    const [r] = await via.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 'tcp', partition: 0, batch }] })
    expect(r?.error).toBeUndefined()
    expect(r?.baseOffset).toBe(0)
    const reader = nodes.find((n) => n.nodeId !== leader && n !== via) as ClusterNode
    const read = await eventually(async () => {
      const all = await readAll(reader, 'tcp')
      return all.length > 0 ? all : undefined
    })
    expect(read.map((x) => x.value)).toEqual(['over tcp'])
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})

test('Tributary.connect over TCP: admin creates a topic, acks=all producer, a consumer group reads every message back', async () => {
  const { nodes, addresses } = await startTcpCluster(3, { groupCoordinator: { minSessionTimeoutMs: 50, initialRebalanceDelayMs: 0 } })
  // The remote client is told about the nodes in a different order, to show any node will do.
  const tb = await Tributary.connect({
    brokers: [addresses[2] as string, addresses[0] as string, addresses[1] as string],
    clientId: 'remote-test',
  })
  try {
    const admin = tb.admin()
    await eventually(async () =>
      (await admin.createTopics({ topics: [{ topic: 'remote', numPartitions: 3, replicationFactor: 3 }] }).catch(() => undefined)) ===
      undefined
        ? undefined
        : true,
    )
    const producer = tb.producer({ acks: 'all', idempotent: true, lingerMs: 1 })
    const sent = Array.from({ length: 60 }, (_, i) => `m${i}`)
    await producer.send({ topic: 'remote', messages: sent.map((value, i) => ({ key: `k${i % 7}`, value })) })
    const consumer = tb.consumer({ groupId: 'remote-group', sessionTimeoutMs: 3000, heartbeatIntervalMs: 100, maxWaitMs: 100 })
    await consumer.subscribe({ topics: ['remote'], fromBeginning: true })
    const seen: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
    await waitUntil(() => seen.length >= sent.length, 15_000)
    expect([...seen].sort()).toEqual([...sent].sort())
    await consumer.disconnect()
    const offsets = await admin.fetchOffsets({ groupId: 'remote-group', topics: ['remote'] })
    expect(offsets[0]?.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(sent.length)
  } finally {
    await tb.close()
    await Promise.all(nodes.map((n) => n.close()))
  }
})

test('a fourth node joins over TCP (port 0), a partition moves to it, and it serves the data', async () => {
  const { nodes, addresses } = await startTcpCluster(3)
  const peers = Object.fromEntries(addresses.map((a, i) => [i + 1, a]))
  let n4: ClusterNode | undefined
  try {
    await eventually(async () =>
      (await nodes[0]!.createTopics([{ topic: 'moving', numPartitions: 1, replicationFactor: 2 }]))[0]?.error ? undefined : true,
    )
    const batch = encodeRecordBatch([{ key: null, value: Buffer.from('before the move'), timestamp: 1, headers: [] }] as never)
    // Raw produce calls get retriable errors (NOT_LEADER_OR_FOLLOWER while leaders settle) that a producer would retry.
    const produce = (via: ClusterNode) =>
      eventually(async () => {
        const [r] = await via.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 'moving', partition: 0, batch }] })
        if (r?.error && !r.error.retriable) throw r.error
        return r?.error ? undefined : r
      })
    expect((await produce(nodes[0]!)).baseOffset).toBe(0)
    // Port 0: the node registers the port it really got, and the others dial that one.
    n4 = await ClusterNode.start({ nodeId: 4, listen: '127.0.0.1:0', peers, join: true, tickMs: 20 })
    const brokers = await eventually(async () => {
      const m = await nodes[1]!.metadata()
      const b = m.brokers.find((x) => x.nodeId === 4)
      return b !== undefined && b.port !== 0 ? m.brokers : undefined
    })
    expect(brokers.find((b) => b.nodeId === 4)?.port).toBe(Number(n4.address.split(':')[1]))
    // Through a remote client's admin, as an operator's script would.
    const tb = await Tributary.connect({ brokers: [addresses[2] as string] })
    try {
      const admin = tb.admin()
      const bad = await admin
        .alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [4, 4] }] }] })
        .catch((e: unknown) => e)
      expect((bad as { code?: string }).code).toBe('INVALID_REPLICA_ASSIGNMENT')
      await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [4] }] }] })
      await eventually(async () => ((await admin.listPartitionReassignments()).topics.length === 0 ? true : undefined), 15_000)
    } finally {
      await tb.close()
    }
    const onFour = await eventually(async () => {
      const all = await readAll(n4!, 'moving')
      return all.length > 0 ? all : undefined
    })
    expect(onFour.map((x) => x.value)).toEqual(['before the move'])
    // Writes through any node now land on node 4, the partition's only replica.
    expect((await produce(nodes[1]!)).baseOffset).toBe(1)
    expect(n4.status().leaderOf).toEqual(['moving/0'])
  } finally {
    await n4?.close()
    await Promise.all(nodes.map((n) => n.close()))
  }
})
