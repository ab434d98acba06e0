import { connect as tlsConnect } from 'node:tls'
import { Tributary } from '@tributary/client'
import type { ClusterNode, ClusterNodeOptions } from '@tributary/cluster'
import { startTcpCluster } from '@tributary/cluster/testing'
import { consoleLogger, encodeRecordBatch, TributaryError } from '@tributary/core'
import { eventually, makeTestCertificate, waitUntil } from '@tributary/core/testing'
import { peerNonce, peerProof } from '@tributary/core/net'
import { EntryType, MessageType, emptyMessage, type Message } from '@tributary/raft'
import { errorCode, openRaw, raftFrame, type RawSocket, waitClosed } from './hostile-kit'

/*
 * The hostile-client and hostile-peer suite (issue 18): the probes that once took a cluster apart,
 * each against a three-node cluster whose ports are secured (TLS, a cluster secret, SCRAM and
 * PLAIN users, an ACL), made with raw sockets. Each probe must be refused with a typed error or a
 * closed connection, and must change nothing: topics, membership, terms and leaders stay.
 */

jest.setTimeout(60_000)

const SECRET = 'a cluster secret of more than sixteen characters'
const USERS = [
  { username: 'admin', password: 'admin-secret' },
  { username: 'reader', password: 'reader-secret' },
]
let cert: Buffer
/** What the nodes logged: every refused connection is one line. */
const logged: string[] = []
let nodes: ClusterNode[]
let addresses: string[]
const portOf = (i: number): number => Number(addresses[i]?.split(':')[1])

beforeAll(async () => {
  const { cert: c, key } = makeTestCertificate()
  cert = c
  const security: ClusterNodeOptions['security'] = {
    tls: { server: { cert, key }, client: { ca: [cert], servername: 'localhost' } },
    clusterSecret: SECRET,
    sasl: { users: USERS },
    acl: [
      { principal: 'admin', operations: '*' },
      { principal: 'reader', operations: ['fetch', 'describe', 'group'] },
    ],
  }
  ;({ nodes, addresses } = await startTcpCluster(3, { security, logger: consoleLogger({ write: (line) => void logged.push(line) }) }))
  const admin = await connectAs('admin', 'admin-secret')
  try {
    await eventually(async () => {
      await admin.admin().createTopics({ topics: [{ topic: 'victim', numPartitions: 1, replicationFactor: 3 }] })
      return true
    })
    await admin.producer({ acks: 'all' }).send({ topic: 'victim', messages: [{ value: 'precious' }] })
  } finally {
    await admin.close()
  }
})
afterAll(async () => {
  await Promise.all((nodes ?? []).map((n) => n.close()))
})

function connectAs(username: string, password: string, mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' = 'scram-sha-512') {
  return Tributary.connect({
    brokers: addresses,
    ssl: { ca: [cert], servername: 'localhost' },
    sasl: { mechanism, username, password },
    requestTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
  })
}

async function topics(): Promise<string[]> {
  return (await nodes[0]!.metadata()).topics.map((t) => t.name).sort()
}

