import { TributaryError, type FetchRequest, type ProducePartitionData, type ProduceRequest } from '@tributary/core'
import { encodeFrame, type WireHeader } from '@tributary/core/internal'
import { ManualClock } from '@tributary/core/testing'
import { RemoteBroker } from './remote-broker'
import { argOf, deadAddress, fakeMetadata, listen, methodsOf, stop, type FakeNode } from '../testing/remote-kit'

/*
 * Routing against fake nodes: each test's nodes answer metadata with a leader table the test
 * controls, so where every request lands is known exactly.
 */

const batch = Buffer.from('batch')
const data = (partition: number): ProducePartitionData => ({ topic: 't', partition, batch })
const produce = (...partitions: number[]): ProduceRequest => ({ acks: -1, timeoutMs: 1000, partitions: partitions.map(data) })

/** Cluster is a set of fake nodes sharing one leader table for topic 't'. */
interface Cluster {
  nodes: Record<number, FakeNode>
  leaders: number[]
}

/**
 * fakeCluster starts fake nodes 1..n. Each answers metadata from `leaders`, and produce with
 * `baseOffset = nodeId * 100 + partition` (so an answer shows which node gave it). `override`
 * may answer first ('silent': no answer); when it returns undefined the defaults answer.
 */
async function fakeCluster(
  n: number,
  leaders: number[],
  override?: (id: number, h: WireHeader) => WireHeader | 'drop' | 'silent' | undefined,
): Promise<Cluster> {
  const c: Cluster = { nodes: {}, leaders }
  for (let id = 1; id <= n; id++) {
    c.nodes[id] = await listen((h) => {
      const o = override?.(id, h)
      if (o === 'silent') return undefined
      if (o !== undefined) return o
      if (h.m === 'metadata') return { id: h.id, v: fakeMetadata(c.nodes, { t: c.leaders }) }
      if (h.m === 'produce') {
        const parts = argOf<ProduceRequest>(h).partitions
        return {
          id: h.id,
          v: parts.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            baseOffset: id * 100 + p.partition,
            logAppendTime: -1,
            logStartOffset: 0,
          })),
        }
      }
      return { id: h.id, e: new TributaryError('INVALID_REQUEST', `fake node has no ${h.m}`) }
    })
  }
  return c
}

const stopAll = (c: Cluster): Promise<unknown> => Promise.all(Object.values(c.nodes).map(stop))
const producedPartitions = (node: FakeNode): number[][] =>
  node.requests.filter((h) => h.m === 'produce').map((h) => argOf<ProduceRequest>(h).partitions.map((p) => p.partition))
const metadataCount = (c: Cluster): number =>
  Object.values(c.nodes).reduce((n, node) => n + methodsOf(node).filter((m) => m === 'metadata').length, 0)

