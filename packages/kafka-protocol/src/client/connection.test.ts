import { encodeResponse } from '../protocol'
import { KafkaBroker } from './kafka-broker'
import { type Handler, fakeCluster, useHarness } from './test-kit'

/*
 * The Kafka backend's connections against scripted brokers: timeouts, correlation, reachability,
 * close, SASL and the in-flight bounds.
 */

const { cluster, client, track } = useHarness()

describe('KafkaBroker connections', () => {
  test('a request past its timeout fails with REQUEST_TIMED_OUT, closes its connection, and the next request opens a new one', async () => {
    let silent = true
    const c = await cluster(1, (req) =>
      req.apiKey === 22 ? (silent ? 'silent' : { errorCode: 0, producerId: 7, producerEpoch: 0 }) : undefined,
    )
    // Long enough for the reconnect's ApiVersions and InitProducerId on a loaded machine; the silent broker makes the first call wait it out.
    const b = client(c, { requestTimeoutMs: 1000 })
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
    const gone = await fakeCluster(1)
    const address = gone.bootstrap()[0] as string
    await gone.close()
    const b = track(new KafkaBroker({ brokers: [address], reconnectBackoffMs: 0 }))
    await expect(b.metadata()).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true })
  })

  test('bootstrap moves on to the next listed broker when the first cannot be reached', async () => {
    const dead = await fakeCluster(1)
    const deadAddress = dead.bootstrap()[0] as string
    await dead.close()
    const c = await cluster(1)
    c.leaders.t = [1]
    const b = track(new KafkaBroker({ brokers: [deadAddress, c.bootstrap()[0] as string] }))
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

describe('KafkaBroker SASL and bounds', () => {
  /** saslHandler accepts PLAIN for alice/secret, granting sessions of `lifetimeMs`. */
  const saslHandler =
    (lifetimeMs: number): Handler =>
    (req) => {
      if (req.apiKey === 17) return { errorCode: req.body.mechanism === 'PLAIN' ? 0 : 33, mechanisms: ['PLAIN'] }
      if (req.apiKey === 36) {
        const ok = req.body.authBytes.equals(Buffer.from('\u0000alice\u0000secret'))
        return {
          errorCode: ok ? 0 : 58,
          errorMessage: ok ? null : 'Authentication failed: Invalid username or password',
          authBytes: Buffer.alloc(0),
          sessionLifetimeMs: lifetimeMs,
        }
      }
      if (req.apiKey === 22) return { errorCode: 0, producerId: 1, producerEpoch: 0 }
      return undefined
    }

  test('PLAIN sends \\0user\\0password after SaslHandshake v1, before any other request', async () => {
    const c = await cluster(1, saslHandler(0))
    const b = client(c, { sasl: { mechanism: 'plain', username: 'alice', password: 'secret' } })
    await b.initProducerId()
    expect(c.brokers[0]?.requests.map((r) => [r.apiKey, r.apiVersion])).toEqual([
      [18, 3],
      [17, 1],
      [36, 2],
      [22, 5],
    ])
  })

  test('a mechanism the broker does not offer is UNSUPPORTED_SASL_MECHANISM naming what it offers; a wrong password SASL_AUTHENTICATION_FAILED', async () => {
    const c = await cluster(1, saslHandler(0))
    const scram = client(c, { sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'secret' } })
    await expect(scram.initProducerId()).rejects.toMatchObject({
      code: 'UNSUPPORTED_SASL_MECHANISM',
      message: expect.stringContaining('PLAIN'),
    })
    const wrong = client(c, { sasl: { mechanism: 'plain', username: 'alice', password: 'guess' } })
    await expect(wrong.initProducerId()).rejects.toMatchObject({
      code: 'SASL_AUTHENTICATION_FAILED',
      message: expect.stringContaining('Invalid'),
    })
  })

  test('a session with a lifetime (KIP-368) is replaced by a new, authenticated connection before it ends', async () => {
    const c = await cluster(1, saslHandler(300))
    const b = client(c, { sasl: { mechanism: 'plain', username: 'alice', password: 'secret' } })
    await b.initProducerId()
    await new Promise((r) => setTimeout(r, 400))
    await b.initProducerId()
    const handshakes = c.brokers[0]?.requests.filter((r) => r.apiKey === 17).length
    expect(handshakes).toBe(2)
    expect(c.brokers[0]?.sockets.size).toBe(1)
  })

  test('requests beyond the in-flight and queue bounds fail at once with REQUEST_TIMED_OUT (retriable)', async () => {
    let release: () => void = () => undefined
    const held = new Promise<void>((r) => (release = r))
    const c = await cluster(1, async (req) => {
      if (req.apiKey !== 22) return undefined
      await held
      return { errorCode: 0, producerId: 9, producerEpoch: 0 }
    })
    const b = client(c, { maxInFlightRequests: 1, maxQueuedRequests: 1 })
    await b.connect()
    const first = b.initProducerId()
    const second = b.initProducerId()
    await new Promise((r) => setTimeout(r, 20))
    await expect(b.initProducerId()).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true })
    release()
    await expect(Promise.all([first, second])).resolves.toHaveLength(2)
  })
})
