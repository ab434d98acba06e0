import { LocalBroker, type Logger, MemoryStorage, decodeRecordBatch, encodeRecordBatch, silentLogger } from '@tributary/core'
import { decodeResponse, encodeRequest, readResponseCorrelationId } from '../protocol'
import { SERVED_APIS } from './apis'
import { JoinBuffers } from './join-buffers'
import { KafkaServer, advertisedApis } from './kafka-server'
import { type RawClient, rawClient } from '../testing/raw-client'

/*
 * The connection's contract with raw bytes: answers in arrival order, ApiVersions built from the
 * registrations, Kafka's answer to a too-new ApiVersions, no answer to acks=0, and a bad frame
 * closing only its own connection.
 */

let broker: LocalBroker
let server: KafkaServer
let warnings: string[]
const clients: RawClient[] = []

async function open(
  options: {
    maxRequestBytes?: number
    maxInFlightPerConnection?: number
    maxConnections?: number
    idleTimeoutMs?: number
    maxQueuedRequestBytes?: number
  } = {},
) {
  broker = await LocalBroker.open({ storage: new MemoryStorage() })
  await broker.createTopics([{ topic: 't', numPartitions: 1 }])
  warnings = []
  const logger: Logger = { ...silentLogger, warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`) }
  server = await KafkaServer.start({ broker, listen: '127.0.0.1:0', logger, ...options })
}
async function client(): Promise<RawClient> {
  const c = await rawClient(server.address.port)
  clients.push(c)
  return c
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.end()
  await server.close()
  await broker.close()
})

const batch = (value: string) => encodeRecordBatch([{ key: null, value: Buffer.from(value), headers: [], timestamp: 1 }])
const produce = (correlationId: number, acks: number, records: Buffer, version = 7) =>
  encodeRequest(
    0,
    version,
    { correlationId, clientId: 'raw' },
    { acks, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] },
  )
const fetch = (correlationId: number, maxWaitMs: number) =>
  encodeRequest(
    1,
    11,
    { correlationId },
    {
      maxWaitMs,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    },
  )
const apiVersions = (correlationId: number, version = 2) =>
  encodeRequest(18, version, { correlationId, clientId: 'raw' }, { clientSoftwareName: 'raw-test', clientSoftwareVersion: '1.0' })

test('ApiVersions lists exactly the registered APIs and versions', async () => {
  await open()
  const c = await client()
  c.send(apiVersions(1, 3))
  const [frame] = await c.waitFrames(1)
  const { body } = decodeResponse(18, 3, frame as Buffer)
  expect(body.errorCode).toBe(0)
  expect(body.apiKeys).toEqual(advertisedApis(SERVED_APIS))
  expect(body.apiKeys.find((k) => k.apiKey === 0)).toEqual({ apiKey: 0, minVersion: 0, maxVersion: 11 })
  expect(body.apiKeys.find((k) => k.apiKey === 17)).toEqual({ apiKey: 17, minVersion: 0, maxVersion: 1 })
})

test('a too-new ApiVersions gets UNSUPPORTED_VERSION with the v0 body listing ApiVersions only', async () => {
  await open()
  const c = await client()
  // Version 9 (a flexible header, as a newer client sends it); the body is ignored.
  const frame = apiVersions(7, 3)
  frame.writeInt16BE(9, 6)
  c.send(frame)
  const [answer] = await c.waitFrames(1)
  const { correlationId, body } = decodeResponse(18, 0, answer as Buffer)
  expect(correlationId).toBe(7)
  expect(body).toMatchObject({ errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] })
})

test('pipelined requests are answered in arrival order, a long poll included; acks=0 gets no answer', async () => {
  await open()
  const c = await client()
  // 1: a fetch that waits (nothing to read yet); 2: acks=0 produce (no answer); 3: ApiVersions; 4: acks=1 produce.
  c.send([fetch(1, 2000), produce(2, 0, batch('zero')), apiVersions(3), produce(4, 1, batch('one'))])
  const frames = await c.waitFrames(3)
  expect(frames.map(readResponseCorrelationId)).toEqual([1, 3, 4])
  const fetched = decodeResponse(1, 11, frames[0] as Buffer).body.responses[0]?.partitions[0]
  // The fetch woke on the acks=0 append, which came after it on the same connection.
  expect(fetched?.highWatermark).toBeGreaterThanOrEqual(1)
  const produced = decodeResponse(0, 7, frames[2] as Buffer).body.responses[0]?.partitionResponses[0]
  expect(produced).toMatchObject({ errorCode: 0, baseOffset: 1 })
})

test('Produce v3+ with two batches in one partition is INVALID_RECORD; zstd below v7 UNSUPPORTED_COMPRESSION_TYPE', async () => {
  await open()
  const c = await client()
  c.send(produce(1, 1, Buffer.concat([batch('a'), batch('b')])))
  const zstd = batch('z')
  zstd.writeInt16BE(4, 21) // codec bits say zstd (the CRC no longer matches, but the version check comes first)
  c.send(produce(2, 1, zstd, 5))
  const frames = await c.waitFrames(2)
  expect(decodeResponse(0, 7, frames[0] as Buffer).body.responses[0]?.partitionResponses[0]?.errorCode).toBe(87)
  expect(decodeResponse(0, 5, frames[1] as Buffer).body.responses[0]?.partitionResponses[0]?.errorCode).toBe(76)
  expect(await broker.listOffsets([{ topic: 't', partition: 0, timestamp: -1 }])).toMatchObject([{ offset: 0 }])
})

test('an unknown API key, Produce v2, or an oversized frame closes only that connection', async () => {
  await open({ maxRequestBytes: 4096 })
  const healthy = await client()
  const unknown = await client()
  const legacy = await client()
  const huge = await client()
  const frame = apiVersions(1)
  frame.writeInt16BE(77, 4) // api key 77
  unknown.send(frame)
  legacy.send(produce(1, 1, batch('legacy'), 2))
  const prefix = Buffer.alloc(4)
  prefix.writeInt32BE(1 << 30)
  huge.send(prefix)
  await Promise.all([unknown.closed, legacy.closed, huge.closed])
  healthy.send(apiVersions(5))
  const [answer] = await healthy.waitFrames(1)
  expect(readResponseCorrelationId(answer as Buffer)).toBe(5)
  expect(warnings.join('\n')).toMatch(/unsupported API key or version.*"apiKey":77/)
  expect(warnings.join('\n')).toMatch(/Produce v2 is not served/)
  expect(warnings.join('\n')).toMatch(/bad frame size/)
})

test('a connection holds at most maxInFlightPerConnection requests: it stops reading, then catches up', async () => {
  await open({ maxInFlightPerConnection: 2 })
  const c = await client()
  const requests = [fetch(1, 300), fetch(2, 300), ...Array.from({ length: 20 }, (_, i) => apiVersions(10 + i))]
  c.send(requests)
  const frames = await c.waitFrames(22)
  expect(frames.map(readResponseCorrelationId)).toEqual([1, 2, ...Array.from({ length: 20 }, (_, i) => 10 + i)])
})

test('connections beyond maxConnections are refused at once; the others keep working', async () => {
  await open({ maxConnections: 2 })
  const a = await client()
  const b = await client()
  const c = await client()
  await c.closed
  a.send(apiVersions(1))
  b.send(apiVersions(2))
  expect((await a.waitFrames(1)).map(readResponseCorrelationId)).toEqual([1])
  expect((await b.waitFrames(1)).map(readResponseCorrelationId)).toEqual([2])
  expect(warnings.join('\n')).toMatch(/too many connections/)
})

test('an idle connection is closed after idleTimeoutMs; a busy one is not', async () => {
  await open({ idleTimeoutMs: 150 })
  const idle = await client()
  const busy = await client()
  busy.send(fetch(1, 400)) // a long poll in progress is not idleness
  await idle.closed
  expect(busy.socket.destroyed).toBe(false)
  expect((await busy.waitFrames(1)).map(readResponseCorrelationId)).toEqual([1])
})

test('the server-wide request budget (queued.max.request.bytes) pauses reading and never deadlocks', async () => {
  await open({ maxQueuedRequestBytes: 1024 })
  const a = await client()
  const b = await client()
  const big = (i: number) => produce(i, 1, batch('x'.repeat(3000)))
  a.send([big(1), big(2), big(3), apiVersions(4)])
  b.send([big(11), fetch(12, 200), big(13)])
  expect((await a.waitFrames(4)).map(readResponseCorrelationId)).toEqual([1, 2, 3, 4])
  expect((await b.waitFrames(3)).map(readResponseCorrelationId)).toEqual([11, 12, 13])
  expect(await broker.listOffsets([{ topic: 't', partition: 0, timestamp: -1 }])).toMatchObject([{ offset: 5 }])
})

/** KeepingStorage is memory storage that says it keeps the caller's buffers (as a Raft log would). */
class KeepingStorage extends MemoryStorage {
  override readonly copiesAppends = false
}

test('Produce requests split over socket chunks are joined in lent buffers only when the broker copies them', async () => {
  const take = jest.spyOn(JoinBuffers.prototype, 'take')
  const give = jest.spyOn(JoinBuffers.prototype, 'give')
  try {
    for (const copies of [true, false]) {
      take.mockClear()
      give.mockClear()
      broker = await LocalBroker.open({ storage: copies ? new MemoryStorage() : new KeepingStorage() })
      expect(broker.copiesProducedBatches).toBe(copies)
      await broker.createTopics([{ topic: 't', numPartitions: 1 }])
      server = await KafkaServer.start({ broker, listen: '127.0.0.1:0', logger: silentLogger })
      const c = await client()
      // Six requests of 200 KB (over Node's 64 KB reads, so each spans chunks), each of its own byte.
      const values = Array.from({ length: 6 }, (_, i) => Buffer.alloc(200_000, 65 + i))
      c.send(values.map((v, i) => produce(i + 1, 1, encodeRecordBatch([{ key: null, value: v, headers: [], timestamp: 1 }]))))
      const answers = await c.waitFrames(6)
      expect(answers.map((a) => decodeResponse(0, 7, a).body.responses[0]?.partitionResponses[0]?.errorCode)).toEqual([0, 0, 0, 0, 0, 0])
      // Every batch reads back as sent: the lent memory was reused only after the broker copied it.
      const fetched = await broker.fetch({
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 24,
        partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 24 }],
      })
      const read = (fetched[0]?.batches ?? []).flatMap((b) => decodeRecordBatch(b).map((r) => r.value))
      expect(read).toEqual(values)
      const lent = take.mock.results.filter((r) => r.value !== undefined).length
      if (copies) {
        expect(lent).toBeGreaterThanOrEqual(1)
        // Every lent buffer came back once its request was handled (the pool does not drain).
        expect(give).toHaveBeenCalledTimes(lent)
      } else expect(take).not.toHaveBeenCalled()
      for (const k of clients.splice(0)) k.end()
      await server.close()
      await broker.close()
    }
  } finally {
    take.mockRestore()
    give.mockRestore()
  }
  // afterEach closes the last pair again, which is harmless.
})

test('Fetch with a negative MaxBytes or PartitionMaxBytes is UNKNOWN_SERVER_ERROR per partition, as Kafka; 0 still gets the first batch', async () => {
  await open()
  const c = await client()
  c.send(produce(1, 1, batch('x')))
  await c.waitFrames(1)
  const fetchWith = (correlationId: number, maxBytes: number, partitionMaxBytes: number) =>
    encodeRequest(
      1,
      11,
      { correlationId },
      { maxWaitMs: 0, minBytes: 1, maxBytes, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes }] }] },
    )
  c.send([fetchWith(2, -1, 1 << 20), fetchWith(3, 1 << 20, -1), fetchWith(4, 0, 0)])
  const frames = (await c.waitFrames(4)).slice(1)
  const partitionOf = (f: Buffer) => decodeResponse(1, 11, f).body.responses[0]?.partitions[0]
  expect(partitionOf(frames[0] as Buffer)).toMatchObject({ errorCode: -1, records: Buffer.alloc(0) })
  expect(partitionOf(frames[1] as Buffer)).toMatchObject({ errorCode: -1, records: Buffer.alloc(0) })
  const zero = partitionOf(frames[2] as Buffer)
  expect(zero?.errorCode).toBe(0)
  expect(decodeRecordBatch(zero?.records as Buffer).map((r) => r.value?.toString())).toEqual(['x'])
  expect(warnings.some((w) => w.includes('negative size'))).toBe(true)
})
