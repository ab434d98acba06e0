import { CompressionTypes, MemoryStorage, TributaryError } from '@tributary/core'
import { resolveRunOptions } from './consumer/types'
import { CONSUMER_DEFAULTS, PRODUCER_DEFAULTS, resolveConsumerOptions, resolveProducerOptions, resolveTributaryOptions } from './options'

/** expectInvalid asserts that `fn` throws INVALID_CONFIG naming `path`. */
function expectInvalid(fn: () => unknown, path: string): void {
  let thrown: unknown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(TributaryError)
  expect(thrown).toMatchObject({ code: 'INVALID_CONFIG', details: { path } })
}

describe('producer options', () => {
  test('defaults are Kafka-like and frozen', () => {
    const r = resolveProducerOptions(undefined)
    expect(r).toMatchObject({
      acks: -1,
      idempotent: true,
      lingerMs: 0,
      batchSizeBytes: 16_384,
      compression: 'none',
      allowAutoTopicCreation: true,
    })
    expect(Object.isFrozen(PRODUCER_DEFAULTS)).toBe(true)
    expect(resolveProducerOptions({ acks: 'all' }).acks).toBe(-1)
  })

  test("compression takes Kafka's names and ids and resolves to the name", () => {
    expect(resolveProducerOptions({ compression: CompressionTypes.gzip }).compression).toBe('gzip')
    expect(resolveProducerOptions({ compression: 4 }).compression).toBe('zstd')
    expect(resolveProducerOptions({ compression: 'snappy' }).compression).toBe('snappy')
  })

  test.each([
    [{ lingerMs: -1 }, 'producer.lingerMs'],
    [{ lingerMs: 1.5 }, 'producer.lingerMs'],
    [{ batchSizeBytes: 0 }, 'producer.batchSizeBytes'],
    [{ maxBufferedBytes: 10 }, 'producer.maxBufferedBytes'],
    [{ compression: 'brotli' }, 'producer.compression'],
    [{ compression: 'GZIP' }, 'producer.compression'],
    [{ compression: 5 }, 'producer.compression'],
    [{ idempotent: 'yes' }, 'producer.idempotent'],
    [{ timeoutMs: -3 }, 'producer.timeoutMs'],
    [{ retry: { retries: -1 } }, 'producer.retry.retries'],
    [{ retry: { initialRetryTimeMs: 500, maxRetryTimeMs: 100 } }, 'producer.retry.maxRetryTimeMs'],
    [{ retry: { factor: 2 } }, 'producer.retry.factor'],
    [{ retry: { tries: 1 } }, 'producer.retry.tries'],
    [{ linger: 5 }, 'producer.linger'],
  ])('%j is INVALID_CONFIG at %s', (options, path) => {
    expectInvalid(() => resolveProducerOptions(options as never), path)
  })
})

describe('consumer options', () => {
  test('defaults follow KafkaJS with units in the names', () => {
    const r = resolveConsumerOptions({ groupId: 'g' })
    expect(r).toMatchObject({
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      rebalanceTimeoutMs: 60_000,
      maxWaitMs: 5_000,
      autoOffsetReset: 'latest',
      groupInstanceId: null,
    })
    expect(Object.isFrozen(CONSUMER_DEFAULTS)).toBe(true)
  })

  test.each([
    [{}, 'consumer.groupId'],
    [{ groupId: '' }, 'consumer.groupId'],
    [{ groupId: 'g', sessionTimeoutMs: 0 }, 'consumer.sessionTimeoutMs'],
    [{ groupId: 'g', sessionTimeoutMs: 1000, heartbeatIntervalMs: 1000 }, 'consumer.heartbeatIntervalMs'],
    [{ groupId: 'g', rebalanceTimeoutMs: 'long' }, 'consumer.rebalanceTimeoutMs'],
    [{ groupId: 'g', autoOffsetReset: 'beginning' }, 'consumer.autoOffsetReset'],
    [{ groupId: 'g', maxWaitMs: -1 }, 'consumer.maxWaitMs'],
    [{ groupId: 'g', partitionAssigners: [] }, 'consumer.partitionAssigners'],
    [{ groupId: 'g', groupInstanceId: 7 }, 'consumer.groupInstanceId'],
    [{ groupId: 'g', retry: { restartOnFailure: true } }, 'consumer.retry.restartOnFailure'],
    [{ groupId: 'g', sessionTimeout: 10 }, 'consumer.sessionTimeout'],
  ])('%j is INVALID_CONFIG at %s', (options, path) => {
    expectInvalid(() => resolveConsumerOptions(options as never), path)
  })
})

test.each([
  ['maxBytes', -1],
  ['maxBytes', Number.NaN],
  ['maxBytes', 'big'],
  ['maxBytes', 0],
  ['maxBytesPerPartition', 0],
  ['maxBytesPerPartition', 1.5],
])('consumer %s %p is INVALID_ARGUMENT naming the option', (name, value) => {
  let thrown: unknown
  try {
    resolveConsumerOptions({ groupId: 'g', [name]: value } as never)
  } catch (error) {
    thrown = error
  }
  expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT', details: { path: `consumer.${name}` } })
})

describe('run options', () => {
  const eachMessage = async (): Promise<void> => {}
  test.each([
    [{}, 'run.eachMessage'],
    [{ eachMessage, eachBatch: eachMessage }, 'run.eachMessage'],
    [{ eachMessage, partitionsConsumedConcurrently: 0 }, 'run.partitionsConsumedConcurrently'],
    [{ eachMessage, autoCommitThreshold: 0 }, 'run.autoCommitThreshold'],
    [{ eachMessage, autoCommitIntervalMs: -5 }, 'run.autoCommitIntervalMs'],
    [{ eachMessage, autoCommit: 'yes' }, 'run.autoCommit'],
    [{ eachMessage, eachMesage: eachMessage }, 'run.eachMesage'],
  ])('%j is INVALID_CONFIG at %s', (options, path) => {
    expectInvalid(() => resolveRunOptions(options as never), path)
  })
})

describe('Tributary.open options', () => {
  test.each([
    [{ dir: '/tmp/x', storage: new MemoryStorage() }, 'tributary.storage'],
    [{ dir: '' }, 'tributary.dir'],
    [{ storage: {} }, 'tributary.storage'],
    [{ broker: {} }, 'tributary.broker'],
    [{ clock: { now: 5 } }, 'tributary.clock'],
    [{ clientId: '' }, 'tributary.clientId'],
    [{ directory: '/tmp' }, 'tributary.directory'],
  ])('%p is INVALID_CONFIG at %s', (options, path) => {
    expectInvalid(() => resolveTributaryOptions(options as never), path)
  })
})
