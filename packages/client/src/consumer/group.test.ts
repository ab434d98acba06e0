import { LocalBroker, MemoryStorage, TributaryError, type TopicPartition } from '@tributary/core'
import { FAST_GROUP, openMemory, rejoining, waitFor, wrapBroker } from '../testing/client-kit'
import { Tributary } from '../tributary'
import type { Consumer } from './consumer'

/** Received collects what each consumer handled, as "partition:offset" per value. */
type Received = Map<string, string[]>

function record(received: Received, name: string) {
  return async ({ partition, message }: { partition: number; message: { offset: number; value: Buffer | null } }) => {
    const list = received.get(name) ?? []
    list.push(`${partition}:${message.offset}:${message.value?.toString()}`)
    received.set(name, list)
  }
}

function owned(consumers: Consumer[]): string[] {
  return consumers.flatMap((c) => c.assignment().map((tp: TopicPartition) => `${tp.topic}-${tp.partition}`))
}

async function produce(tb: Tributary, topic: string, from: number, count: number): Promise<void> {
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % 7}`, value: `m${from + i}` }))
  await tb.producer().send({ topic, messages })
}

/** stable waits until every consumer has a generation and the assignments cover `partitions` exactly once. */
async function stable(consumers: Consumer[], partitions: number, topic = 't'): Promise<void> {
  await waitFor(() => {
    const all = owned(consumers).sort()
    const expected = Array.from({ length: partitions }, (_, p) => `${topic}-${p}`).sort()
    return JSON.stringify(all) === JSON.stringify(expected) && consumers.every((c) => !rejoining(c))
  }, 'a stable assignment covering every partition once')
}

function values(received: Received): string[] {
  return [...received.values()].flat().map((s) => s.split(':')[2] as string)
}

describe('Consumer groups', () => {
  let tb: Tributary
  beforeEach(async () => {
    tb = await openMemory()
    await tb.admin().createTopics({ topics: [{ topic: 't', numPartitions: 6 }] })
  })
  afterEach(() => tb.close())

  test('two consumers get disjoint assignments that together cover every partition', async () => {
    const a = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    const b = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    const received: Received = new Map()
    for (const [name, c] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await c.subscribe({ topics: ['t'], fromBeginning: true })
      await c.run({ eachMessage: record(received, name) })
    }
    await stable([a, b], 6)
    expect(a.assignment().length).toBe(3)
    expect(b.assignment().length).toBe(3)
    await produce(tb, 't', 0, 60)
    await waitFor(() => values(received).length >= 60, 'all 60 messages')
    expect(values(received).sort()).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`).sort())
  })

  test('a third member joins and one leaves: no partition owned twice, no message skipped', async () => {
    const received: Received = new Map()
    const start = async (name: string): Promise<Consumer> => {
      const c = tb.consumer({ groupId: 'g', ...FAST_GROUP })
      await c.subscribe({ topics: ['t'], fromBeginning: true })
      await c.run({ eachMessage: record(received, name) })
      return c
    }
    const a = await start('a')
    const b = await start('b')
    await stable([a, b], 6)
    await produce(tb, 't', 0, 50)
    const c = await start('c')
    await produce(tb, 't', 50, 50)
    await stable([a, b, c], 6)
    expect(new Set(owned([a, b, c])).size).toBe(6)
    await produce(tb, 't', 100, 50)
    await b.stop()
    await stable([a, c], 6)
    await produce(tb, 't', 150, 50)
    await waitFor(() => new Set(values(received)).size === 200, 'every message at least once')
    expect([...new Set(values(received))].sort()).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`).sort())
    // Within a partition, each member saw increasing offsets (order kept).
    for (const list of received.values()) {
      const last = new Map<string, number>()
      for (const entry of list) {
        const [p, o] = entry.split(':')
        expect(Number(o)).toBeGreaterThan(last.get(p as string) ?? -1)
        last.set(p as string, Number(o))
      }
    }
  })

  test('a member that stops heartbeating loses its partitions after the session timeout', async () => {
    const a = tb.consumer({ groupId: 'g', ...FAST_GROUP, sessionTimeoutMs: 300 })
    let frozen = false
    const cut = (): Promise<never> => Promise.reject(new TributaryError('COORDINATOR_NOT_AVAILABLE', 'partitioned away'))
    const zombieBroker = wrapBroker(tb.broker, {
      heartbeat: (req) => (frozen ? cut() : tb.broker.heartbeat(req)),
      commitOffsets: (req) => (frozen ? cut() : tb.broker.commitOffsets(req)),
    })
    const other = await Tributary.open({ broker: zombieBroker })
    const b = other.consumer({ groupId: 'g', ...FAST_GROUP, sessionTimeoutMs: 300 })
    for (const c of [a, b]) {
      await c.subscribe({ topics: ['t'] })
      await c.run({ eachMessage: async () => {} })
    }
    await stable([a, b], 6)
    const started = Date.now()
    frozen = true
    await waitFor(() => a.assignment().length === 6 && !rejoining(a), 'a to own every partition')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    const [group] = (await tb.admin().describeGroups(['g'])).groups
    expect(group?.members).toHaveLength(1)
    frozen = false
    await other.close()
  })

  test('two groups each receive every message once', async () => {
    const received: Record<string, Received> = { g1: new Map(), g2: new Map() }
    const consumers: Consumer[] = []
    for (const groupId of ['g1', 'g2']) {
      for (const name of ['x', 'y']) {
        const c = tb.consumer({ groupId, ...FAST_GROUP })
        await c.subscribe({ topics: ['t'], fromBeginning: true })
        await c.run({ eachMessage: record(received[groupId] as Received, name) })
        consumers.push(c)
      }
    }
    await stable(consumers.slice(0, 2), 6)
    await stable(consumers.slice(2), 6)
    await produce(tb, 't', 0, 100)
    const expected = Array.from({ length: 100 }, (_, i) => `m${i}`).sort()
    for (const groupId of ['g1', 'g2']) {
      await waitFor(() => values(received[groupId] as Received).length >= 100, `${groupId} to get 100 messages`)
      expect(values(received[groupId] as Received).sort()).toEqual(expected)
    }
  })

  test('a consumer that restarts resumes from its committed offset', async () => {
    await produce(tb, 't', 0, 30)
    const first: Received = new Map()
    const c1 = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await c1.subscribe({ topics: ['t'], fromBeginning: true })
    await c1.run({ eachMessage: record(first, 'c1') })
    await waitFor(() => values(first).length === 30, 'the first 30')
    await c1.disconnect()
    await produce(tb, 't', 30, 20)
    const second: Received = new Map()
    const c2 = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await c2.subscribe({ topics: ['t'], fromBeginning: true })
    await c2.run({ eachMessage: record(second, 'c2') })
    await waitFor(() => values(second).length >= 20, 'the next 20')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(values(second).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${30 + i}`).sort())
    const offsets = await tb.admin().fetchOffsets({ groupId: 'g', topics: ['t'] })
    expect(offsets[0]?.partitions.reduce((n, p) => n + p.lag, 0)).toBe(0)
  })

  test('autoOffsetReset earliest reads the backlog, latest only new messages', async () => {
    await produce(tb, 't', 0, 10)
    const got: Record<string, Received> = { earliest: new Map(), latest: new Map() }
    const consumers: Consumer[] = []
    for (const reset of ['earliest', 'latest'] as const) {
      const c = tb.consumer({ groupId: reset, ...FAST_GROUP, autoOffsetReset: reset })
      await c.subscribe({ topics: ['t'] })
      await c.run({ eachMessage: record(got[reset] as Received, reset) })
      consumers.push(c)
    }
    await produce(tb, 't', 10, 5)
    await waitFor(() => values(got.earliest as Received).length >= 15 && values(got.latest as Received).length >= 5, 'both groups')
    expect(values(got.latest as Received).sort()).toEqual(['m10', 'm11', 'm12', 'm13', 'm14'])
    expect(values(got.earliest as Received)).toHaveLength(15)
  })

  test("autoOffsetReset 'none' without a committed offset crashes the consumer", async () => {
    const c = tb.consumer({ groupId: 'none', ...FAST_GROUP, autoOffsetReset: 'none' })
    await c.subscribe({ topics: ['t'] })
    await expect(c.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' })
  })
})

