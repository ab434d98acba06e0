import { type Socket, connect } from 'node:net'
import { Tributary } from '@tributary/client'
import type { ClusterNode } from '@tributary/cluster'
import { startTcpCluster } from '@tributary/cluster/testing'
import { consoleLogger, encodeRecordBatch } from '@tributary/core'
import { peerNonce } from '@tributary/core/net'
import { waitUntil } from '@tributary/core/testing'
import { errorCode, openRaw, waitClosed } from './hostile-kit'

/*
 * The limits of a cluster node's two listeners (the client port and the Raft port), each tried
 * with real connections: connections per address and in total, the frame size checked on the
 * length prefix, the bytes of incomplete frames held over all connections, slowloris frames, idle
 * connections, connections that never authenticate; and fetches cut to fit the frame.
 */

jest.setTimeout(60_000)

const LIMITS = {
  maxFrameBytes: 64 * 1024,
  maxBufferedBytes: 160 * 1024,
  maxConnections: 12,
  maxConnectionsPerAddress: 8,
  idleTimeoutMs: 1_500,
  frameTimeoutMs: 2_000,
  authenticationTimeoutMs: 700,
}

let node: ClusterNode
const logged: string[] = []
const clientPort = (): number => Number(node.address.split(':')[1])

beforeAll(async () => {
  const { nodes } = await startTcpCluster(1, {
    security: { limits: LIMITS },
    logger: consoleLogger({ level: 'info', write: (l) => void logged.push(l) }),
  })
  node = nodes[0] as ClusterNode
  // With no TLS, secret or SASL the node binds loopback only, and says so.
  expect(logged.some((l) => l.includes('INFO') && l.includes('bound to loopback only'))).toBe(true)
})
afterAll(() => node?.close())

/** dial opens a plain TCP connection from `localAddress` and resolves once connected. */
async function dial(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<void>; isClosed: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port, localAddress })
  socket.on('error', () => undefined)
  // Read (and drop) what the server sends, so that its close is seen.
  socket.resume()
  let ended = false
  const closed = new Promise<void>((resolve) => socket.once('close', () => ((ended = true), resolve())))
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve())
    socket.once('close', () => resolve())
  })
  return { socket, closed, isClosed: () => ended }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The two listeners, and a frame prefix of `bytes` in each one's framing (big-endian on the client port, little-endian on Raft). */
const LISTENERS = [
  {
    name: 'client port',
    port: () => clientPort(),
    prefix: (bytes: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32BE(bytes)
      return b
    },
  },
  {
    name: 'Raft port',
    port: () => node.raftPort,
    prefix: (bytes: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(bytes)
      return b
    },
  },
]

