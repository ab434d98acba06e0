import { TributaryError, encodeRecordBatch } from '@tributary/core'
import { Tributary } from '@tributary/client'
import { MemoryCluster } from '@tributary/cluster/testing'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'

jest.setTimeout(30_000)

const batch = (value: string): Buffer =>
  encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from(value), timestamp: 1, headers: [] }] as never)

describe('ClusterNode on the in-memory transport', () => {
  let cluster: MemoryCluster
  afterEach(async () => cluster?.close())

  test('a topic created on one node is known to all, with leaders spread over the nodes', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    const [res] = await cluster.node(2).createTopics([{ topic: 'orders', numPartitions: 3, replicationFactor: 3 }])
    expect(res).toEqual({ topic: 'orders', created: true })
    // Preferred leaders are spread by placement; a racy first election is undone by the preferred-leader rebalance.
    await eventually(async () => {
      const leaders = await Promise.all([0, 1, 2].map((p) => cluster.leaderOf('orders', p)))
      return new Set(leaders).size === 3 ? true : undefined
    })
    for (const id of [1, 2, 3]) {
      const meta = await cluster.node(id).metadata({ topics: ['orders'] })
      expect(meta.topics[0]?.partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3])
    }
  })

  test('acks=all offsets are contiguous from 0 and every node serves the same committed data', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster.node(1).createTopics([{ topic: 't', numPartitions: 1, replicationFactor: 3 }])
    const offsets: number[] = []
    for (let i = 0; i < 20; i++) {
      // Through every node in turn: two of them forward to the leader.
      const [r] = await cluster
        .node((i % 3) + 1)
        .produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 't', partition: 0, batch: batch(`v${i}`) }] })
      expect(r?.error).toBeUndefined()
      offsets.push(r?.baseOffset ?? -1)
    }
    expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => i))
    for (const id of [1, 2, 3]) {
      const values = await eventually(async () => {
        const read = await readAll(cluster.node(id), 't')
        return read.length === 20 ? read : undefined
      })
      expect(values.map((r) => [r.offset, r.value])).toEqual(Array.from({ length: 20 }, (_, i) => [i, `v${i}`]))
    }
  })

  test('the leader crashes under an idempotent acks=all producer: nothing acknowledged is lost or duplicated, order per key kept', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster
      .node(1)
      .createTopics([
        { topic: 'orders', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      ])
    // The producer's node must survive; we crash the leader of a partition led elsewhere.
    const victim = await cluster.leaderOf('orders', 0)
    const clientNode = [1, 2, 3].find((id) => id !== victim) as number
    const readerNode = [1, 2, 3].find((id) => id !== victim && id !== clientNode) as number
    const tb = await Tributary.open({ broker: cluster.node(clientNode) })
    const producer = tb.producer({
      acks: 'all',
      idempotent: true,
      lingerMs: 1,
      retry: { retries: 20, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
    })
    const acked: string[] = []
    const send = async (from: number, to: number): Promise<void> => {
      const sends = []
      for (let i = from; i < to; i++) {
        const key = `k${i % 7}`
        sends.push(producer.send({ topic: 'orders', messages: [{ key, value: `${key}:${i}` }] }).then(() => void acked.push(`${key}:${i}`)))
      }
      await Promise.all(sends)
    }
    await send(0, 300)
    const during = send(300, 600)
    await cluster.crash(victim)
    await during
    await send(600, 900)
    expect(acked).toHaveLength(900)
    // A follower learns the commit index with the next heartbeat: read until it caught up (or time out and compare).
    let values: string[] = []
    await eventually(async () => {
      values = (await readAll(cluster.node(readerNode), 'orders')).map((r) => r.value as string)
      return values.length >= acked.length ? true : undefined
    }).catch(() => undefined)
    expect(new Set(values).size).toBe(values.length) // no duplicates
    expect([...values].sort()).toEqual([...acked].sort()) // nothing lost
    // Per key, values appear in send order (one key always maps to one partition).
    const lastByKey = new Map<string, number>()
    for (const v of values) {
      const [key, n] = v.split(':') as [string, string]
      expect(Number(n)).toBeGreaterThan(lastByKey.get(key) ?? -1)
      lastByKey.set(key, Number(n))
    }
    await tb.close()
  })

  test('a consumer group on another node reads everything; committed offsets survive the metadata leader', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster.node(1).createTopics([{ topic: 'g', numPartitions: 2, replicationFactor: 3 }])
    const tb1 = await Tributary.open({ broker: cluster.node(1) })
    await tb1
      .producer({ acks: 'all' })
      .send({ topic: 'g', messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
    const consumerNode = cluster.node(1).status().metaLeader === 2 ? 3 : 2
    const tb2 = await Tributary.open({ broker: cluster.node(consumerNode) })
    const consumer = tb2.consumer({ groupId: 'billing', sessionTimeoutMs: 2000, heartbeatIntervalMs: 50, maxWaitMs: 100 })
    await consumer.subscribe({ topics: ['g'], fromBeginning: true })
    const seen: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
    await waitUntil(() => seen.length >= 50, 10_000)
    await consumer.disconnect()
    expect(new Set(seen).size).toBe(50)
    const offsets = await cluster.node(1).fetchOffsets('billing')
    expect(offsets.reduce((n, o) => n + o.offset, 0)).toBe(50)
    await tb1.close()
    await tb2.close()
  })

  test('min.insync.replicas=2 with two of three nodes down: NOT_ENOUGH_REPLICAS and nothing written; back up: writes succeed', async () => {
    cluster = await MemoryCluster.start(3, { replicaLagTimeMaxMs: 300 })
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster
      .node(1)
      .createTopics([{ topic: 'm', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }])
    // The two nodes that do not lead `m` go down, so the survivor is the partition's leader (a
    // partition that lost its leader answers LEADER_NOT_AVAILABLE instead, whatever its ISR).
    const leader = await cluster.leaderOf('m', 0)
    const [down1, down2] = [1, 2, 3].filter((id) => id !== leader) as [number, number]
    const [first] = await cluster
      .node(leader)
      .produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 'm', partition: 0, batch: batch('before') }] })
    expect(first?.error).toBeUndefined()
    await cluster.crash(down1)
    await cluster.crash(down2)
    await new Promise((r) => setTimeout(r, 400)) // longer than replica.lag.time.max.ms
    const [r] = await cluster
      .node(leader)
      .produce({ acks: -1, timeoutMs: 2000, partitions: [{ topic: 'm', partition: 0, batch: batch('lost?') }] })
    expect(r?.error).toBeInstanceOf(TributaryError)
    expect(r?.error?.code).toBe('NOT_ENOUGH_REPLICAS')
    expect(r?.error?.retriable).toBe(true)
    await cluster.restart(down1)
    await cluster.restart(down2)
    const ok = await eventually(async () => {
      const [res] = await cluster
        .node(leader)
        .produce({ acks: -1, timeoutMs: 2000, partitions: [{ topic: 'm', partition: 0, batch: batch('after') }] })
      return res?.error === undefined ? res : undefined
    }, 10_000)
    expect(ok.baseOffset).toBe(1)
    const values = await eventually(async () => {
      const read = (await readAll(cluster.node(leader), 'm')).map((x) => x.value)
      return read.length >= 2 ? read : undefined
    })
    expect(values).toEqual(['before', 'after'])
  })
})
