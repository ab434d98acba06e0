import { KAFKA_CLIENT_DEFAULTS, resolveKafkaClientOptions } from './options'

/* The Kafka backend's options: defaults filled in once, every bad value named by its path. */

const invalid = (path: string) => expect.objectContaining({ code: 'INVALID_CONFIG', details: { path } })

describe('resolveKafkaClientOptions', () => {
  test('fills in the frozen defaults and parses the bootstrap list (IPv6 in brackets too)', () => {
    const r = resolveKafkaClientOptions({ brokers: ['kafka-1:9092', '[::1]:9093'] })
    expect(r.brokers).toEqual([
      { host: 'kafka-1', port: 9092 },
      { host: '::1', port: 9093 },
    ])
    expect(r).toMatchObject({ clientId: 'tributary', ssl: null, sasl: null, requestTimeoutMs: 30_000, maxConnectionsPerBroker: 8 })
    expect(r.retry).toEqual(KAFKA_CLIENT_DEFAULTS.retry)
    expect(Object.isFrozen(r)).toBe(true)
    expect(Object.isFrozen(KAFKA_CLIENT_DEFAULTS)).toBe(true)
  })

  test('ssl: true is TLS with the system CAs; an object is checked field by field', () => {
    expect(resolveKafkaClientOptions({ brokers: ['h:1'], ssl: true }).ssl).toEqual({})
    expect(resolveKafkaClientOptions({ brokers: ['h:1'], ssl: false }).ssl).toBeNull()
    expect(resolveKafkaClientOptions({ brokers: ['h:1'], ssl: { ca: 'PEM', servername: 'kafka' } }).ssl).toEqual({
      ca: 'PEM',
      servername: 'kafka',
    })
    expect(() => resolveKafkaClientOptions({ brokers: ['h:1'], ssl: { ca: 42 as never } })).toThrow(invalid('kafka.ssl.ca'))
    expect(() => resolveKafkaClientOptions({ brokers: ['h:1'], ssl: { cert: 'PEM' } })).toThrow(invalid('kafka.ssl.key'))
    expect(() => resolveKafkaClientOptions({ brokers: ['h:1'], ssl: { verify: true } as never })).toThrow(invalid('kafka.ssl.verify'))
  })

  test('sasl takes Kafka mechanism names in any case and needs a user and a password', () => {
    const sasl = resolveKafkaClientOptions({
      brokers: ['h:1'],
      sasl: { mechanism: 'SCRAM-SHA-512' as never, username: 'u', password: 'p' },
    }).sasl
    expect(sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' })
    expect(() =>
      resolveKafkaClientOptions({ brokers: ['h:1'], sasl: { mechanism: 'gssapi' as never, username: 'u', password: 'p' } }),
    ).toThrow(invalid('kafka.sasl.mechanism'))
    expect(() => resolveKafkaClientOptions({ brokers: ['h:1'], sasl: { mechanism: 'plain', username: '', password: 'p' } })).toThrow(
      invalid('kafka.sasl.username'),
    )
    expect(() => resolveKafkaClientOptions({ brokers: ['h:1'], sasl: { mechanism: 'plain', username: 'u' } as never })).toThrow(
      invalid('kafka.sasl.password'),
    )
  })

  test.each([
    [{}, 'kafka.brokers'],
    [{ brokers: [] }, 'kafka.brokers'],
    [{ brokers: ['no-port'] }, 'kafka.brokers[0]'],
    [{ brokers: ['h:1', 'h:70000'] }, 'kafka.brokers[1]'],
    [{ brokers: ['h:1'], clientId: '' }, 'kafka.clientId'],
    [{ brokers: ['h:1'], requestTimeoutMs: 0 }, 'kafka.requestTimeoutMs'],
    [{ brokers: ['h:1'], connectionTimeoutMs: 1.5 }, 'kafka.connectionTimeoutMs'],
    [{ brokers: ['h:1'], maxConnectionsPerBroker: 2 }, 'kafka.maxConnectionsPerBroker'],
    [{ brokers: ['h:1'], maxInFlightRequests: 0 }, 'kafka.maxInFlightRequests'],
    [{ brokers: ['h:1'], maxResponseBytes: 10 }, 'kafka.maxResponseBytes'],
    [{ brokers: ['h:1'], retry: { retries: -1 } }, 'kafka.retry.retries'],
    [{ brokers: ['h:1'], retry: { initialRetryTimeMs: 500, maxRetryTimeMs: 100 } }, 'kafka.retry.maxRetryTimeMs'],
    [{ brokers: ['h:1'], lingerMs: 5 }, 'kafka.lingerMs'],
  ])('%j is INVALID_CONFIG at %s', (options, path) => {
    expect(() => resolveKafkaClientOptions(options as never)).toThrow(invalid(path))
  })
})