describe.each(LISTENERS)('$name', ({ name, port, prefix }) => {
  test('connections beyond maxConnectionsPerAddress and maxConnections are closed at once; freed slots are reused', async () => {
    const open = []
    for (let i = 0; i < LIMITS.maxConnectionsPerAddress; i++) open.push(await dial(port()))
    const extra = await dial(port())
    expect(await waitClosed(extra, 2_000)).toBe(true)
    // Other source addresses (127.0.0.0/8 is all loopback) fill the listener up to maxConnections.
    const others = []
    for (let i = 0; i < LIMITS.maxConnections - LIMITS.maxConnectionsPerAddress; i++) others.push(await dial(port(), `127.0.0.${2 + i}`))
    const over = await dial(port(), '127.0.0.99')
    expect(await waitClosed(over, 2_000)).toBe(true)
    await sleep(100)
    expect([...open, ...others].every((c) => !c.isClosed())).toBe(true)
    // A freed slot admits a new connection.
    open[0]?.socket.destroy()
    await open[0]?.closed
    await sleep(50)
    const again = await dial(port())
    expect(await waitClosed(again, 300)).toBe(false)
    for (const c of [...open, ...others, again]) c.socket.destroy()
    await sleep(100)
    expect(logged.some((l) => l.includes('refused a connection') && l.includes('maxConnectionsPerAddress'))).toBe(true)
    expect(logged.some((l) => l.includes('refused a connection') && l.includes('(maxConnections)'))).toBe(true)
  })

  test('a frame over maxFrameBytes is refused on its length prefix, before any of it is sent', async () => {
    const c = await dial(port())
    c.socket.write(prefix(LIMITS.maxFrameBytes + 1))
    expect(await waitClosed(c, 2_000)).toBe(true)
    const c2 = await dial(port())
    c2.socket.write(prefix(0xffffffff))
    expect(await waitClosed(c2, 2_000)).toBe(true)
    expect(logged.some((l) => l.includes(name === 'Raft port' ? 'frame over maxFrameBytes' : 'exceeds 65536'))).toBe(true)
  })

  test('incomplete frames are bounded over all connections (maxBufferedBytes)', async () => {
    // Each holds 60 KiB of a 64 KiB frame: two fit in 160 KiB, the third passes it and is closed.
    const part = Buffer.concat([prefix(LIMITS.maxFrameBytes - 4), Buffer.alloc(60 * 1024 - 4, 1)])
    const conns = []
    const ports: Array<number | undefined> = []
    for (let i = 0; i < 3; i++) {
      const c = await dial(port())
      ports.push(c.socket.localPort)
      c.socket.write(part)
      conns.push(c)
      await sleep(100)
    }
    expect(conns.map((c) => c.isClosed())).toEqual([false, false, true])
    const third = new RegExp(`remote=127\\.0\\.0\\.1:${ports[2]}( |$)`)
    expect(logged.some((l) => l.includes('too many bytes of incomplete frames') && third.test(l))).toBe(true)
    for (const c of conns) c.socket.destroy()
    await sleep(100)
  })

  test('a slowloris frame (a byte every 100 ms) is closed after frameTimeoutMs', async () => {
    const c = await dial(port())
    c.socket.write(prefix(1000))
    const trickle = setInterval(() => c.socket.write(Buffer.from([1])), 100)
    try {
      const started = Date.now()
      expect(await waitClosed(c, 5_000)).toBe(true)
      expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.frameTimeoutMs - 50)
    } finally {
      clearInterval(trickle)
    }
  })

  test('a connection that sends nothing is closed after idleTimeoutMs', async () => {
    const c = await dial(port())
    expect(await waitClosed(c, LIMITS.idleTimeoutMs / 2)).toBe(false)
    expect(await waitClosed(c, LIMITS.idleTimeoutMs * 3)).toBe(true)
  })
})

test('client port: a request that is not a well-formed frame closes its connection with a log line; bad arguments are INVALID_REQUEST, a bad fetch size INVALID_ARGUMENT', async () => {
  const s = await openRaw(clientPort())
  // A structurally valid frame whose arguments are of the wrong kinds.
  expect(errorCode(await s.call('createTopics', ['not a list']))).toBe('INVALID_REQUEST')
  // maxBytes of -1 or "big": a typed INVALID_ARGUMENT, never an empty answer (NaN is null in JSON:
  // not given, so the default; the remote client refuses NaN before sending, see the conformance suite).
  for (const maxBytes of [-1, Number.NaN, 'big', 1.5])
    expect(errorCode(await s.call('fetch', [{ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 }], maxBytes }]))).toBe(
      Number.isNaN(maxBytes) ? undefined : 'INVALID_ARGUMENT',
    )
  expect(errorCode(await s.call('fetch', [{ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: -5 }] }]))).toBe(
    'INVALID_ARGUMENT',
  )
  expect(errorCode(await s.call('no such method', []))).toBe('INVALID_REQUEST')
  // A frame whose header is not JSON: the stream cannot be trusted any more.
  const junk = Buffer.from('{not json')
  const frame = Buffer.alloc(8)
  frame.writeUInt32BE(4 + junk.length, 0)
  frame.writeUInt32BE(junk.length, 4)
  s.write(Buffer.concat([frame, junk]))
  expect(await waitClosed(s, 2_000)).toBe(true)
  expect(logged.some((l) => l.includes('client port closed a connection: bad frame'))).toBe(true)
})

test('client port: a long poll in flight is not idleness', async () => {
  const s = await openRaw(clientPort())
  await s.call('createTopics', [[{ topic: 'long-poll', numPartitions: 1, replicationFactor: 1 }]])
  const fetched = s.call('fetch', [
    { partitions: [{ topic: 'long-poll', partition: 0, offset: 0, maxBytes: 1024 }], maxWaitMs: LIMITS.idleTimeoutMs * 2, minBytes: 1 },
  ])
  expect(await waitClosed(s, LIMITS.idleTimeoutMs + 500)).toBe(false)
  const answer = await fetched
  expect(answer.e).toBeUndefined()
  s.close()
})