describe('RemoteBroker routing', () => {
  test('a produce is split by partition leader, each part goes to its leader, and answers merge in request order', async () => {
    const c = await fakeCluster(2, [1, 2, 1])
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address] })
    try {
      const results = await broker.produce(produce(2, 1, 0))
      expect(results.map((r) => [r.partition, r.baseOffset])).toEqual([
        [2, 102],
        [1, 201],
        [0, 100],
      ])
      expect(producedPartitions(c.nodes[1]!)).toEqual([[2, 0]])
      expect(producedPartitions(c.nodes[2]!)).toEqual([[1]])
      // Metadata came from the bootstrap node, once.
      expect(methodsOf(c.nodes[1]!).filter((m) => m === 'metadata')).toHaveLength(1)
      expect(methodsOf(c.nodes[2]!)).toEqual(['produce'])
    } finally {
      await broker.close()
      await stopAll(c)
    }
  })

  test('listOffsets and deleteRecords are split by leader too', async () => {
    const c = await fakeCluster(2, [2, 1], (id, h) => {
      if (h.m === 'listOffsets')
        return { id: h.id, v: argOf<Array<{ topic: string; partition: number }>>(h).map((p) => ({ ...p, offset: id, timestamp: -1 })) }
      if (h.m === 'deleteRecords')
        return {
          id: h.id,
          v: argOf<Array<{ topic: string; partition: number }>>(h).map((p) => ({
            topic: p.topic,
            partition: p.partition,
            lowWatermark: id,
          })),
        }
      return undefined
    })
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address] })
    try {
      const offsets = await broker.listOffsets([0, 1].map((partition) => ({ topic: 't', partition, timestamp: -1 })))
      expect(offsets.map((r) => [r.partition, r.offset])).toEqual([
        [0, 2],
        [1, 1],
      ])
      const deleted = await broker.deleteRecords([1, 0].map((partition) => ({ topic: 't', partition, offset: 0 })))
      expect(deleted.map((r) => [r.partition, r.lowWatermark])).toEqual([
        [1, 1],
        [0, 2],
      ])
    } finally {
      await broker.close()
      await stopAll(c)
    }
  })

  test('a NOT_LEADER_OR_FOLLOWER answer refreshes the leaders, and the next produce goes to the new leader', async () => {
    const c = await fakeCluster(2, [1], (id, h) => {
      // Once node 1 has lost the leadership it says so (Kafka's answer) instead of appending.
      if (id === 1 && h.m === 'produce' && c.leaders[0] !== 1) {
        return {
          id: h.id,
          v: [
            {
              topic: 't',
              partition: 0,
              baseOffset: -1,
              logAppendTime: -1,
              logStartOffset: -1,
              error: new TributaryError('NOT_LEADER_OR_FOLLOWER', 'node 1 does not lead t-0'),
            },
          ],
        }
      }
      return undefined
    })
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address] })
    try {
      expect((await broker.produce(produce(0)))[0]).toMatchObject({ baseOffset: 100 })
      c.leaders = [2]
      const [first] = await broker.produce(produce(0))
      expect(first?.error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER', retriable: true })
      const [second] = await broker.produce(produce(0))
      expect(second).toMatchObject({ partition: 0, baseOffset: 200 })
      expect(second?.error).toBeUndefined()
      expect(metadataCount(c)).toBe(2)
    } finally {
      await broker.close()
      await stopAll(c)
    }
  })

  test('a partition with no leader, or whose leader refuses connections, goes to any node, which forwards', async () => {
    // Node 3 leads t-1, but nothing listens at its address; t-0 has no leader.
    const dead = await deadAddress()
    const node = await listen((h) =>
      h.m === 'metadata'
        ? { id: h.id, v: fakeMetadata({ 1: node, 3: dead }, { t: [-1, 3] }) }
        : {
            id: h.id,
            v: argOf<ProduceRequest>(h).partitions.map((p) => ({
              topic: 't',
              partition: p.partition,
              baseOffset: 7,
              logAppendTime: -1,
              logStartOffset: 0,
            })),
          },
    )
    const broker = new RemoteBroker({ brokers: [node.address], reconnectBackoffMs: 600_000 })
    try {
      const results = await broker.produce(produce(0, 1))
      expect(results.map((r) => [r.partition, r.baseOffset, r.error])).toEqual([
        [0, 7, undefined],
        [1, 7, undefined],
      ])
      expect(producedPartitions(node)).toEqual([[0], [1]])
      // The refusal made the leaders stale: the next call asks again, and sends t-1 to the
      // live node without trying node 3 (it is avoided for reconnectBackoffMs).
      await broker.produce(produce(1))
      expect(producedPartitions(node)).toEqual([[0], [1], [1]])
      expect(methodsOf(node).filter((m) => m === 'metadata')).toHaveLength(2)
    } finally {
      await broker.close()
      await stop(node)
    }
  })

  test('a part lost with its connection fails retriably per partition; the other parts keep their answers', async () => {
    const c = await fakeCluster(2, [1, 2], (id, h) => (id === 2 && h.m === 'produce' ? 'drop' : undefined))
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address] })
    try {
      const [ok, lost] = await broker.produce(produce(0, 1))
      expect(ok).toMatchObject({ partition: 0, baseOffset: 100 })
      expect(ok?.error).toBeUndefined()
      expect(lost).toMatchObject({ partition: 1, baseOffset: -1, error: { code: 'LEADER_NOT_AVAILABLE', retriable: true } })
      // The loss made the leaders stale: the next call asks again.
      await broker.produce(produce(0))
      expect(metadataCount(c)).toBe(2)
    } finally {
      await broker.close()
      await stopAll(c)
    }
  })

  test('leaders older than metadataMaxAgeMs are asked again before the next partition call', async () => {
    const clock = new ManualClock(1_000_000)
    const c = await fakeCluster(1, [1])
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address], metadataMaxAgeMs: 5000 }, clock)
    try {
      await broker.produce(produce(0))
      clock.advance(4999)
      await broker.produce(produce(0))
      expect(metadataCount(c)).toBe(1)
      clock.advance(1)
      await broker.produce(produce(0))
      expect(metadataCount(c)).toBe(2)
    } finally {
      await broker.close()
      await stopAll(c)
    }
  })

  test('a fetch waits on every leader at once; the first with data cancels the others, which answer at once', async () => {
    const held = new Map<number, (h: WireHeader) => void>()
    const fetchAnswer = (h: WireHeader, batches: Buffer[]): WireHeader => ({
      id: h.id,
      v: argOf<FetchRequest>(h).partitions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        highWatermark: 5,
        logStartOffset: 0,
        batches,
      })),
    })
    let nodeTwo: FakeNode | undefined
    const c = await fakeCluster(2, [1, 2], (id, h) => {
      if (h.m === '$cancel') {
        held.get(argOf<number>(h))?.(h)
        return 'silent'
      }
      if (h.m !== 'fetch') return undefined
      if (id === 1) return fetchAnswer(h, [Buffer.from('data')])
      // Node 2 has nothing: it holds the fetch until it is cancelled.
      held.set(h.id, () => nodeTwo?.sockets.forEach((s) => s.write(encodeFrame(fetchAnswer(h, [])))))
      return 'silent'
    })
    nodeTwo = c.nodes[2]
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address] })
    try {
      const results = await broker.fetch({
        partitions: [0, 1].map((partition) => ({ topic: 't', partition, offset: 0, maxBytes: 1000 })),
        maxWaitMs: 600_000,
        maxBytes: 1000,
      })
      expect(results.map((r) => [r.partition, r.batches.length])).toEqual([
        [0, 1],
        [1, 0],
      ])
      const fetchToTwo = c.nodes[2]!.requests.find((h) => h.m === 'fetch') as WireHeader
      expect(c.nodes[2]!.requests.find((h) => h.m === '$cancel')?.a).toEqual([fetchToTwo.id])
      // The response budget was shared out between the two parts.
      expect(argOf<FetchRequest>(fetchToTwo).maxBytes).toBe(500)
    } finally {
      await broker.close()
      await stopAll(c)
    }
  })

  test('a read-only call lost with its connection is asked again of the next node', async () => {
    const c = await fakeCluster(2, [1], (id, h) => (id === 1 && h.m === 'metadata' ? 'drop' : undefined))
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address, c.nodes[2]!.address] })
    try {
      const metadata = await broker.metadata()
      expect(metadata.clusterId).toBe('fake')
      expect(methodsOf(c.nodes[2]!)).toEqual(['metadata'])
      // A call that changes something is not repeated: the caller decides.
      await expect(broker.createTopics([{ topic: 'x' }])).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    } finally {
      await broker.close()
      await stopAll(c)
    }
  })

  test('a node that answers CLIENT_CLOSED is shutting down: the call fails retriably', async () => {
    const node = await listen((h) => ({ id: h.id, e: new TributaryError('CLIENT_CLOSED', 'The cluster node is closed') }))
    const broker = new RemoteBroker({ brokers: [node.address] })
    try {
      await expect(broker.initProducerId()).rejects.toMatchObject({ code: 'LEADER_NOT_AVAILABLE', retriable: true })
    } finally {
      await broker.close()
      await stop(node)
    }
  })

  test('partition calls after close fail with CLIENT_CLOSED', async () => {
    const c = await fakeCluster(1, [1])
    const broker = new RemoteBroker({ brokers: [c.nodes[1]!.address] })
    await broker.produce(produce(0))
    await broker.close()
    await expect(broker.produce(produce(0))).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
    await expect(broker.fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 }], maxWaitMs: 0 })).rejects.toMatchObject({
      code: 'CLIENT_CLOSED',
    })
    await expect(broker.listOffsets([{ topic: 't', partition: 0, timestamp: -1 }])).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
    await stopAll(c)
  })
})
