import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tributary } from '@tributary/client'
import type { ClusterNode } from '@tributary/cluster'
import { TributaryError } from '@tributary/core'
import { makeTestCertificate } from '@tributary/core/testing'
import { Kafka, logLevel } from 'kafkajs'
import { type ServeOptions, startServe } from './serve'

/*
 * `tributary serve` in cluster mode with the security flags: the TLS certificate, SASL users,
 * cluster secret and ACL given on the command line protect the node's client and Raft ports (and
 * its Kafka listener); without them a routable --listen is refused unless --insecure.
 */

jest.setTimeout(60_000)

let dir: string
let cert: Buffer
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-serve-sec-'))
  const made = makeTestCertificate()
  cert = made.cert
  writeFileSync(join(dir, 'cert.pem'), made.cert)
  writeFileSync(join(dir, 'key.pem'), made.key)
  writeFileSync(
    join(dir, 'users.json'),
    JSON.stringify({
      users: [
        { username: 'ops', password: 'ops-secret' },
        { username: 'app', password: 'app-secret' },
      ],
    }),
  )
  writeFileSync(join(dir, 'secret'), 'a cluster secret kept in a file\n')
  writeFileSync(
    join(dir, 'acl.json'),
    JSON.stringify([
      { principal: 'ops', operations: '*' },
      { principal: 'app', operations: ['produce', 'fetch', 'describe', 'group'], resourcePrefix: 'app.' },
    ]),
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const base: ServeOptions = { kafka: '127.0.0.1:0', partitions: '1', autoCreateTopics: false, logLevel: 'error' }

test('serve --tls-cert --tls-key --sasl-users --cluster-secret-file --acl: the cluster port needs TLS and SASL, and the ACL applies', async () => {
  const serving = await startServe({
    ...base,
    nodeId: '1',
    listen: '127.0.0.1:0',
    tlsCert: join(dir, 'cert.pem'),
    tlsKey: join(dir, 'key.pem'),
    saslUsers: join(dir, 'users.json'),
    clusterSecretFile: join(dir, 'secret'),
    acl: join(dir, 'acl.json'),
  })
  const node = serving.broker as ClusterNode
  const connect = (username: string, password: string) =>
    Tributary.connect({
      brokers: [node.address],
      ssl: { ca: [cert], servername: 'localhost' },
      sasl: { mechanism: 'scram-sha-256', username, password },
    })
  const ops = await connect('ops', 'ops-secret')
  const app = await connect('app', 'app-secret')
  try {
    const security = node.ctx.options.security
    expect(security.clusterSecret).toBe('a cluster secret kept in a file')
    expect(security.tls).toBeDefined()
    await ops.admin().createTopics({ topics: [{ topic: 'app.orders', numPartitions: 1, replicationFactor: 1 }] })
    await ops.admin().createTopics({ topics: [{ topic: 'internal.audit', numPartitions: 1, replicationFactor: 1 }] })
    await app.producer({ acks: 'all' }).send({ topic: 'app.orders', messages: [{ value: 'one' }] })
    // Metadata of every topic shows a principal only the topics it may describe.
    expect((await app.admin().listTopics()).sort()).toEqual(['app.orders'])
    expect((await ops.admin().listTopics()).sort()).toEqual(['app.orders', 'internal.audit'])
    const refused = await app
      .admin()
      .createTopics({ topics: [{ topic: 'app.other', numPartitions: 1, replicationFactor: 1 }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect((refused as TributaryError).code).toBe('TOPIC_AUTHORIZATION_FAILED')
    // The node's Kafka listener applies the same ACL (node.acl) to Kafka clients.
    const kafka = new Kafka({
      brokers: [`${serving.kafka.host}:${serving.kafka.port}`],
      ssl: { ca: [cert.toString()], servername: 'localhost' },
      sasl: { mechanism: 'scram-sha-256', username: 'app', password: 'app-secret' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 },
    })
    const kafkaAdmin = kafka.admin()
    await kafkaAdmin.connect()
    try {
      expect(await kafkaAdmin.listTopics()).toEqual(['app.orders'])
      await expect(kafkaAdmin.createTopics({ topics: [{ topic: 'app.kafka', numPartitions: 1 }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' })],
      })
      await expect(kafkaAdmin.deleteTopics({ topics: ['internal.audit'] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' })
    } finally {
      await kafkaAdmin.disconnect()
    }
    expect((await ops.admin().listTopics()).sort()).toEqual(['app.orders', 'internal.audit'])
    // Plaintext (no TLS) gets nowhere.
    const plain = await Tributary.connect({ brokers: [node.address], connectTimeoutMs: 2_000, requestTimeoutMs: 2_000 })
    const failed = await plain
      .admin()
      .listTopics()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(failed).toBeInstanceOf(TributaryError)
    await plain.close()
  } finally {
    await Promise.all([ops.close(), app.close()])
    await serving.close()
  }
})

test('serve refuses a routable --listen without TLS, SASL and a cluster secret, unless --insecure', async () => {
  const refused = await startServe({ ...base, nodeId: '1', listen: '0.0.0.0:0' }).then(
    (s) => s.close().then(() => undefined),
    (e: unknown) => e,
  )
  expect(refused).toBeInstanceOf(TributaryError)
  expect((refused as TributaryError).code).toBe('INVALID_CONFIG')
  expect((refused as TributaryError).message).toMatch(/insecure: true/)
  const half = await startServe({ ...base, nodeId: '1', listen: '0.0.0.0:0', tlsCa: join(dir, 'cert.pem') }).then(
    (s) => s.close().then(() => undefined),
    (e: unknown) => e,
  )
  expect((half as TributaryError).message).toMatch(/--tls-ca needs --tls-cert/)
  const insecure = await startServe({ ...base, nodeId: '1', listen: '0.0.0.0:0', insecure: true })
  try {
    expect((insecure.broker as ClusterNode).ctx.options.insecure).toBe(true)
  } finally {
    await insecure.close()
  }
})
