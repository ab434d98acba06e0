import { encodeRecordBatch, type FetchRequest, type ProduceRequest } from '@tributary/core'
import type { ClusterNode } from '@tributary/cluster'
import { Tributary } from '@tributary/client'
import { startTcpCluster } from '@tributary/cluster/testing'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'

/*
 * Tributary.connect against real ClusterNodes on localhost TCP: requests go to partition leaders,
 * leaders are relearnt after a change, and a producer rides through a node's failure. Where a
 * request landed is observed on the server side (a spy on each node's Broker method, which the
 * node's BrokerServer calls for client requests only; forwarded requests take another path).
 */

jest.setTimeout(60_000)

const GROUPS = { groupCoordinator: { minSessionTimeoutMs: 50, initialRebalanceDelayMs: 0 } }
const batchOf = (value: string): Buffer => encodeRecordBatch([{ key: null, value: Buffer.from(value), timestamp: 1, headers: [] }] as never)

/** leaderOf is the live node that leads a partition now, if any. */
const leaderOf = (nodes: readonly ClusterNode[], topic: string, partition: number): ClusterNode | undefined =>
  nodes.find((n) => n.status().leaderOf.includes(`${topic}/${partition}`))

/** createTopic creates a topic through the client, retrying while the cluster is still electing. */
async function createTopic(tb: Tributary, topic: string, numPartitions: number): Promise<void> {
  await eventually(
    async () =>
      (await tb
        .admin()
        .createTopics({ topics: [{ topic, numPartitions, replicationFactor: 3 }] })
        .catch(() => undefined)) === undefined
        ? undefined
        : true,
    15_000,
  )
}

/** settledLeaders waits until every partition is led by its preferred replica (after which leaders stay put) and returns them. */
async function settledLeaders(tb: Tributary, nodes: readonly ClusterNode[], topic: string): Promise<ClusterNode[]> {
  return eventually(async () => {
    const [meta] = (await tb.broker.metadata({ topics: [topic] })).topics
    const leaders = meta?.partitions.map((p) => leaderOf(nodes, topic, p.partition))
    const settled = meta?.partitions.every((p, i) => leaders?.[i]?.nodeId === p.replicas[0])
    return settled ? (leaders as ClusterNode[]) : undefined
  }, 15_000)
}

/** spyOn records, per node, the partitions of every client request of one Broker method it served. */
function spyOn(nodes: readonly ClusterNode[], method: 'produce' | 'fetch'): Map<number, number[][]> {
  const seen = new Map<number, number[][]>()
  for (const node of nodes) {
    seen.set(node.nodeId, [])
    const original = node[method].bind(node) as (r: ProduceRequest | FetchRequest) => Promise<never>
    jest.spyOn(node, method).mockImplementation(((request: ProduceRequest | FetchRequest) => {
      seen.get(node.nodeId)?.push(request.partitions.map((p) => p.partition))
      return original(request)
    }) as never)
  }
  return seen
}

