import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tributary } from '@tributary/client'
import { requireTool, serve, type Served } from '../kafka/kit'
import { uniqueName } from './kit'

/*
 * TLS and SASL from the client side, against a KafkaServer that requires them: certificates made
 * with openssl for this run (a CA, a server certificate for localhost/127.0.0.1, a client
 * certificate for mutual TLS), and SASL users for PLAIN and both SCRAM mechanisms.
 */

interface Pki {
  dir: string
  ca: string
  serverKey: string
  serverCert: string
  clientKey: string
  clientCert: string
  otherCa: string
}

function makePki(): Pki {
  requireTool('openssl', 'apt-get install -y openssl')
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pki-'))
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  const ca = (name: string): void => {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    )
  }
  ca('ca')
  ca('other-ca')
  const leaf = (name: string, ext: string): void => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`)
    writeFileSync(join(dir, `${name}.ext`), ext)
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    )
  }
  leaf('server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  leaf('client', 'extendedKeyUsage=clientAuth\n')
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8')
  return {
    dir,
    ca: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    clientKey: read('client.key'),
    clientCert: read('client.crt'),
    otherCa: read('other-ca.crt'),
  }
}

async function roundTrip(tb: Tributary): Promise<string[]> {
  const topic = uniqueName('secure')
  await tb.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] })
  await tb.producer().send({ topic, messages: [{ value: 'secret' }] })
  const offsets = await tb.admin().fetchTopicOffsets(topic)
  return offsets.map((o) => `${o.partition}:${o.high}`)
}

describe('TLS', () => {
  let pki: Pki
  let served: Served
  beforeAll(async () => {
    pki = makePki()
    served = await serve({
      server: { tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true } },
    })
  })
  afterAll(async () => {
    await served.close()
    rmSync(pki.dir, { recursive: true, force: true })
  })

  test('with the CA and a client certificate (mutual TLS), produce and admin work', async () => {
    const tb = await Tributary.connect({
      kafka: { brokers: [served.bootstrap], ssl: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } },
    })
    try {
      expect(await roundTrip(tb)).toEqual(['0:1'])
    } finally {
      await tb.close()
    }
  })

  test('a broker certificate signed by another CA is refused: NETWORK_EXCEPTION, not retriable', async () => {
    const tb = await Tributary.connect({
      kafka: { brokers: [served.bootstrap], ssl: { ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey } },
    })
    try {
      await expect(tb.admin().listTopics()).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: false })
    } finally {
      await tb.close()
    }
  })

  test('servername is checked against the certificate: a name it does not carry is refused', async () => {
    const tb = await Tributary.connect({
      kafka: {
        brokers: [served.bootstrap],
        ssl: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'kafka.example.com' },
      },
    })
    try {
      await expect(tb.admin().listTopics()).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: false })
    } finally {
      await tb.close()
    }
  })
})

describe('SASL', () => {
  let served: Served
  beforeAll(async () => {
    served = await serve({
      server: { sasl: { mechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'], users: [{ username: 'alice', password: 'wonderland' }] } },
    })
  })
  afterAll(() => served.close())

  test.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('%s with the right password works end to end', async (mechanism) => {
    const tb = await Tributary.connect({
      kafka: { brokers: [served.bootstrap], sasl: { mechanism, username: 'alice', password: 'wonderland' } },
    })
    try {
      expect(await roundTrip(tb)).toEqual(['0:1'])
    } finally {
      await tb.close()
    }
  })

  test.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    '%s with a wrong password is SASL_AUTHENTICATION_FAILED',
    async (mechanism) => {
      const tb = await Tributary.connect({
        kafka: { brokers: [served.bootstrap], sasl: { mechanism, username: 'alice', password: 'nope' } },
      })
      try {
        await expect(tb.admin().listTopics()).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', retriable: false })
      } finally {
        await tb.close()
      }
    },
  )

  test('without SASL the broker answers nothing but ApiVersions: the client sees the connection closed', async () => {
    const tb = await Tributary.connect({ kafka: { brokers: [served.bootstrap], reconnectBackoffMs: 0, retry: { retries: 0 } } })
    try {
      await expect(tb.admin().listTopics()).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' })
    } finally {
      await tb.close()
    }
  })
})
