import { type Socket, connect } from 'node:net'
import { Tributary } from '@tributary/client'
import type { ClusterNode } from '@tributary/cluster'
import { BROKER_ARGS, startTcpCluster } from '@tributary/cluster/testing'
import { consoleLogger } from '@tributary/core'
import { FrameReader, encodeFrame, type WireHeader } from '@tributary/core/internal'
import { EntryType, MessageType, emptyMessage, type Message } from '@tributary/raft'
import { waitUntil } from '@tributary/core/testing'
import { raftFrame } from './hostile-kit'

/*
 * Fuzzing a cluster node's two listeners (the client port and the Raft port): connections send
 * random bytes, truncated and bit-flipped valid frames, absurd length prefixes, known methods with
 * random arguments, unknown methods, and frames begun and never finished. Throughout, a client
 * keeps producing through Tributary.connect and must always be answered; afterwards every message
 * it wrote is there in order, no answer was UNKNOWN_SERVER_ERROR, no request reached the node's
 * "failed unexpectedly" safety net, the metadata group kept its leader and term, and the test
 * process's memory stayed under a stated bound. CLUSTER_FUZZ_SEED and CLUSTER_FUZZ_RUNS vary it.
 */

const SEED = Number(process.env.CLUSTER_FUZZ_SEED ?? Date.now() % 1_000_000)
const RUNS = Number(process.env.CLUSTER_FUZZ_RUNS ?? 600)
const CONCURRENCY = 16
/** The memory the fuzzing may add to the test process (node and clients), heap plus buffers. */
const MEMORY_BOUND_BYTES = 128 * 1024 * 1024
const MAX_FRAME_BYTES = 1024 * 1024

jest.setTimeout(180_000)

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

/** A random JSON-ish value: what a hostile client may put in any field. */
function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 2 ? 8 : 11))
  const numbers = [-1, 0, 1, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e300, 0.5, Number.NaN, 65536]
  switch (pick) {
    case 0:
      return null
    case 1:
      return numbers[Math.floor(rand() * numbers.length)]
    case 2:
      return Math.floor(rand() * 10)
    case 3:
      return ['t', '', 'fuzz-group', '../x', 'a'.repeat(300), '__proto__', 'constructor'][Math.floor(rand() * 7)]
    case 4:
      return rand() < 0.5
    case 5:
      return { $b: Math.floor(rand() * 3) }
    case 6:
      return { $e: { code: 'toString', message: 1 } }
    case 7:
      return 't'
    case 8:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1))
    default: {
      const keys = [
        'topic',
        'partition',
        'offset',
        'maxBytes',
        'partitions',
        'groupId',
        'memberId',
        'batch',
        'acks',
        'timeoutMs',
        'numPartitions',
        'replicationFactor',
        'generationId',
        'offsets',
        'maxWaitMs',
        'minBytes',
        'topics',
        'protocols',
        '__proto__',
      ]
      const o: Record<string, unknown> = {}
      for (let k = 0; k < 1 + rand() * 5; k++) o[keys[Math.floor(rand() * keys.length)] as string] = randomValue(rand, depth + 1)
      return o
    }
  }
}

// Every call the client port serves, but the two that would move partitions or remove a node from
// the cluster under the well-behaved client (random arguments can be valid ones), and the two
// connection-level calls.
const METHODS = [
  ...Object.keys(BROKER_ARGS).filter((m) => m !== 'alterPartitionReassignments' && m !== 'unregisterBroker'),
  '$hello',
  '$cancel',
]

/** Valid requests that change nothing destructive, to truncate and flip. */
function validFrames(id: number): Buffer[] {
  return [
    encodeFrame({ id, m: 'metadata', a: [{ topics: ['t'] }] }),
    encodeFrame({ id, m: 'fetch', a: [{ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1024 }], maxWaitMs: 5 }] }),
    encodeFrame({ id, m: 'listOffsets', a: [[{ topic: 't', partition: 0, timestamp: -1 }]] }),
    encodeFrame({ id, m: 'fetchOffsets', a: ['fuzz-group', null] }),
    encodeFrame({ id, m: 'describeConfigs', a: ['t'] }),
  ]
}

function clientFuzz(rand: () => number, i: number): Buffer {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)))
  const frames = validFrames(i)
  const valid = frames[Math.floor(rand() * frames.length)] as Buffer
  switch (Math.floor(rand() * 8)) {
    case 0:
      return bytes(1 + Math.floor(rand() * 2048))
    case 1:
      return valid.subarray(0, Math.floor(rand() * valid.length))
    case 2: {
      const copy = Buffer.from(valid)
      for (let k = 0; k < 1 + rand() * 8; k++) {
        const at = 4 + Math.floor(rand() * (copy.length - 4))
        copy[at] = (copy[at] as number) ^ (1 + Math.floor(rand() * 255))
      }
      return copy
    }
    case 3: {
      const prefix = Buffer.alloc(4)
      prefix.writeUInt32BE([0xffffffff, 0x80000000, MAX_FRAME_BYTES + 1, 1 << 30, 0, 3][Math.floor(rand() * 6)] as number)
      return Buffer.concat([prefix, bytes(Math.floor(rand() * 64))])
    }
    case 4:
    case 5: {
      // Known methods with random arguments, several per connection.
      const out: Buffer[] = []
      for (let k = 0; k < 1 + rand() * 4; k++) {
        const m = METHODS[Math.floor(rand() * METHODS.length)] as string
        const args = Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand))
        out.push(encodeFrame({ id: i * 10 + k, m, a: args }))
      }
      return Buffer.concat(out)
    }
    case 6:
      return encodeFrame({ id: i, m: String.fromCharCode(...bytes(8)), a: [] })
    default:
      return Buffer.concat([Buffer.from([0, 0, 0x10, 0]), bytes(100)])
  }
}

