import { type Socket, connect } from 'node:net'
import { encodeRecordBatch } from '@tributary/core'
import { waitUntil } from '@tributary/core/testing'
import { type ApiKey, decodeResponse, encodeRequest, readResponseCorrelationId } from '@tributary/kafka-protocol'
import { rawClient } from '../../packages/kafka-protocol/src/server/test-client'
import { readAll, type Served, serve, sleep } from './kit'

/*
 * Fuzzing a live KafkaServer: connections send random bytes, truncated and bit-flipped valid
 * frames, absurd size prefixes, unknown API keys and versions, and valid headers with random
 * bodies. Throughout, a well-behaved client keeps producing and fetching on its own connection and
 * must always be answered; afterwards every message written before (and by the well-behaved
 * client) is still there in order, and the process's memory stayed under a stated bound.
 * KAFKA_FUZZ_SEED and KAFKA_FUZZ_RUNS vary it; the seed is printed on failure.
 */

const SEED = Number(process.env.KAFKA_FUZZ_SEED ?? Date.now() % 1_000_000)
const RUNS = Number(process.env.KAFKA_FUZZ_RUNS ?? 1000)
const CONCURRENCY = 16
/** The memory the fuzzing may add to the test process (server and clients), heap plus buffers. */
const MEMORY_BOUND_BYTES = 128 * 1024 * 1024
const MAX_REQUEST_BYTES = 1024 * 1024

/** mulberry32: a small seeded random source, so a failing seed replays. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const batch = (i: number) =>
  encodeRecordBatch([{ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: [], timestamp: 1_700_000_000_000 + i }])

/** Valid requests of APIs that change nothing destructive (no deletes), to truncate and flip. */
function validFrames(correlationId: number): Buffer[] {
  const c = { correlationId, clientId: 'fuzz' }
  return [
    encodeRequest(18, 3, c, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }),
    encodeRequest(3, 9, c, { topics: [{ name: 't' }], allowAutoTopicCreation: false }),
    encodeRequest(1, 12, c, {
      maxWaitMs: 10,
      minBytes: 1,
      maxBytes: 1024,
      topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] }],
    }),
    encodeRequest(0, 9, c, { acks: 1, timeoutMs: 100, topicData: [{ name: 'fuzzed', partitionData: [{ index: 0, records: batch(0) }] }] }),
    encodeRequest(11, 7, c, {
      groupId: 'fuzz-group',
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 100,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }],
    }),
    encodeRequest(8, 8, c, {
      groupId: 'fuzz-group',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: 'x' }] }],
    }),
    encodeRequest(32, 4, c, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }] }),
    encodeRequest(2, 5, c, { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }),
  ]
}

function fuzzBytes(rand: () => number, i: number): Buffer {
  const pick = Math.floor(rand() * 7)
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)))
  const frames = validFrames(i)
  const valid = frames[Math.floor(rand() * frames.length)] as Buffer
  switch (pick) {
    case 0: // random bytes
      return bytes(1 + Math.floor(rand() * 2048))
    case 1: // a valid frame cut short (the peer then goes away)
      return valid.subarray(0, Math.floor(rand() * valid.length))
    case 2: {
      // a valid frame with bytes flipped after the size prefix
      const copy = Buffer.from(valid)
      for (let k = 0; k < 1 + rand() * 8; k++) {
        const at = 4 + Math.floor(rand() * (copy.length - 4))
        copy[at] = (copy[at] as number) ^ (1 + Math.floor(rand() * 255))
      }
      return copy
    }
    case 3: {
      // an absurd size prefix: negative, over the limit, or huge
      const prefix = Buffer.alloc(4)
      const sizes = [-1, -2147483648, 2147483647, MAX_REQUEST_BYTES + 1, 1 << 30]
      prefix.writeInt32BE(sizes[Math.floor(rand() * sizes.length)] as number)
      return Buffer.concat([prefix, bytes(Math.floor(rand() * 64))])
    }
    case 4: {
      // an unknown API key or an unsupported version, valid header
      const copy = Buffer.from(valid)
      if (rand() < 0.5) copy.writeInt16BE(100 + Math.floor(rand() * 30000), 4)
      else copy.writeInt16BE(50 + Math.floor(rand() * 1000), 6)
      return copy
    }
    case 5: {
      // a valid header with a random body of the claimed size
      const body = bytes(Math.floor(rand() * 512))
      const header = valid.subarray(4, 14 + Math.max(0, valid.readInt16BE(12)))
      const size = Buffer.alloc(4)
      size.writeInt32BE(header.length + body.length)
      return Buffer.concat([size, header, body])
    }
    default: // a claimed size larger than what is sent, then silence
      return Buffer.concat([Buffer.from([0, 0, 0x10, 0]), bytes(100)])
  }
}