test('a fetch with maxBytes far above the frame limit is cut to fit: a consumer reads every message of a partition many frames long', async () => {
  const tb = await Tributary.connect({ brokers: [node.address] })
  try {
    await tb.admin().createTopics({ topics: [{ topic: 'big', numPartitions: 1, replicationFactor: 1 }] })
    const value = Buffer.alloc(20 * 1024, 7)
    const leader = await waitUntil(() => node.status().leaderOf.includes('big/0') || undefined)
    expect(leader).toBe(true)
    for (let i = 0; i < 20; i++) {
      const batch = encodeRecordBatch([{ key: Buffer.from(String(i)), value, timestamp: 1, headers: [] }] as never)
      const [r] = await node.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 'big', partition: 0, batch }] })
      expect(r?.error).toBeUndefined()
    }
    // 400 KiB of batches; each response frame may hold at most 64 KiB.
    const s = await openRaw(clientPort())
    const r = await s.call('fetch', [
      { partitions: [{ topic: 'big', partition: 0, offset: 0, maxBytes: 1e9 }], maxBytes: 2 ** 31 - 1, maxWaitMs: 0 },
    ])
    const batches = (r.v as Array<{ batches: Buffer[] }>)[0]?.batches ?? []
    const bytes = batches.reduce((n, b) => n + b.length, 0)
    expect(batches.length).toBeGreaterThan(0)
    expect(bytes).toBeLessThanOrEqual(LIMITS.maxFrameBytes)
    s.close()
    const consumer = tb.consumer({ groupId: 'big-reader', maxBytes: 2 ** 31 - 1, maxBytesPerPartition: 1e9, maxWaitMs: 50 })
    await consumer.subscribe({ topics: ['big'], fromBeginning: true })
    const keys: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void keys.push(String(message.key)) })
    await waitUntil(() => keys.length >= 20, 20_000)
    expect(keys).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
    await consumer.disconnect()
  } finally {
    await tb.close()
  }
})

describe('with authentication on', () => {
  let secured: ClusterNode
  beforeAll(async () => {
    const { nodes } = await startTcpCluster(1, {
      security: {
        limits: LIMITS,
        clusterSecret: 'a secret of at least sixteen chars',
        sasl: { users: [{ username: 'u', password: 'p' }] },
      },
      logger: consoleLogger({ write: (l) => void logged.push(l) }),
    })
    secured = nodes[0] as ClusterNode
  })
  afterAll(() => secured?.close())

  test('client port: a connection that does not authenticate within authenticationTimeoutMs is closed, even while it sends', async () => {
    const s = await openRaw(Number(secured.address.split(':')[1]))
    const keepSending = setInterval(() => void s.call('$hello').catch(() => undefined), 100)
    try {
      expect(await waitClosed(s, LIMITS.authenticationTimeoutMs / 2)).toBe(false)
      expect(await waitClosed(s, LIMITS.authenticationTimeoutMs * 3)).toBe(true)
    } finally {
      clearInterval(keepSending)
    }
    expect(logged.some((l) => l.includes('not authenticated in time'))).toBe(true)
  })

  test('Raft port: a connection that does not finish the handshake within authenticationTimeoutMs is closed', async () => {
    const c = await dial(secured.raftPort)
    c.socket.write(peerNonce().subarray(0, 10))
    expect(await waitClosed(c, LIMITS.authenticationTimeoutMs / 2)).toBe(false)
    expect(await waitClosed(c, LIMITS.authenticationTimeoutMs * 3)).toBe(true)
  })

  test('a client authenticated with PLAIN is served', async () => {
    const tb = await Tributary.connect({ brokers: [secured.address], sasl: { mechanism: 'plain', username: 'u', password: 'p' } })
    try {
      await tb.admin().createTopics({ topics: [{ topic: 'ok', numPartitions: 1, replicationFactor: 1 }] })
      expect(await tb.admin().listTopics()).toContain('ok')
    } finally {
      await tb.close()
    }
  })
})
