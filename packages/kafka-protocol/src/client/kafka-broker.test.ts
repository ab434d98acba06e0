import type { ProduceRequest } from '@tributary/core'
import { makeBatch } from '@tributary/core/testing'
import { encodeResponse } from '../protocol'
import { encodeSubscription } from './consumer-protocol'
import { KafkaBroker } from './kafka-broker'
import { type FakeCluster, type Handler, apisOf, fakeCluster, idFor, requestsOf } from './test-kit'

/*
 * The Kafka backend against scripted brokers: where each request lands, what version it is sent
 * at, and what happens when a broker answers with an error, late, wrongly or not at all.
 */

const batch = makeBatch([{ key: 'k', value: 'v' }])
const produce = (...partitions: number[]): ProduceRequest => ({
  acks: -1,
  timeoutMs: 1000,
  partitions: partitions.map((partition) => ({ topic: 't', partition, batch })),
})

/** produceHandler answers Produce with baseOffset = nodeId * 100 + partition (so an answer shows who gave it). */
const produceHandler: Handler = (req, broker) => {
  if (req.apiKey !== 0) return undefined
  return {
    responses: req.body.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode: 0,
        baseOffset: broker.nodeId * 100 + p.index,
        logStartOffset: 0,
      })),
    })),
  }
}

let clusters: FakeCluster[] = []
let brokers: KafkaBroker[] = []
async function cluster(n: number, handler?: Handler): Promise<FakeCluster> {
  const c = await fakeCluster(n, handler)
  clusters.push(c)
  return c
}
function client(c: FakeCluster, extra: Record<string, unknown> = {}): KafkaBroker {
  const b = new KafkaBroker({ brokers: [c.bootstrap()[0] as string], ...extra })
  brokers.push(b)
  return b
}
afterEach(async () => {
  await Promise.all(brokers.map((b) => b.close()))
  await Promise.all(clusters.map((c) => c.close()))
  brokers = []
  clusters = []
})

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

describe('KafkaBroker connections', () => {
  test('a request past its timeout fails with REQUEST_TIMED_OUT, closes its connection, and the next request opens a new one', async () => {
    let silent = true
    const c = await cluster(1, (req) =>
      req.apiKey === 22 ? (silent ? 'silent' : { errorCode: 0, producerId: 7, producerEpoch: 0 }) : undefined,
    )
    const b = client(c, { requestTimeoutMs: 200 })
    await expect(b.initProducerId()).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true })
    silent = false
    await expect(b.initProducerId()).resolves.toEqual({ producerId: 7, producerEpoch: 0 })
    expect(c.brokers[0]?.requests.filter((r) => r.apiKey === 18)).toHaveLength(2)
  })

  test('an answer to the wrong correlation id closes the connection as CORRUPT_MESSAGE', async () => {
    const c = await cluster(1, (req, _b, socket) => {
      if (req.apiKey !== 22) return undefined
      socket.write(encodeResponse(22, req.apiVersion, req.header.correlationId + 1000, { errorCode: 0, producerId: 1, producerEpoch: 0 }))
      return 'silent'
    })
    const b = client(c)
    await expect(b.initProducerId()).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' })
  })

  test('no reachable broker is NETWORK_EXCEPTION (retriable), naming the addresses tried', async () => {
    const c = await cluster(1)
    const address = c.bootstrap()[0] as string
    await c.close()
    clusters = []
    const b = new KafkaBroker({ brokers: [address], reconnectBackoffMs: 0 })
    brokers.push(b)
    await expect(b.metadata()).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true })
  })

  test('bootstrap moves on to the next listed broker when the first cannot be reached', async () => {
    const dead = await fakeCluster(1)
    const deadAddress = dead.bootstrap()[0] as string
    await dead.close()
    const c = await cluster(1)
    c.leaders.t = [1]
    const b = new KafkaBroker({ brokers: [deadAddress, c.bootstrap()[0] as string] })
    brokers.push(b)
    const m = await b.metadata({ topics: ['t'] })
    expect(m.topics.map((t) => t.name)).toEqual(['t'])
  })

  test('closing fails pending calls and later ones with CLIENT_CLOSED', async () => {
    const c = await cluster(1, (req) => (req.apiKey === 22 ? 'silent' : undefined))
    const b = client(c)
    const pending = b.initProducerId()
    await new Promise((r) => setTimeout(r, 50))
    await b.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
    await expect(b.metadata()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
  })
})

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