function attack(port: number, payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1')
    socket.on('error', () => undefined)
    socket.on('data', () => undefined)
    const done = () => {
      socket.destroy()
      resolve()
    }
    socket.on('close', done)
    socket.on('connect', () => {
      socket.write(payload)
      setTimeout(done, 20 + (payload.length % 80))
    })
  })
}

let s: Served
afterEach(() => s.close())

test(`fuzzed frames close only their own connections and lose nothing (seed ${SEED}, ${RUNS} connections)`, async () => {
  s = await serve({
    storage: 'file',
    broker: { numPartitions: 1, autoCreateTopics: false },
    server: { maxRequestBytes: MAX_REQUEST_BYTES },
  })
  await s.broker.createTopics([
    { topic: 't', numPartitions: 1 },
    { topic: 'fuzzed', numPartitions: 1 },
  ])
  const port = s.server.address.port
  const good = await rawClient(port)
  const produce = (id: number, i: number) =>
    encodeRequest(
      0,
      7,
      { correlationId: id, clientId: 'good' },
      { acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch(i) }] }] },
    )
  // Written before the fuzzing starts.
  for (let i = 0; i < 100; i++) good.send(produce(i, i))
  await good.waitFrames(100)
  const memoryBefore = process.memoryUsage()
  let memoryPeak = 0
  const rand = random(SEED)
  let next = 0
  let goodWrites = 100
  let goodAnswers = 100
  const fuzzers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < RUNS) {
      const i = next++
      await attack(port, fuzzBytes(rand, i))
    }
  })
  // The well-behaved client keeps producing and being answered, in order, while the fuzzing runs.
  let fuzzing = true
  const control = (async () => {
    while (fuzzing) {
      good.send(produce(goodWrites, goodWrites))
      goodWrites++
      const frames = await good.waitFrames(goodWrites, 10_000)
      const last = frames[frames.length - 1] as Buffer
      expect(readResponseCorrelationId(last)).toBe(goodWrites - 1)
      expect(decodeResponse(0 as ApiKey, 7, last).body).toMatchObject({
        responses: [{ partitionResponses: [{ errorCode: 0, baseOffset: goodWrites - 1 }] }],
      })
      goodAnswers = frames.length
      const m = process.memoryUsage()
      memoryPeak = Math.max(memoryPeak, m.heapUsed + m.arrayBuffers - (memoryBefore.heapUsed + memoryBefore.arrayBuffers))
      await sleep(5)
    }
  })()
  try {
    await Promise.all(fuzzers)
  } finally {
    fuzzing = false
  }
  await control
  expect(goodAnswers).toBe(goodWrites)
  expect(good.socket.destroyed).toBe(false)
  good.end()
  const stored = await readAll(s.broker, 't', 0)
  expect(stored.map((r) => r.value)).toEqual(Array.from({ length: goodWrites }, (_, i) => `v${i}`))
  expect(memoryPeak).toBeLessThan(MEMORY_BOUND_BYTES)
  // Nothing is left behind: every fuzzing connection is closed (by the server, or by the peer).
  // (polled: a loaded machine may take more than a moment to see every peer's close)
  await waitUntil(() => s.server.connectionCount === 0, 10_000)
}, 120_000)
