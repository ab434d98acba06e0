import { isTributaryError } from '@tributary/core'
import { Tributary } from '@tributary/client'
import { ClusterNode } from '@tributary/cluster'
import { MemoryCluster } from '@tributary/cluster/testing'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'

jest.setTimeout(60_000)

/** joinNode starts node `id` on the cluster's in-memory networks as a new node joining through nodes 1-3. */
async function joinNode(cluster: MemoryCluster, id: number): Promise<ClusterNode> {
  return ClusterNode.start({
    nodeId: id,
    listen: `127.0.0.1:${9000 + id}`,
    peers: { 1: '127.0.0.1:9001', 2: '127.0.0.1:9002', 3: '127.0.0.1:9003' },
    join: true,
    transport: cluster.network.transport(id),
    peerChannel: cluster.peerNetwork.channel(id),
    tickMs: 10,
    groupCoordinator: { minSessionTimeoutMs: 50, initialRebalanceDelayMs: 0 },
  })
}

async function moveDone(node: ClusterNode): Promise<true> {
  return eventually(async () => ((await node.listPartitionReassignments()).length === 0 ? true : undefined), 20_000)
}

describe('adding a node, moving replicas to it and removing a node', () => {
  let cluster: MemoryCluster
  const extra: ClusterNode[] = []
  afterEach(async () => {
    for (const n of extra.splice(0)) await n.close()
    await cluster?.close()
  })

  test('a joined node gets the metadata; a partition moves to it under an acks=all producer with nothing lost or duplicated; the old replica drops its data', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster
      .node(1)
      .createTopics([
        { topic: 'orders', numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      ])
    const tb = await Tributary.open({ broker: cluster.node(2) })
    const producer = tb.producer({
      acks: 'all',
      idempotent: true,
      lingerMs: 1,
      retry: { retries: 30, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
    })
    const acked: string[] = []
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 10) {
        const messages = Array.from({ length: 10 }, (_, j) => ({ key: `k${(i + j) % 5}`, value: `v${i + j}` }))
        await producer.send({ topic: 'orders', messages })
        acked.push(...messages.map((m) => m.value))
      }
    }
    await send(0, 300)

    const n4 = await joinNode(cluster, 4)
    extra.push(n4)
    // Node 4 holds the metadata and every node lists it.
    const meta4 = await n4.metadata({ topics: ['orders'] })
    expect(meta4.topics[0]?.partitions).toHaveLength(2)
    for (const id of [1, 2, 3])
      await eventually(async () => ((await cluster.node(id).metadata()).brokers.some((b) => b.nodeId === 4) ? true : undefined))

    // Move partition 0 off node 1 onto node 4 while the producer keeps going.
    const during = send(300, 900)
    const [res] = await cluster.node(3).alterPartitionReassignments([{ topic: 'orders', partition: 0, replicas: [4, 2, 3] }])
    expect(res).toEqual({ topic: 'orders', partition: 0 })
    const listed = await cluster.node(3).listPartitionReassignments()
    if (listed.length > 0) expect(listed[0]).toMatchObject({ topic: 'orders', partition: 0, addingReplicas: [4], removingReplicas: [1] })
    await moveDone(cluster.node(3))
    await during
    await send(900, 1000)

    for (const id of [2, 3]) {
      const meta = await cluster.node(id).metadata({ topics: ['orders'] })
      expect(meta.topics[0]?.partitions[0]?.replicas).toEqual([4, 2, 3])
    }
    // Every acknowledged message exactly once, per-key order kept, on the new replica too.
    const expected = [...acked].sort()
    for (const node of [cluster.node(2), n4]) {
      const read = await eventually(async () => {
        const r = await readAll(node, 'orders')
        return r.length >= acked.length ? r : undefined
      }, 10_000)
      if (node === n4) continue // node 4 hosts partition 0 only: checked below
      expect(read.map((r) => r.value).sort()).toEqual(expected)
      const lastByKey = new Map<string, number>()
      for (const r of read) {
        const n = Number(r.value?.slice(1))
        expect(n).toBeGreaterThan(lastByKey.get(`${r.partition}/${r.key}`) ?? -1)
        lastByKey.set(`${r.partition}/${r.key}`, n)
      }
    }
    const p0 = (await readAll(cluster.node(2), 'orders')).filter((r) => r.partition === 0)
    const [onFour] = await n4.fetch({ partitions: [{ topic: 'orders', partition: 0, offset: 0, maxBytes: 1 << 24 }], maxWaitMs: 0 })
    expect(onFour?.error).toBeUndefined()
    expect(onFour?.highWatermark).toBe(p0.length)
    // Node 1 no longer hosts partition 0: the replica and its data are gone.
    await waitUntil(() => cluster.node(1).partitionLeader('orders', 0) === 0)
    await tb.close()
  })

  test('bad reassignments are refused with Kafka codes and change nothing; a cancelled move restores the replicas', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster.node(1).createTopics([{ topic: 't', numPartitions: 1, replicationFactor: 2 }])
    const before = (await cluster.node(1).metadata({ topics: ['t'] })).topics[0]?.partitions[0]?.replicas
    const results = await cluster.node(1).alterPartitionReassignments([
      { topic: 't', partition: 0, replicas: [1, 1] },
      { topic: 't', partition: 0, replicas: [9] },
      { topic: 't', partition: 5, replicas: [1] },
      { topic: 'nope', partition: 0, replicas: [1] },
      { topic: 't', partition: 0, replicas: null },
    ])
    expect(results.map((r) => r.error?.code)).toEqual([
      'INVALID_REPLICA_ASSIGNMENT',
      'INVALID_REPLICA_ASSIGNMENT',
      'UNKNOWN_TOPIC_OR_PARTITION',
      'UNKNOWN_TOPIC_OR_PARTITION',
      'NO_REASSIGNMENT_IN_PROGRESS',
    ])
    expect(await cluster.node(1).listPartitionReassignments()).toEqual([])

    // Start a move to the third node and cancel it at once: the partition ends where it began.
    const third = [1, 2, 3].find((id) => !before?.includes(id)) as number
    await cluster.node(2).alterPartitionReassignments([{ topic: 't', partition: 0, replicas: [third] }])
    await cluster.node(2).alterPartitionReassignments([{ topic: 't', partition: 0, replicas: null }])
    await moveDone(cluster.node(2))
    const after = (await cluster.node(3).metadata({ topics: ['t'] })).topics[0]?.partitions[0]?.replicas
    expect([...(after ?? [])].sort()).toEqual([...(before ?? [])].sort())
  })

  test('a node is removed after its replicas moved away; removing one that still hosts replicas is refused', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster.node(1).createTopics([{ topic: 't', numPartitions: 2, replicationFactor: 3 }])
    const n4 = await joinNode(cluster, 4)
    extra.push(n4)
    const refused = await cluster
      .node(2)
      .unregisterBroker(1)
      .catch((e: unknown) => e)
    expect(isTributaryError(refused, 'INVALID_REQUEST')).toBe(true)
    const unknown = await cluster
      .node(2)
      .unregisterBroker(42)
      .catch((e: unknown) => e)
    expect(isTributaryError(unknown, 'BROKER_NOT_AVAILABLE')).toBe(true)

    // Through the client's admin, as an application would.
    const admin = (await Tributary.open({ broker: cluster.node(2) })).admin()
    expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3, 4])
    await admin.alterPartitionReassignments({
      topics: [
        {
          topic: 't',
          partitionAssignment: [
            { partition: 0, replicas: [2, 3, 4] },
            { partition: 1, replicas: [3, 4, 2] },
          ],
        },
      ],
    })
    const bad = await admin
      .alterPartitionReassignments({ topics: [{ topic: 't', partitionAssignment: [{ partition: 0, replicas: [] }] }] })
      .catch((e: unknown) => e)
    expect(isTributaryError(bad, 'INVALID_REPLICA_ASSIGNMENT')).toBe(true)
    await moveDone(cluster.node(2))
    expect(await admin.listPartitionReassignments()).toEqual({ topics: [] })
    await admin.unregisterBroker(1)
    await cluster.crash(1)
    // The metadata group keeps three voters (node 4 took node 1's vote) and still works.
    const meta = await eventually(async () => {
      const m = await cluster.node(2).metadata()
      return m.brokers.some((b) => b.nodeId === 1) ? undefined : m
    })
    expect(meta.brokers.map((b) => b.nodeId).sort()).toEqual([2, 3, 4])
    const [created] = await n4.createTopics([{ topic: 'after', numPartitions: 1, replicationFactor: 3 }])
    expect(created?.created).toBe(true)
    const tb = await Tributary.open({ broker: n4 })
    const producer = tb.producer({ acks: 'all' })
    await producer.send({ topic: 't', messages: [{ key: 'a', value: '1' }] })
    await producer.send({ topic: 'after', messages: [{ key: 'a', value: '1' }] })
    await tb.close()
  })
})