describe('Consumer groups when topic metadata changes', () => {
  test('a leader that read stale metadata (no topics) assigns nothing, then rejoins once the topic shows up', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage(), minSessionTimeoutMs: 50 })
    await local.createTopics([{ topic: 't', numPartitions: 2 }])
    let stale = true
    // A node that has not caught up lists no topics when asked for all of them.
    const broker = wrapBroker(local, {
      metadata: async (request) => {
        const real = await local.metadata(request)
        return stale && request?.topics === undefined ? { ...real, topics: [] } : real
      },
    })
    const tb = await Tributary.open({ broker })
    try {
      await produce(tb, 't', 0, 4)
      const received: Received = new Map()
      // metadataMaxAgeMs is long: the unknown topic is looked up again on the retry backoff.
      const c = tb.consumer({ groupId: 'g', ...FAST_GROUP, metadataMaxAgeMs: 60_000 })
      await c.subscribe({ topics: ['t'], fromBeginning: true })
      await c.run({ eachMessage: record(received, 'c') })
      expect(c.assignment()).toEqual([])
      stale = false
      await waitFor(() => values(received).length === 4, 'the messages, after a rebalance')
      expect(owned([c]).sort()).toEqual(['t-0', 't-1'])
    } finally {
      await tb.close()
      await local.close()
    }
  })

  test('every metadataMaxAgeMs the leader reads the partition counts again and rebalances when one changed', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage(), minSessionTimeoutMs: 50 })
    await local.createTopics([{ topic: 't', numPartitions: 3 }])
    let visible = 2
    // Metadata that shows fewer partitions than the topic has, until the test says otherwise.
    const broker = wrapBroker(local, {
      metadata: async (request) => {
        const real = await local.metadata(request)
        return { ...real, topics: real.topics.map((t) => ({ ...t, partitions: t.partitions.slice(0, visible) })) }
      },
    })
    const tb = await Tributary.open({ broker })
    try {
      const received: Received = new Map()
      const consumers = [0, 1].map(() => tb.consumer({ groupId: 'g', ...FAST_GROUP, metadataMaxAgeMs: 100 }))
      for (const [i, c] of consumers.entries()) {
        await c.subscribe({ topics: ['t'], fromBeginning: true })
        await c.run({ eachMessage: record(received, `c${i}`) })
      }
      await stable(consumers, 2)
      visible = 3
      await stable(consumers, 3)
      await tb.producer().send({ topic: 't', messages: [{ value: 'on the third partition', partition: 2 }] })
      await waitFor(() => values(received).includes('on the third partition'), 'the message on the third partition')
    } finally {
      await tb.close()
      await local.close()
    }
  })
})