describe('KafkaBroker groups', () => {
  const subscription = encodeSubscription({ topics: ['t'] })
  const join = {
    groupId: 'g',
    memberId: '',
    clientId: 'c',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', subscription: { topics: ['t'] } }],
  }

  test('a first join answered MEMBER_ID_REQUIRED joins again with the id the coordinator gave', async () => {
    const c = await cluster(1, (req, broker) => {
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: 1,
          host: broker.host,
          port: broker.port,
          coordinators: [{ key: 'g', nodeId: 1, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey !== 11) return undefined
      if (req.body.memberId === '')
        return { errorCode: 79, memberId: 'member-1', generationId: -1, protocolName: null, leader: '', members: [] }
      return {
        errorCode: 0,
        generationId: 3,
        protocolType: 'consumer',
        protocolName: 'range',
        leader: 'member-1',
        memberId: 'member-1',
        members: [{ memberId: 'member-1', groupInstanceId: null, metadata: subscription }],
      }
    })
    const b = client(c)
    const joined = await b.joinGroup(join)
    expect(joined).toMatchObject({ generationId: 3, memberId: 'member-1', leaderId: 'member-1', protocolName: 'range' })
    expect(joined.members[0]?.subscription.topics).toEqual(['t'])
    const joins = c.brokers[0]?.requests.filter((r) => r.apiKey === 11) ?? []
    expect(joins.map((r) => (r.apiKey === 11 ? r.body.memberId : null))).toEqual(['', 'member-1'])
  })

  test('NOT_COORDINATOR finds the coordinator again and retries there', async () => {
    let coordinator = 1
    const c = await cluster(2, (req, broker) => {
      const at = c.brokers[coordinator - 1] as typeof broker
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: coordinator,
          host: at.host,
          port: at.port,
          coordinators: [{ key: 'g', nodeId: coordinator, host: at.host, port: at.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey === 12) return { errorCode: broker.nodeId === coordinator ? 0 : 16 }
      return undefined
    })
    const b = client(c, { retry: { initialRetryTimeMs: 1, maxRetryTimeMs: 5 } })
    await b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })
    coordinator = 2
    await b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })
    expect(c.brokers.map((x) => requestsOf(x).filter((k) => k === 12).length)).toEqual([2, 1])
  })

  test("a heartbeat is answered while another member's JoinGroup waits at the coordinator", async () => {
    const c = await cluster(1, (req, broker) => {
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: 1,
          host: broker.host,
          port: broker.port,
          coordinators: [{ key: 'g', nodeId: 1, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey === 11) return 'silent'
      if (req.apiKey === 12) return { errorCode: 0 }
      return undefined
    })
    const b = client(c)
    void b.joinGroup({ ...join, memberId: 'x' }).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 50))
    await expect(b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })).resolves.toBeUndefined()
  })

  test('group errors arrive as the TributaryErrors the embedded coordinator throws', async () => {
    const c = await cluster(1, (req, broker) => {
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: 1,
          host: broker.host,
          port: broker.port,
          coordinators: [{ key: 'g', nodeId: 1, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey === 12) return { errorCode: 27 }
      if (req.apiKey === 8) return { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 22 }] }] }
      return undefined
    })
    c.leaders.t = [1]
    const b = client(c)
    await expect(b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })).rejects.toMatchObject({ code: 'REBALANCE_IN_PROGRESS' })
    await expect(
      b.commitOffsets({ groupId: 'g', generationId: 1, memberId: 'm', offsets: [{ topic: 't', partition: 0, offset: 1 }] }),
    ).rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' })
    await expect(b.heartbeat({ groupId: '', generationId: 1, memberId: 'm' })).rejects.toMatchObject({ code: 'INVALID_GROUP_ID' })
  })
})
