import {
  type Broker,
  LocalBroker,
  MemoryStorage,
  type ProduceRequest,
  decodeRecordBatch,
  encodeRecordBatch,
  silentLogger,
} from '@tributary/core'
import { decodeResponse, encodeRequest } from '../protocol'
import { type RawClient, rawClient } from '../testing/raw-client'
import { KafkaServer } from './kafka-server'

/*
 * Large requests on the Kafka listener: while one connection's large Produce is arriving (its
 * frame is copied into its buffer piece by piece, see FrameDecoder), other connections are
 * answered; the large request is then served whole. Produce requests joined in the server's lent
 * buffers (a broker that copies produced batches) keep their bytes across chunk boundaries.
 */

const MiB = 1024 * 1024
let broker: LocalBroker
let server: KafkaServer
const clients: RawClient[] = []

async function open(served: Broker = broker): Promise<void> {
  server = await KafkaServer.start({ broker: served, listen: '127.0.0.1:0', logger: silentLogger, maxRequestBytes: 128 * MiB })
}
async function client(): Promise<RawClient> {
  const c = await rawClient(server.address.port)
  clients.push(c)
  return c
}
beforeEach(async () => {
  broker = await LocalBroker.open({ storage: new MemoryStorage() })
  await broker.createTopics([{ topic: 'big', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(100 * MiB) }] }])
})
afterEach(async () => {
  for (const c of clients.splice(0)) c.end()
  await server.close()
  await broker.close()
})

const records = (count: number, bytes: number, seed: number) =>
  Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.alloc(bytes, (seed + i) % 256), headers: [], timestamp: 1 }))
const produce = (correlationId: number, batch: Buffer) =>
  encodeRequest(
    0,
    7,
    { correlationId },
    { acks: 1, timeoutMs: 10_000, topicData: [{ name: 'big', partitionData: [{ index: 0, records: batch }] }] },
  )
const apiVersions = (correlationId: number) =>
  encodeRequest(18, 3, { correlationId }, { clientSoftwareName: 'large-frames', clientSoftwareVersion: '1' })

test('another connection is answered while a 48 MiB Produce is arriving, which is then written whole', async () => {
  await open()
  const bulk = await client()
  const other = await client()
  const batch = encodeRecordBatch(records(48, MiB, 1))
  const frame = produce(1, batch)
  // The first two thirds of the large request, then the other connection's requests are answered
  // while it is incomplete (the server holds a partial 48 MiB frame).
  const cut = Math.floor((frame.length * 2) / 3)
  bulk.send(frame.subarray(0, cut))
  for (let i = 1; i <= 3; i++) {
    other.send(apiVersions(100 + i))
    await other.waitFrames(i, 30_000)
  }
  expect(bulk.frames).toHaveLength(0)
  bulk.send(frame.subarray(cut))
  const [answer] = await bulk.waitFrames(1, 60_000)
  expect(decodeResponse(0, 7, answer as Buffer).body.responses[0]?.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 })
  const [written] = await broker.fetch({ partitions: [{ topic: 'big', partition: 0, offset: 0, maxBytes: 100 * MiB }], maxWaitMs: 0 })
  expect(Buffer.concat(written?.batches ?? []).equals(batch)).toBe(true)
})

test('Produce requests joined in lent buffers across chunks keep their bytes (1-4 MiB, back to back)', async () => {
  // A broker that copies the produced batches out before it returns, so the server lends join buffers.
  const copying = new Proxy(broker, {
    get(target, key, receiver) {
      if (key === 'copiesProducedBatches') return true
      if (key === 'produce')
        return (r: ProduceRequest) => target.produce({ ...r, partitions: r.partitions.map((p) => ({ ...p, batch: Buffer.from(p.batch) })) })
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as LocalBroker
  await open(copying)
  const c = await client()
  const batches = [3, 2, 1, 3].map((mib, i) => encodeRecordBatch(records(mib * 4, MiB / 4, 10 * i)))
  const stream = Buffer.concat(batches.map((b, i) => produce(i + 1, b)))
  // Odd-sized pieces, so frames straddle writes.
  for (let pos = 0; pos < stream.length; pos += 777_777) c.send(Buffer.from(stream.subarray(pos, pos + 777_777)))
  const answers = await c.waitFrames(batches.length, 60_000)
  const results = answers.map((a) => decodeResponse(0, 7, a).body.responses[0]?.partitionResponses[0])
  expect(results.map((r) => r?.errorCode)).toEqual([0, 0, 0, 0])
  expect(results.map((r) => r?.baseOffset)).toEqual([0, 12, 20, 24])
  const [read] = await broker.fetch({ partitions: [{ topic: 'big', partition: 0, offset: 0, maxBytes: 100 * MiB }], maxWaitMs: 0 })
  const values = (read?.batches ?? []).map((b) => decodeRecordBatch(b).map((r) => r.value?.[0]))
  expect(values).toEqual(batches.map((b) => decodeRecordBatch(b).map((r) => r.value?.[0])))
})
