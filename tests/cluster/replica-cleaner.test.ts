import { iterateBatches } from '@tributary/core'
import { Tributary } from '@tributary/client'
import { MemoryCluster } from '@tributary/cluster/testing'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'

jest.setTimeout(30_000)

describe('retention and compaction on a replicated partition', () => {
  let cluster: MemoryCluster
  afterEach(async () => cluster?.close())

  async function produce(topic: string, count: number, keyOf: (i: number) => string): Promise<void> {
    const tb = await Tributary.open({ broker: cluster.node(1) })
    const producer = tb.producer({ acks: 'all', lingerMs: 0 })
    for (let i = 0; i < count; i += 20) {
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, j) => ({ key: keyOf(i + j), value: `v${i + j}`.padEnd(60, '.') })),
      })
    }
    await tb.close()
  }

  test('retention is decided by the leader and replicated: every replica moves to the same log start', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster.node(1).createTopics([
      {
        topic: 'logs',
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [
          { name: 'segment.bytes', value: '4096' },
          { name: 'retention.bytes', value: '8192' },
        ],
      },
    ])
    await produce('logs', 600, (i) => `k${i}`)
    const end = await eventually(async () => {
      const ends = await Promise.all(
        [1, 2, 3].map(async (id) => (await cluster.node(id).listOffsets([{ topic: 'logs', partition: 0, timestamp: -1 }]))[0]?.offset),
      )
      return ends.every((e) => e === 600) ? 600 : undefined
    })
    // Followers alone never cut: only the leader decides. (The preferred leader: a racy first
    // election's leader hands leadership back, and would then clean as a follower.)
    const leader = await cluster.preferredLeaderOf('logs', 0)
    for (const id of [1, 2, 3].filter((n) => n !== leader)) await cluster.node(id).runLogCleaner()
    for (const id of [1, 2, 3])
      expect((await cluster.node(id).listOffsets([{ topic: 'logs', partition: 0, timestamp: -2 }]))[0]?.offset).toBe(0)
    await cluster.node(leader).runLogCleaner()
    const starts = await eventually(async () => {
      const s = await Promise.all(
        [1, 2, 3].map(
          async (id) => (await cluster.node(id).listOffsets([{ topic: 'logs', partition: 0, timestamp: -2 }]))[0]?.offset ?? -1,
        ),
      )
      return s.every((x) => x > 0 && x === s[0]) ? s : undefined
    })
    const start = starts[0] as number
    expect(start).toBeLessThan(end)
    for (const id of [1, 2, 3]) {
      const [below] = await cluster
        .node(id)
        .fetch({ partitions: [{ topic: 'logs', partition: 0, offset: 0, maxBytes: 1 << 20 }], maxWaitMs: 0 })
      expect(below?.error?.code).toBe('OFFSET_OUT_OF_RANGE')
      const kept: number[] = []
      for (let offset = start; offset < end; ) {
        const [r] = await cluster.node(id).fetch({ partitions: [{ topic: 'logs', partition: 0, offset, maxBytes: 1 << 20 }], maxWaitMs: 0 })
        expect(r?.error).toBeUndefined()
        for (const batch of iterateBatches(r?.batches ?? []))
          for (const rec of batch.records()) if (rec.offset >= offset) kept.push(rec.offset)
        offset = (kept[kept.length - 1] ?? offset) + 1
      }
      expect(kept).toEqual(Array.from({ length: end - start }, (_, i) => start + i))
    }
  })

  test('compaction runs on every replica and keeps the latest value of each key at its offset', async () => {
    cluster = await MemoryCluster.start(3)
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster.node(1).createTopics([
      {
        topic: 'state',
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.bytes', value: '4096' },
          { name: 'min.compaction.lag.ms', value: '0' },
        ],
      },
    ])
    await produce('state', 400, (i) => `k${i % 10}`)
    await eventually(async () =>
      (await Promise.all([1, 2, 3].map(async (id) => (await readAll(cluster.node(id), 'state')).length))).every((n) => n === 400)
        ? true
        : undefined,
    )
    for (const id of [1, 2, 3]) await cluster.node(id).runLogCleaner()
    for (const id of [1, 2, 3]) {
      const read = await readAll(cluster.node(id), 'state')
      expect(read.length).toBeLessThan(400)
      // Whatever was compacted away, the last value of each key is still there at its offset.
      const last = new Map<string, number>()
      for (let i = 0; i < 400; i++) last.set(`k${i % 10}`, i)
      for (const [k, offset] of last) expect(read.find((r) => r.offset === offset)?.key).toBe(k)
      // Offsets never change: each record still sits at the offset its value names.
      for (const r of read) expect(Number(r.value?.slice(1, r.value.indexOf('.')))).toBe(r.offset)
    }
  })
})