describe('clients', () => {
  test('a client with SCRAM or PLAIN credentials over TLS produces and reads; the ACL keeps a reader from admin and writes', async () => {
    const admin = await connectAs('admin', 'admin-secret', 'scram-sha-256')
    const reader = await connectAs('reader', 'reader-secret', 'plain')
    try {
      await admin.producer({ acks: 'all' }).send({ topic: 'victim', messages: [{ value: 'more' }] })
      const meta = await reader.admin().fetchTopicMetadata({ topics: ['victim'] })
      expect(meta.topics[0]?.name ?? meta.topics[0]).toBeTruthy()
      const refused = await reader
        .admin()
        .deleteTopics({ topics: ['victim'] })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(refused).toBeInstanceOf(TributaryError)
      expect((refused as TributaryError).code).toBe('TOPIC_AUTHORIZATION_FAILED')
      const write = await reader
        .producer({ acks: 'all', retry: { retries: 0 } })
        .send({ topic: 'victim', messages: [{ value: 'not allowed' }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect((write as TributaryError)?.code).toBe('TOPIC_AUTHORIZATION_FAILED')
      expect(await topics()).toContain('victim')
    } finally {
      await Promise.all([admin.close(), reader.close()])
    }
  })

  test('wrong credentials fail with SASL_AUTHENTICATION_FAILED', async () => {
    const client = await connectAs('admin', 'not the password')
    try {
      const e = await client
        .admin()
        .listTopics()
        .then(
          () => undefined,
          (err: unknown) => err,
        )
      expect((e as TributaryError)?.code).toBe('SASL_AUTHENTICATION_FAILED')
    } finally {
      await client.close()
    }
  })

  test('a raw socket that did not authenticate cannot create or delete topics: refused, then closed', async () => {
    const before = await topics()
    const s = await openRaw(portOf(0), cert)
    const created = await s.call('createTopics', [[{ topic: 'evil', numPartitions: 1, replicationFactor: 1 }]])
    expect(errorCode(created)).toBe('SASL_AUTHENTICATION_FAILED')
    expect(await waitClosed(s, 5_000)).toBe(true)
    const s2 = await openRaw(portOf(1), cert)
    const deleted = await s2.call('deleteTopics', [['victim']])
    expect(errorCode(deleted)).toBe('SASL_AUTHENTICATION_FAILED')
    expect(await waitClosed(s2, 5_000)).toBe(true)
    expect(await topics()).toEqual(before)
  })

  test('plaintext bytes on a TLS port get no answer and the connection is closed', async () => {
    const s = await openRaw(portOf(0))
    const answer = s.call('metadata', [{}]).then(
      () => 'answered',
      () => 'closed',
    )
    expect(await answer).toBe('closed')
  })
})

describe('peers', () => {
  /** joinProbe asks a node to re-point node 2 and to admit node 99 (the issue's `peer:join` probes). */
  async function joinProbes(s: RawSocket): Promise<Array<string | undefined>> {
    const out: Array<string | undefined> = []
    for (const args of [
      [99, { host: '127.0.0.1', port: 1 }],
      [2, { host: '127.0.0.1', port: 1 }],
    ]) {
      const r = await s.call('peer:join', args).catch(() => undefined)
      out.push(r === undefined ? 'closed' : errorCode(r))
      if (s.isClosed()) break
    }
    return out
  }

  test('peer calls on a connection that did not prove the cluster secret are refused: no join, no re-pointing', async () => {
    const s = await openRaw(portOf(0), cert)
    expect((await joinProbes(s))[0]).toBe('CLUSTER_AUTHORIZATION_FAILED')
    // A SASL-authenticated client is still not a peer.
    const c = await openRaw(portOf(0), cert)
    expect(errorCode(await c.call('$sasl:handshake', ['PLAIN']))).toBeUndefined()
    expect(errorCode(await c.call('$sasl:authenticate', [Buffer.from('\0admin\0admin-secret')]))).toBeUndefined()
    expect(errorCode(await c.call('peer:join', [99, { host: '127.0.0.1', port: 1 }]))).toBe('CLUSTER_AUTHORIZATION_FAILED')
    expect(
      errorCode(
        await c.call('peer:produce', [{ acks: -1, timeoutMs: 100, partitions: [] }]).catch(() => ({ id: 0, e: { code: 'closed' } })),
      ),
    ).toMatch(/CLUSTER_AUTHORIZATION_FAILED|closed/)
    c.close()
    for (const n of nodes) {
      expect(n.ctx.state.brokers.has(99)).toBe(false)
      expect(n.ctx.state.brokers.get(2)?.port).toBe(portOf(1))
    }
  })

  test('a wrong proof of the cluster secret is refused and closes the connection', async () => {
    const s = await openRaw(portOf(0), cert)
    const hello = await s.call('$hello')
    const nonceA = (hello.v as { nonce: Buffer }).nonce
    const nonceD = peerNonce()
    const forged = peerProof('not the cluster secret at all', 'dialer', 'peer-rpc', nonceA, nonceD, 2)
    expect(errorCode(await s.call('$peer:auth', [2, nonceD, forged]))).toBe('CLUSTER_AUTHORIZATION_FAILED')
    expect(await waitClosed(s, 5_000)).toBe(true)
  })

  /** asPeer opens a connection to node 1's client port that proved the secret as node `id`. */
  async function asPeer(id: number, nodeIndex = 0): Promise<RawSocket> {
    const s = await openRaw(portOf(nodeIndex), cert)
    const nonceA = ((await s.call('$hello')).v as { nonce: Buffer }).nonce
    const nonceD = peerNonce()
    expect(errorCode(await s.call('$peer:auth', [id, nonceD, peerProof(SECRET, 'dialer', 'peer-rpc', nonceA, nonceD, id)]))).toBeUndefined()
    return s
  }

  test('a node that proves the secret joins only as itself, and cannot re-point an existing node id', async () => {
    const s = await asPeer(7)
    expect(errorCode(await s.call('peer:join', [7, { host: '127.0.0.1', port: 'x' }]))).toBe('INVALID_REQUEST')
    expect(errorCode(await s.call('peer:join', [7, { host: '127.0.0.1', port: 1e300 }]))).toBe('INVALID_REQUEST')
    expect(errorCode(await s.call('peer:join', [99, { host: '127.0.0.1', port: 1 }]))).toBe('CLUSTER_AUTHORIZATION_FAILED')
    expect(await waitClosed(s, 5_000)).toBe(true)
    const s2 = await asPeer(2)
    expect(errorCode(await s2.call('peer:join', [2, { host: '127.0.0.1', port: 1 }]))).toBe('DUPLICATE_BROKER_REGISTRATION')
    s2.close()
    expect(nodes[0]!.ctx.state.brokers.has(99)).toBe(false)
    expect(nodes[0]!.ctx.state.brokers.get(2)?.port).toBe(portOf(1))
  })

  test("a peer cannot move another node through the metadata leader's registerBroker either", async () => {
    const leader = nodes[0]!.status().metaLeader
    const s = await asPeer(3, leader - 1)
    const moved = await s.call('peer:meta:registerBroker', [leader === 2 ? 1 : 2, { host: '127.0.0.1', port: 1 }])
    expect(errorCode(moved)).toBe('CLUSTER_AUTHORIZATION_FAILED')
    s.close()
    const s2 = await asPeer(3, leader - 1)
    expect(errorCode(await s2.call('peer:meta:registerBroker', [3, { host: '127.0.0.1', port: 1e300 }]))).toBe('INVALID_REQUEST')
    s2.close()
    for (const n of nodes) for (const id of [1, 2, 3]) expect(n.ctx.state.brokers.get(id)?.port).toBe(portOf(id - 1))
  })
})

describe('Raft port', () => {
  const raftPort = (i: number): number => nodes[i]!.raftPort
  const leaderState = () => {
    const leader = nodes[0]!.status().metaLeader
    const term = nodes.map((n) => n.ctx.host.group('meta')?.status().term ?? -1)
    return { leader, term: Math.max(...term) }
  }
  const heartbeat = (from: number, to: number, term: number): Message =>
    ({ ...emptyMessage, type: MessageType.Heartbeat, from, to, term }) as Message
  const deleteTopicEntry = (from: number, to: number, term: number): Message =>
    ({
      ...emptyMessage,
      type: MessageType.App,
      from,
      to,
      term,
      logTerm: term,
      index: 1_000_000,
      entries: [
        { index: 1_000_001, term, type: EntryType.Normal, data: Buffer.from(JSON.stringify({ op: 'deleteTopic', topic: 'victim' })) },
      ],
    }) as unknown as Message

  async function rawRaft(i: number): Promise<{ closed: Promise<void>; write: (b: Buffer) => void; first: Promise<Buffer> }> {
    const socket = tlsConnect({ host: '127.0.0.1', port: raftPort(i), ca: [cert], servername: 'localhost' })
    socket.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve())
      socket.once('error', reject)
    })
    const first = new Promise<Buffer>((resolve) => socket.once('data', resolve))
    return { closed: new Promise((resolve) => socket.once('close', () => resolve())), write: (b) => void socket.write(b), first }
  }

  test('forged heartbeats with term + 1000 and forged AppendEntries deleting a topic, without the secret: the connection is closed, nothing changes', async () => {
    const before = leaderState()
    expect(before.leader).toBeGreaterThan(0)
    for (let i = 0; i < 3; i++) {
      const s = await rawRaft(i)
      await s.first // the acceptor's nonce
      const other = i === 0 ? 2 : 1
      s.write(raftFrame('meta', [heartbeat(other, i + 1, before.term + 1000), deleteTopicEntry(other, i + 1, before.term + 1000)]))
      expect(await waitClosed(s, 5_000)).toBe(true)
    }
    // A bad handshake (a wrong proof) is refused too.
    const s = await rawRaft(0)
    const nonceA = await s.first
    const hello = Buffer.alloc(4)
    hello.writeUInt32BE(2)
    const nonceD = peerNonce()
    s.write(Buffer.concat([hello, nonceD, peerProof('wrong secret, sixteen chars', 'dialer', 'raft', nonceA.subarray(0, 32), nonceD, 2)]))
    expect(await waitClosed(s, 5_000)).toBe(true)
    await new Promise((r) => setTimeout(r, 300))
    const after = leaderState()
    expect(after.term).toBe(before.term)
    expect(after.leader).toBe(before.leader)
    expect(await topics()).toContain('victim')
    expect(logged.some((l) => l.includes('Raft listener closed a connection: peer authentication failed'))).toBe(true)
  })

  test('an authenticated peer cannot speak for another node, nor send a term of 1e300', async () => {
    const before = leaderState()
    for (const forged of [heartbeat(3, 1, before.term), heartbeat(2, 1, 1e300)]) {
      const s = await rawRaft(0)
      const nonceA = (await s.first).subarray(0, 32)
      const hello = Buffer.alloc(4)
      hello.writeUInt32BE(2)
      const nonceD = peerNonce()
      s.write(Buffer.concat([hello, nonceD, peerProof(SECRET, 'dialer', 'raft', nonceA, nonceD, 2)]))
      s.write(raftFrame('meta', [forged]))
      expect(await waitClosed(s, 5_000)).toBe(true)
    }
    const after = leaderState()
    expect(after.term).toBe(before.term)
    expect(Number.isSafeInteger(after.term)).toBe(true)
    expect(logged.some((l) => l.includes('refused a Raft message: from node 3 on a connection authenticated as node 2'))).toBe(true)
    expect(logged.some((l) => /refused a Raft message: term 1e\+300 is not an integer/.test(l))).toBe(true)
  })
})

test('after every probe the cluster still works for a legitimate client', async () => {
  const admin = await connectAs('admin', 'admin-secret')
  try {
    const batch = encodeRecordBatch([{ key: null, value: Buffer.from('after'), timestamp: 1, headers: [] }] as never)
    const leader = await waitUntil(() => nodes.find((n) => n.status().leaderOf.includes('victim/0')))
    const [r] = await leader.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 'victim', partition: 0, batch }] })
    expect(r?.error).toBeUndefined()
    const consumer = admin.consumer({ groupId: 'after-probes', maxWaitMs: 100 })
    await consumer.subscribe({ topics: ['victim'], fromBeginning: true })
    const seen: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
    await waitUntil(() => seen.includes('after'), 20_000)
    expect(seen[0]).toBe('precious')
    await consumer.disconnect()
  } finally {
    await admin.close()
  }
})