describe('Tributary.connect against a TCP cluster', () => {
  test('produce and fetch go straight to each partition leader, and leaders are relearnt after a leader fails', async () => {
    const { nodes, addresses } = await startTcpCluster(3, GROUPS)
    // Only one bootstrap address: the client learns the other nodes from metadata.
    const tb = await Tributary.connect({ brokers: [addresses[0] as string], clientId: 'direct' })
    try {
      await createTopic(tb, 'direct', 3)
      const leaders = await settledLeaders(tb, nodes, 'direct')
      const produced = spyOn(nodes, 'produce')
      const fetched = spyOn(nodes, 'fetch')
      const ledBy = (node: ClusterNode): number[] => [0, 1, 2].filter((p) => leaders[p] === node)

      // One request for three partitions becomes one part per leader; answers keep request order.
      const results = await tb.broker.produce({
        acks: -1,
        timeoutMs: 5000,
        partitions: [2, 0, 1].map((partition) => ({ topic: 'direct', partition, batch: batchOf(`p${partition}`) })),
      })
      expect(results.map((r) => [r.partition, r.baseOffset, r.error])).toEqual([
        [2, 0, undefined],
        [0, 0, undefined],
        [1, 0, undefined],
      ])
      for (const node of nodes) expect(produced.get(node.nodeId)?.flat().sort()).toEqual(ledBy(node))

      const read = await tb.broker.fetch({
        partitions: [0, 1, 2].map((partition) => ({ topic: 'direct', partition, offset: 0, maxBytes: 1 << 20 })),
        maxWaitMs: 1000,
        maxBytes: 1 << 20,
      })
      expect(read.map((r) => [r.partition, r.error, r.highWatermark])).toEqual([
        [0, undefined, 1],
        [1, undefined, 1],
        [2, undefined, 1],
      ])
      for (const node of nodes) expect(fetched.get(node.nodeId)?.flat().sort()).toEqual(ledBy(node))

      // The producer's requests go to leaders too.
      const producer = tb.producer({ acks: 'all', idempotent: true, lingerMs: 1 })
      await producer.send({ topic: 'direct', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
      for (const node of nodes) for (const part of produced.get(node.nodeId) ?? []) for (const p of part) expect(ledBy(node)).toContain(p)

      // The leader of partition 0 fails. The producer retries through it without an error, and
      // once a new leader is elected the client learns it: partition 0's requests go straight there.
      const failed = leaders[0] as ClusterNode
      await failed.close()
      const live = nodes.filter((n) => n !== failed)
      await producer.send({ topic: 'direct', messages: [{ value: 'after the failure', partition: 0 }] })
      const successor = await waitUntil(() => leaderOf(live, 'direct', 0), 15_000)
      await eventually(async () => {
        for (const n of live) produced.set(n.nodeId, [])
        await producer.send({ topic: 'direct', messages: [{ value: 'to the new leader', partition: 0 }] })
        const landed = live.filter((n) => produced.get(n.nodeId)?.some((part) => part.includes(0)))
        return landed.length === 1 && landed[0] === successor ? true : undefined
      }, 15_000)
    } finally {
      await tb.close()
      await Promise.all(nodes.map((n) => n.close()))
    }
  })

  test('an idempotent acks=all producer rides through the failure of the node it talks to, which also leads a partition: no error, and every acknowledged message is consumed exactly once', async () => {
    const { nodes, addresses } = await startTcpCluster(3, GROUPS)
    const victim = await waitUntil(() => nodes.find((n) => n.nodeId === n.status().metaLeader))
    const victimAddress = addresses[victim.nodeId - 1] as string
    // The victim is first in the bootstrap list: metadata, producer ids and group calls go to it.
    const brokers = [victimAddress, ...addresses.filter((a) => a !== victimAddress)]
    const tb = await Tributary.connect({ brokers, clientId: 'failover' })
    let reader: Tributary | undefined
    try {
      await createTopic(tb, 'failover', 3)
      await settledLeaders(tb, nodes, 'failover')
      await waitUntil(() => victim.status().leaderOf.some((p) => p.startsWith('failover/')), 15_000)

      const producer = tb.producer({ acks: 'all', idempotent: true, lingerMs: 1 })
      const acked: string[] = []
      const errors: unknown[] = []
      let running = true
      let next = 0
      // Four senders, each sending one message at a time, keys spread over every partition.
      const sender = async (): Promise<void> => {
        while (running) {
          const value = `m${next++}`
          try {
            await producer.send({ topic: 'failover', messages: [{ key: `k${value}`, value }] })
            acked.push(value)
          } catch (error) {
            errors.push(error)
          }
        }
      }
      const senders = [sender(), sender(), sender(), sender()]
      await waitUntil(() => acked.length >= 100 || errors.length > 0, 15_000)
      await victim.close()
      const atFailure = acked.length
      await waitUntil(() => acked.length >= atFailure + 200 || errors.length > 0, 30_000)
      running = false
      await Promise.all(senders)
      expect(errors).toEqual([])

      // The log holds every acknowledged message once, and nothing else.
      const live = nodes.find((n) => n !== victim) as ClusterNode
      const logged = await eventually(async () => {
        const all = await readAll(live, 'failover').catch(() => [])
        return all.length >= acked.length ? all.map((r) => r.value as string) : undefined
      }, 15_000)
      expect([...logged].sort()).toEqual([...acked].sort())

      // A consumer of a fresh client (the dead node still first in its list) reads each once.
      reader = await Tributary.connect({ brokers, clientId: 'failover-reader' })
      const consumer = reader.consumer({ groupId: 'failover-check', sessionTimeoutMs: 3000, heartbeatIntervalMs: 100, maxWaitMs: 100 })
      await consumer.subscribe({ topics: ['failover'], fromBeginning: true })
      const seen: string[] = []
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
      await waitUntil(() => seen.length >= acked.length, 30_000)
      await consumer.disconnect()
      expect([...seen].sort()).toEqual([...acked].sort())
    } finally {
      await reader?.close()
      await tb.close()
      await Promise.all(nodes.map((n) => n.close()))
    }
  })
})
