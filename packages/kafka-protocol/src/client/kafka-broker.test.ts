import type { ProduceRequest } from '@tributary/core'
import { makeBatch } from '@tributary/core/testing'
import { encodeResponse } from '../protocol'
import { apisOf, idFor, produceHandler, requestsOf, useHarness } from './test-kit'

/*
 * The Kafka backend against scripted brokers: where each request lands and what version it is
 * sent at.
 */

const batch = makeBatch([{ key: 'k', value: 'v' }])
const produce = (...partitions: number[]): ProduceRequest => ({
  acks: -1,
  timeoutMs: 1000,
  partitions: partitions.map((partition) => ({ topic: 't', partition, batch })),
})

const { cluster, client } = useHarness()

describe('KafkaBroker routing', () => {
  test('a produce is split by partition leader, each part goes to its leader, and answers merge in request order', async () => {
    const c = await cluster(2, produceHandler)
    c.leaders.t = [1, 2, 1]
    const b = client(c)
    const results = await b.produce(produce(2, 1, 0))
    expect(results.map((r) => [r.partition, r.baseOffset, r.error])).toEqual([
      [2, 102, undefined],
      [1, 201, undefined],
      [0, 100, undefined],
    ])
    const partsAt = (i: number): number[][] =>
      (c.brokers[i]?.requests ?? []).flatMap((r) =>
        r.apiKey === 0 ? [r.body.topicData.flatMap((t) => t.partitionData.map((p) => p.index))] : [],
      )
    expect(partsAt(0)).toEqual([[2, 0]])
    expect(partsAt(1)).toEqual([[1]])
  })

  test('NOT_LEADER_OR_FOLLOWER comes back for its partition and the next call goes to the new leader', async () => {
    let moved = false
    const c = await cluster(2, (req, broker) => {
      if (req.apiKey === 0 && broker.nodeId === 1 && moved)
        return { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 6, baseOffset: -1 }] }] }
      return produceHandler(req, broker, null as never)
    })
    c.leaders.t = [1]
    const b = client(c)
    expect((await b.produce(produce(0)))[0]?.baseOffset).toBe(100)
    moved = true
    c.leaders.t = [2]
    const [stale] = await b.produce(produce(0))
    expect(stale?.error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER', retriable: true })
    expect((await b.produce(produce(0)))[0]?.baseOffset).toBe(200)
  })

  test('a partition the cluster does not have fails at once with UNKNOWN_TOPIC_OR_PARTITION; one without a leader with LEADER_NOT_AVAILABLE', async () => {
    const c = await cluster(1, produceHandler)
    c.leaders.t = [1, -1]
    const b = client(c)
    const results = await b.produce({
      acks: 1,
      timeoutMs: 100,
      partitions: [
        { topic: 't', partition: 0, batch },
        { topic: 't', partition: 1, batch },
        { topic: 'nope', partition: 0, batch },
      ],
    })
    expect(results.map((r) => r.error?.code)).toEqual([undefined, 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION'])
  })

  test('a part whose connection is lost fails retriably with NETWORK_EXCEPTION while the other part keeps its answer', async () => {
    const c = await cluster(2, (req, broker, socket) =>
      req.apiKey === 0 && broker.nodeId === 2 ? 'drop' : produceHandler(req, broker, socket),
    )
    c.leaders.t = [1, 2]
    const b = client(c)
    const results = await b.produce(produce(0, 1))
    expect(results[0]?.baseOffset).toBe(100)
    expect(results[1]?.error).toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true })
  })

  test('acks=0 expects no answer, and the connection keeps matching later answers', async () => {
    const c = await cluster(1, (req, broker, socket) =>
      req.apiKey === 0 && req.body.acks === 0 ? 'silent' : produceHandler(req, broker, socket),
    )
    c.leaders.t = [1]
    const b = client(c)
    const none = await b.produce({ ...produce(0), acks: 0 })
    expect(none.map((r) => [r.baseOffset, r.error])).toEqual([[-1, undefined]])
    expect((await b.produce(produce(0)))[0]?.baseOffset).toBe(100)
  })
})

describe('KafkaBroker version negotiation', () => {
  test('each API goes at the highest version both sides support: flexible Produce v11 and Fetch v17 by topic id', async () => {
    const c = await cluster(1, (req, broker, socket) => {
      if (req.apiKey === 1)
        return { responses: [{ topicId: idFor('t'), partitions: [{ partitionIndex: 0, highWatermark: 5, records: null }] }] }
      return produceHandler(req, broker, socket)
    })
    c.leaders.t = [1]
    const b = client(c)
    await b.produce(produce(0))
    const [fetched] = await b.fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1000 }], maxWaitMs: 0 })
    expect(fetched?.highWatermark).toBe(5)
    const sent = c.brokers[0]?.requests.filter((r) => r.apiKey === 0 || r.apiKey === 1) ?? []
    expect(sent.map((r) => [r.apiKey, r.apiVersion])).toEqual([
      [0, 11],
      [1, 17],
    ])
    const fetch = sent[1]
    if (fetch?.apiKey !== 1) throw new Error('no fetch')
    expect(fetch.body.topics[0]?.topicId).toBe(idFor('t'))
  })

  test('a broker that serves older versions gets them (Produce v7, Fetch v11 by topic name)', async () => {
    const c = await cluster(1, (req, broker, socket) => {
      if (req.apiKey === 1) return { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, highWatermark: 3, records: null }] }] }
      return produceHandler(req, broker, socket)
    })
    c.apiVersions = apisOf({ 0: 7, 1: 11, 3: 8 })
    c.leaders.t = [1]
    const b = client(c)
    await b.produce(produce(0))
    const [fetched] = await b.fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1000 }], maxWaitMs: 0 })
    expect(fetched?.highWatermark).toBe(3)
    const sent = c.brokers[0]?.requests.filter((r) => r.apiKey !== 18) ?? []
    expect(sent.map((r) => [r.apiKey, r.apiVersion])).toEqual([
      [3, 8],
      [0, 7],
      [1, 11],
    ])
  })

  test('a broker too old for ApiVersions v3 answers with a v0 body, and is asked again with v0', async () => {
    const c = await cluster(1, (req, _broker, socket) => {
      if (req.apiKey !== 18 || req.apiVersion < 3) return undefined
      socket.write(
        encodeResponse(18, 0, req.header.correlationId, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] }),
      )
      return 'silent'
    })
    const b = client(c)
    await b.connect()
    expect(c.brokers[0]?.requests.filter((r) => r.apiKey === 18).map((r) => r.apiVersion)).toEqual([3, 0])
  })

  test('an API the broker does not serve is UNSUPPORTED_VERSION, sent nowhere', async () => {
    const c = await cluster(1)
    c.apiVersions = apisOf().filter((a) => a.apiKey !== 22)
    const b = client(c)
    await expect(b.initProducerId()).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' })
    expect(requestsOf(c.brokers[0] as never)).not.toContain(22)
  })
})