function raftFuzz(rand: () => number, i: number): Buffer {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)))
  const terms = [1, 1000, 2 ** 52 + 1, 1e300, -1, 0.5]
  const m = {
    ...emptyMessage,
    type: Math.floor(rand() * 20),
    from: Math.floor(rand() * 4),
    to: 1,
    term: terms[Math.floor(rand() * terms.length)],
    index: Math.floor(rand() * 5),
    entries: rand() < 0.5 ? [] : [{ index: 1 + Math.floor(rand() * 9), term: 1, type: EntryType.Normal, data: bytes(16) }],
  } as unknown as Message
  if (rand() < 0.3) (m as { type: number }).type = MessageType.Heartbeat
  const valid = raftFrame(`g${i % 3}`, [m])
  switch (Math.floor(rand() * 5)) {
    case 0:
      return bytes(1 + Math.floor(rand() * 2048))
    case 1:
      return valid.subarray(0, Math.floor(rand() * valid.length))
    case 2: {
      const copy = Buffer.from(valid)
      for (let k = 0; k < 1 + rand() * 8; k++) {
        const at = 4 + Math.floor(rand() * (copy.length - 4))
        copy[at] = (copy[at] as number) ^ (1 + Math.floor(rand() * 255))
      }
      return copy
    }
    case 3: {
      const prefix = Buffer.alloc(4)
      prefix.writeUInt32LE([0xffffffff, MAX_FRAME_BYTES + 1, 1 << 30][Math.floor(rand() * 3)] as number)
      return Buffer.concat([prefix, bytes(Math.floor(rand() * 64))])
    }
    default:
      return valid
  }
}

/** attack sends one payload on a new connection, collects what is answered for a moment (longer when answers are collected), and goes. */
function attack(port: number, payload: Buffer, answers: WireHeader[] | null): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1')
    socket.on('error', () => undefined)
    const reader = new FrameReader(1 << 30)
    socket.on('data', (chunk: Buffer) => {
      if (answers === null) return
      try {
        reader.push(chunk, (h) => answers.push(h))
      } catch {
        answers.push({ id: -1, e: { code: 'UNREADABLE_ANSWER' } })
      }
    })
    const done = () => {
      socket.destroy()
      resolve()
    }
    socket.on('close', done)
    socket.on('connect', () => {
      socket.write(payload)
      setTimeout(done, (answers === null ? 30 : 300) + (payload.length % 80))
    })
  })
}

test(`fuzzed frames on the client and Raft ports close only their own connections; nothing is lost (seed ${SEED}, ${RUNS} connections each)`, async () => {
  const logged: string[] = []
  const { nodes } = await startTcpCluster(1, {
    security: { limits: { maxFrameBytes: MAX_FRAME_BYTES, frameTimeoutMs: 2_000 } },
    logger: consoleLogger({ level: 'warn', write: (l) => void logged.push(l) }),
  })
  const node = nodes[0] as ClusterNode
  const tb = await Tributary.connect({ brokers: [node.address] })
  try {
    await tb.admin().createTopics({ topics: [{ topic: 't', numPartitions: 1, replicationFactor: 1 }] })
    const meta = () => node.ctx.host.group('meta')?.status()
    const before = meta()
    const producer = tb.producer({ acks: 'all', lingerMs: 0 })
    const clientPort = Number(node.address.split(':')[1])
    const memoryBefore = process.memoryUsage()
    let memoryPeak = 0
    const rand = random(SEED)
    const answers: WireHeader[] = []
    let next = 0
    const fuzzers = Array.from({ length: CONCURRENCY }, async () => {
      while (next < RUNS * 2) {
        const i = next++
        if (i % 2 === 0) await attack(clientPort, clientFuzz(rand, i), answers)
        else await attack(node.raftPort, raftFuzz(rand, i), null)
      }
    })
    let fuzzing = true
    let written = 0
    const control = (async () => {
      while (fuzzing) {
        await producer.send({ topic: 't', messages: [{ value: `v${written}` }] })
        written++
        const m = process.memoryUsage()
        memoryPeak = Math.max(memoryPeak, m.heapUsed + m.arrayBuffers - (memoryBefore.heapUsed + memoryBefore.arrayBuffers))
      }
    })()
    try {
      await Promise.all(fuzzers)
    } finally {
      fuzzing = false
    }
    await control
    expect(written).toBeGreaterThan(0)
    const seen: string[] = []
    const consumer = tb.consumer({ groupId: 'after-fuzz', maxWaitMs: 50 })
    await consumer.subscribe({ topics: ['t'], fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
    await waitUntil(() => seen.length >= written, 30_000)
    await consumer.disconnect()
    expect(seen.slice(0, written)).toEqual(Array.from({ length: written }, (_, i) => `v${i}`))
    const codes = answers.map((h) => (h.e as { code?: string } | undefined)?.code)
    expect(codes.filter((c) => c === 'UNKNOWN_SERVER_ERROR' || c === 'UNREADABLE_ANSWER')).toEqual([])
    expect(logged.filter((l) => l.includes('failed unexpectedly'))).toEqual([])
    const after = meta()
    expect(after?.term).toBe(before?.term)
    expect(after?.leader).toBe(before?.leader)
    expect(memoryPeak).toBeLessThan(MEMORY_BOUND_BYTES)
    process.stderr.write(
      `cluster fuzz seed ${SEED}: ${RUNS * 2} connections, ${answers.length} answers, ${written} good writes, memory peak +${Math.round(memoryPeak / 1048576)} MiB\n`,
    )
  } finally {
    await tb.close()
    await node.close()
  }
})
