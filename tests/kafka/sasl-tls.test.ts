import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeTestCertificate } from '@tributary/core/testing'
import { encodeRequest } from '@tributary/kafka-protocol'
import { Kafka, logLevel } from 'kafkajs'
import { requirePython, requireTool, run, type Served, serve } from './kit'

/*
 * SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS with real clients: KafkaJS (SaslHandshake v1
 * + SaslAuthenticate), kcat (librdkafka), kafka-python (SaslHandshake v0 and bare tokens). The
 * certificate is made here with openssl. Before authentication nothing but ApiVersions and the
 * SASL exchange is answered; a failed login is error 58 and a closed connection.
 */

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const USERS = [
  { username: 'alice', password: 'alice-secret' },
  { username: 'bob', password: 'b0b,=p@ss' },
]

let dir: string
let cert: Buffer
let key: Buffer
beforeAll(() => {
  requireTool('openssl', 'apt-get install -y openssl')
  requireTool('kcat', 'apt-get install -y kcat')
  requirePython('kafka', 'python3-kafka')
  dir = mkdtempSync(join(tmpdir(), 'tributary-tls-'))
  ;({ cert, key } = makeTestCertificate())
  writeFileSync(join(dir, 'cert.pem'), cert)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SASL over TLS', () => {
  let s: Served
  beforeEach(async () => {
    s = await serve({ server: { tls: { cert, key }, sasl: { users: USERS } } })
    await s.broker.createTopics([{ topic: 'secured', numPartitions: 1 }])
  })
  afterEach(() => s.close())

  test.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('KafkaJS with %s produces and consumes', async (mechanism) => {
    const kafka = new Kafka({
      brokers: [s.bootstrap],
      ssl: { ca: [cert.toString()] },
      sasl: { mechanism, username: 'bob', password: 'b0b,=p@ss' } as never,
      logLevel: logLevel.NOTHING,
    })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'secured', messages: [{ value: mechanism }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets('secured')
    expect(offsets[0]?.high).toBe('1')
    await admin.disconnect()
  })

  test('KafkaJS with a wrong password is refused with SASL_AUTHENTICATION_FAILED', async () => {
    const kafka = new Kafka({
      brokers: [s.bootstrap],
      ssl: { ca: [cert.toString()] },
      sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'wrong' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      // TLS and SCRAM's key stretching take well over KafkaJS's 1 s defaults on a loaded 2-core machine.
      connectionTimeout: 15_000,
      authenticationTimeout: 15_000,
    })
    const producer = kafka.producer()
    await expect(producer.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError', message: /invalid credentials/ })
    const unknown = new Kafka({
      brokers: [s.bootstrap],
      ssl: { ca: [cert.toString()] },
      sasl: { mechanism: 'scram-sha-512', username: 'mallory', password: 'x' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      // TLS and SCRAM's key stretching take well over KafkaJS's 1 s defaults on a loaded 2-core machine.
      connectionTimeout: 15_000,
      authenticationTimeout: 15_000,
    })
    await expect(unknown.producer().connect()).rejects.toMatchObject({
      name: 'KafkaJSSASLAuthenticationError',
      message: /invalid credentials/,
    })
    expect(s.warnings.filter((w) => w.includes('SASL authentication failed'))).toHaveLength(2)
  })

  test('kcat (librdkafka) lists metadata over SASL_SSL with SCRAM-SHA-512, and fails with a wrong password', async () => {
    const caFile = join(dir, 'cert.pem')
    const args = (password: string) => [
      '-b',
      s.bootstrap,
      '-L',
      '-J',
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      'sasl.mechanisms=SCRAM-SHA-512',
      '-X',
      'sasl.username=alice',
      '-X',
      `sasl.password=${password}`,
      '-X',
      `ssl.ca.location=${caFile}`,
    ]
    const ok = await run('kcat', args('alice-secret'), { timeoutMs: 20_000 })
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout).topics.map((t: { topic: string }) => t.topic)).toEqual(['secured'])
    // A metadata timeout long enough for the TLS and SCRAM exchange on a loaded machine: the failure must be the password's.
    const bad = await run('kcat', [...args('nope'), '-m', '15'], { timeoutMs: 30_000 })
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/Authentication failed|SASL authentication error/i)
  })
})

describe('SASL over plaintext', () => {
  let s: Served
  beforeEach(async () => {
    const usersFile = join(dir, 'users.json')
    writeFileSync(usersFile, JSON.stringify({ users: USERS }))
    s = await serve({ server: { sasl: { usersFile, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] } } })
    await s.broker.createTopics([{ topic: 'secured', numPartitions: 1 }])
  })
  afterEach(() => s.close())

  test.each(['PLAIN', 'SCRAM-SHA-256'])(
    'kafka-python with %s (SaslHandshake v0, bare tokens) produces and consumes',
    async (mechanism) => {
      const r = await run(
        '/usr/bin/python3',
        [join(__dirname, 'python', 'kafka_python_sasl.py'), s.bootstrap, mechanism, 'alice', 'alice-secret'],
        {
          timeoutMs: 60_000,
        },
      )
      if (r.code !== 0) throw new Error(`python failed: ${r.stderr}`)
      expect(JSON.parse(r.stdout)).toEqual({ offset: 0, values: [mechanism] })
    },
    90_000,
  )

  test('a request other than ApiVersions or SASL before authentication closes the connection', async () => {
    const socket = connect(s.server.address.port, '127.0.0.1')
    const closed = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = []
      socket.on('data', (c) => chunks.push(c))
      socket.on('close', () => resolve(Buffer.concat(chunks)))
    })
    socket.write(encodeRequest(3, 1, { correlationId: 1, clientId: 'sneaky' }, { topics: null }))
    expect((await closed).length).toBe(0)
    expect(s.warnings.some((w) => w.includes('Metadata before SASL authentication'))).toBe(true)
  })
})
