import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalBroker, MemoryStorage, TributaryError, type Broker } from '@tributary/core'
import { FAST_GROUP, openMemory, readTopic, waitFor } from './testing/client-kit'
import { Tributary } from './tributary'

describe('Tributary.open', () => {
  test('with no options data lives in memory', async () => {
    const tb = await Tributary.open()
    await tb.producer().send({ topic: 't', messages: [{ value: 'x' }] })
    expect((await readTopic(tb.broker, 't')).map((m) => m.value)).toEqual(['x'])
    await tb.close()
  })

  test('{ dir } keeps data on disk across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-client-'))
    try {
      const first = await Tributary.open({ dir })
      await first.producer().send({ topic: 'disk', messages: [{ key: 'k', value: 'persisted' }] })
      await first.close()
      const second = await Tributary.open({ dir })
      expect((await readTopic(second.broker, 'disk')).map((m) => m.value)).toEqual(['persisted'])
      await second.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('{ broker } is used as given and is not closed by close()', async () => {
    const broker = await LocalBroker.open({ storage: new MemoryStorage() })
    const tb = await Tributary.open({ broker })
    await tb.producer().send({ topic: 't', messages: [{ value: 'x' }] })
    await tb.close()
    expect((await readTopic(broker, 't')).map((m) => m.value)).toEqual(['x'])
    await broker.close()
  })

  test('a bad assigner name is INVALID_CONFIG naming its position', async () => {
    const tb = await openMemory()
    expect(() => tb.consumer({ groupId: 'g', partitionAssigners: ['range', 'fair'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', details: { path: 'consumer.partitionAssigners[1]' } }),
    )
    await tb.close()
  })
})

/** wrapLeave records the groups left through `broker` (patching it in place, as a spy). */
function wrapLeave(broker: Broker): string[] {
  const left: string[] = []
  const original = broker.leaveGroup.bind(broker)
  broker.leaveGroup = async (req) => {
    left.push(req.groupId)
    return original(req)
  }
  return left
}

describe('Tributary.close', () => {
  test('flushes producers and stops consumers, which commit and leave their groups', async () => {
    const tb = await openMemory()
    const seen: string[] = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['t'], fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
    await tb.producer().send({ topic: 't', messages: [{ value: 'a' }] })
    await waitFor(() => seen.length === 1, 'the message')
    const lingering = tb.producer({ lingerMs: 60_000 }).send({ topic: 't', messages: [{ value: 'b' }] })
    const broker = tb.broker
    const [group] = await broker.describeGroups(['g'])
    expect(group?.state).toBe('Stable')
    const left = wrapLeave(broker)
    await tb.close()
    expect((await lingering)[0]?.baseOffset).toBe(1)
    expect(left).toEqual(['g'])
    expect(consumer.assignment()).toEqual([])
    expect(() => broker.describeGroups(['g'])).toThrow(expect.objectContaining({ code: 'CLIENT_CLOSED' }))
  })

  test('every call after close is CLIENT_CLOSED', async () => {
    const tb = await openMemory()
    const producer = tb.producer()
    const consumer = tb.consumer({ groupId: 'g' })
    const admin = tb.admin()
    await tb.close()
    await tb.close()
    const calls: Array<() => unknown> = [
      () => tb.producer(),
      () => tb.consumer({ groupId: 'g' }),
      () => tb.admin(),
      () => producer.send({ topic: 't', messages: [{ value: 'x' }] }),
      () => consumer.subscribe({ topics: ['t'] }),
      () => consumer.run({ eachMessage: async () => {} }),
      () => consumer.commitOffsets([{ topic: 't', partition: 0, offset: 1 }]),
      () => consumer.seek({ topic: 't', partition: 0, offset: 0 }),
      () => consumer.pause([{ topic: 't' }]),
      () => consumer.stream(),
      () => admin.listTopics(),
      () => admin.createTopics({ topics: [{ topic: 'x' }] }),
    ]
    for (const call of calls) {
      let error: unknown
      try {
        await call()
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(TributaryError)
      expect(error).toMatchObject({ code: 'CLIENT_CLOSED' })
    }
  })
})

describe('Tributary.connect({ kafka })', () => {
  test('bad options are INVALID_CONFIG with their path, before any connection is made', async () => {
    const invalid = (path: string) => expect.objectContaining({ code: 'INVALID_CONFIG', details: { path } })
    await expect(Tributary.connect({ kafka: { brokers: [] } })).rejects.toEqual(invalid('kafka.brokers'))
    await expect(
      Tributary.connect({ kafka: { brokers: ['h:1'], sasl: { mechanism: 'md5' as never, username: 'u', password: 'p' } } }),
    ).rejects.toEqual(invalid('kafka.sasl.mechanism'))
    await expect(Tributary.connect({ kafka: { brokers: ['h:1'] }, brokers: ['h:2'] } as never)).rejects.toEqual(invalid('connect.brokers'))
    await expect(Tributary.connect({ kafka: 'h:1' as never })).rejects.toEqual(invalid('kafka'))
  })

  test('opens lazily: a Tributary on an unreachable cluster is made, and its calls fail with NETWORK_EXCEPTION (retriable)', async () => {
    const tb = await Tributary.connect({ kafka: { brokers: ['127.0.0.1:1'], reconnectBackoffMs: 0 } })
    try {
      await expect(tb.admin().listTopics()).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true })
    } finally {
      await tb.close()
    }
  })
})
