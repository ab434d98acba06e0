import type { ProduceRequest } from '@tributary/core'
import { makeBatch } from '@tributary/core/testing'
import { idFor, produceHandler, useHarness } from './test-kit'

/*
 * Fetches against scripted brokers: long polls on connections of their own, joined when abandoned,
 * cut to whole batches.
 */

const batch = makeBatch([{ key: 'k', value: 'v' }])
const produce = (...partitions: number[]): ProduceRequest => ({
  acks: -1,
  timeoutMs: 1000,
  partitions: partitions.map((partition) => ({ topic: 't', partition, batch })),
})

const { cluster, client } = useHarness()

describe('KafkaBroker fetch', () => {
  test("one leader with data ends the other leaders' waits, and the next fetch joins the request still waiting", async () => {
    let release: (() => void) | null = null
    const data = makeBatch([{ value: 'x' }])
    const c = await cluster(2, async (req, broker) => {
      if (req.apiKey !== 1) return undefined
      const p = req.body.topics[0]?.partitions[0]
      if (broker.nodeId === 1)
        return { responses: [{ topicId: idFor('t'), partitions: [{ partitionIndex: p?.partition, highWatermark: 1, records: data }] }] }
      await new Promise<void>((r) => (release = r))
      return { responses: [{ topicId: idFor('t'), partitions: [{ partitionIndex: p?.partition, highWatermark: 1, records: data }] }] }
    })
    c.leaders.t = [1, 2]
    const b = client(c)
    const ask = { partitions: [0, 1].map((partition) => ({ topic: 't', partition, offset: 0, maxBytes: 1 << 20 })), maxWaitMs: 10_000 }
    const first = await b.fetch(ask)
    expect(first.map((r) => r.batches.length)).toEqual([1, 0])
    const second = b.fetch({ ...ask, partitions: [ask.partitions[1] as (typeof ask.partitions)[number]] })
    await new Promise((r) => setTimeout(r, 50))
    ;(release as unknown as () => void)()
    expect((await second).map((r) => r.batches.length)).toEqual([1])
    expect(c.brokers[1]?.requests.filter((r) => r.apiKey === 1)).toHaveLength(1)
  })

  test('an abort ends the wait at once with no data', async () => {
    const c = await cluster(1, (req) => (req.apiKey === 1 ? 'silent' : undefined))
    c.leaders.t = [1]
    const b = client(c)
    const controller = new AbortController()
    const pending = b.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }],
      maxWaitMs: 30_000,
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 50)
    expect(await pending).toEqual([{ topic: 't', partition: 0, highWatermark: -1, logStartOffset: -1, batches: [] }])
  })

  test('a batch cut by the byte limit is left out (fetched whole next time)', async () => {
    const two = Buffer.concat([makeBatch([{ value: 'a' }]), makeBatch([{ value: 'b' }], { baseOffset: 1 })])
    const cut = two.subarray(0, two.length - 5)
    const c = await cluster(1, (req) =>
      req.apiKey === 1
        ? { responses: [{ topicId: idFor('t'), partitions: [{ partitionIndex: 0, highWatermark: 2, records: cut }] }] }
        : undefined,
    )
    c.leaders.t = [1]
    const b = client(c)
    const [r] = await b.fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }], maxWaitMs: 0 })
    expect(r?.batches).toHaveLength(1)
    expect(r?.batches[0]?.length).toBe(makeBatch([{ value: 'a' }]).length)
  })

  test('a fetch long poll does not hold back a produce on the same broker', async () => {
    const c = await cluster(1, (req, broker, socket) => (req.apiKey === 1 ? 'silent' : produceHandler(req, broker, socket)))
    c.leaders.t = [1]
    const b = client(c)
    const controller = new AbortController()
    const polling = b.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }],
      maxWaitMs: 30_000,
      signal: controller.signal,
    })
    await new Promise((r) => setTimeout(r, 50))
    expect((await b.produce(produce(0)))[0]?.baseOffset).toBe(100)
    controller.abort()
    await polling
  })
})

describe('KafkaBroker fetch connections', () => {
  test('when every lease is taken by abandoned long polls, a new fetch closes one instead of waiting for it', async () => {
    const c = await cluster(1, (req) => {
      if (req.apiKey !== 1) return undefined
      const offset = req.body.topics[0]?.partitions[0]?.fetchOffset
      // Offset 0 is a long poll that never answers; any other offset answers at once.
      if (offset === 0) return 'silent'
      return { responses: [{ topicId: idFor('t'), partitions: [{ partitionIndex: 0, highWatermark: 9, records: null }] }] }
    })
    c.leaders.t = [1]
    const b = client(c, { maxConnectionsPerBroker: 3 })
    const abandon = new AbortController()
    const first = b.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }],
      maxWaitMs: 30_000,
      signal: abandon.signal,
    })
    await new Promise((r) => setTimeout(r, 50))
    abandon.abort()
    await first
    // Were it queued behind the abandoned poll (ten minutes), this fetch would outlast the test's timeout.
    const [r] = await b.fetch({ partitions: [{ topic: 't', partition: 0, offset: 5, maxBytes: 100 }], maxWaitMs: 600_000 })
    expect(r?.highWatermark).toBe(9)
  })
})
