import { LocalBroker, MemoryStorage } from '@tributary/core'
import { KafkaServer } from './kafka-server'
import { resolveServerOptions } from './options'

describe('KafkaServer options', () => {
  let broker: LocalBroker
  beforeAll(async () => (broker = await LocalBroker.open({ storage: new MemoryStorage() })))
  afterAll(() => broker.close())

  const path = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      return `${(e as { code: string }).code} ${(e as { details: { path: string } }).details.path}`
    }
    return 'ok'
  }

  test('defaults: loopback, 100 MiB requests, Kafka-like limits', () => {
    const o = resolveServerOptions({ broker })
    expect(o.listen).toEqual({ host: '127.0.0.1', port: 9092 })
    expect(o.advertise).toEqual({ host: '127.0.0.1', port: 9092 })
    expect(o).toMatchObject({ maxRequestBytes: 104_857_600, maxConnections: 4096, maxInFlightPerConnection: 100, idleTimeoutMs: 600_000 })
  })

  test('bad options are INVALID_CONFIG naming the option', () => {
    expect(path(() => resolveServerOptions({ broker, listen: 'nohost' }))).toBe('INVALID_CONFIG kafkaServer.listen')
    expect(path(() => resolveServerOptions({ broker, maxRequestBytes: -1 }))).toBe('INVALID_CONFIG kafkaServer.maxRequestBytes')
    expect(path(() => resolveServerOptions({ broker, advertise: '0.0.0.0:9092' }))).toBe('INVALID_CONFIG kafkaServer.advertise')
    expect(path(() => resolveServerOptions({ broker, sasl: { mechanisms: ['GSSAPI' as never], users: [] } }))).toBe(
      'INVALID_CONFIG kafkaServer.sasl.mechanisms',
    )
    expect(path(() => resolveServerOptions({ broker, sasl: { users: [], scramIterations: 1000 } }))).toBe(
      'INVALID_CONFIG kafkaServer.sasl.scramIterations',
    )
    expect(path(() => resolveServerOptions({ broker, tls: {} }))).toBe('INVALID_CONFIG kafkaServer.tls')
    expect(path(() => resolveServerOptions({ broker, colour: 'blue' } as never))).toBe('INVALID_CONFIG kafkaServer.colour')
    expect(path(() => resolveServerOptions({ broker: {} as never }))).toBe('INVALID_CONFIG kafkaServer.broker')
  })

  test('a routable bind needs TLS and SASL, or insecure: true (then it warns)', async () => {
    expect(path(() => resolveServerOptions({ broker, listen: '0.0.0.0:0' }))).toBe('INVALID_CONFIG kafkaServer.listen')
    const warnings: string[] = []
    const logger = { error() {}, info() {}, debug() {}, warn: (m: string) => void warnings.push(m) }
    const server = await KafkaServer.start({ broker, listen: '0.0.0.0:0', insecure: true, logger, advertise: '127.0.0.1:19999' })
    expect(warnings).toEqual(['the Kafka listener is reachable from the network without TLS and SASL (insecure: true)'])
    expect(server.advertised).toEqual({ host: '127.0.0.1', port: 19999 })
    await server.close()
  })

  test('an address in use is INVALID_CONFIG', async () => {
    const first = await KafkaServer.start({ broker, listen: '127.0.0.1:0' })
    await expect(KafkaServer.start({ broker, listen: first.address })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: /EADDRINUSE/,
    })
    await first.close()
  })
})
