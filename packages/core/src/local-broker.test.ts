import { LocalBroker } from './local-broker'
import { MemoryStorage } from './memory-storage'
import { RecordBatch } from './record-batch'
import { TributaryError } from './errors'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from './model'
import type { Storage } from './storage'
import type { LocalBrokerOptions } from './broker-options'
import { ManualClock, makeBatch, makeRecords } from './testing'

const T0 = 1_700_000_000_000

async function openBroker(overrides: Partial<LocalBrokerOptions> = {}) {
  const clock = new ManualClock(T0)
  const storage = overrides.storage ?? new MemoryStorage({ clock })
  let ids = 0
  const broker = await LocalBroker.open({ storage, clock, newId: () => `id-${++ids}`, ...overrides })
  return { broker, clock, storage }
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'TributaryError', code })
}

function decodeAll(batches: Buffer[]) {
  return batches.flatMap((b) => [...RecordBatch.from(b).records()])
}

describe('LocalBroker topics', () => {
  it('creates a topic once: the second create reports created=false', async () => {
    const { broker } = await openBroker()
    expect(await broker.createTopics([{ topic: 'orders', numPartitions: 3 }])).toEqual([{ topic: 'orders', created: true }])
    expect(await broker.createTopics([{ topic: 'orders', numPartitions: 3 }])).toEqual([{ topic: 'orders', created: false }])
    const meta = await broker.metadata({ topics: ['orders'] })
    expect(meta.topics[0]?.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
    expect(meta.topics[0]?.partitions[0]).toMatchObject({ leader: 0, replicas: [0], isr: [0] })
  })

  it('rejects bad topics with typed errors and creates nothing', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 'to.pic' }])
    const results = await broker.createTopics([
      { topic: 'bad name' },
      { topic: '..' },
      { topic: 'x'.repeat(250) },
      { topic: 'to_pic' },
      { topic: 'zero', numPartitions: 0 },
      { topic: 'rf', replicationFactor: 3 },
      { topic: 'cfg', configEntries: [{ name: 'retention.ms', value: 'soon' }] },
      { topic: 'unknown-cfg', configEntries: [{ name: 'no.such.config', value: '1' }] },
      { topic: '__consumer_offsets' },
    ])
    expect(results.map((r) => r.error?.code)).toEqual([
      'INVALID_TOPIC_EXCEPTION',
      'INVALID_TOPIC_EXCEPTION',
      'INVALID_TOPIC_EXCEPTION',
      'INVALID_TOPIC_EXCEPTION',
      'INVALID_PARTITIONS',
      'INVALID_REPLICATION_FACTOR',
      'INVALID_CONFIG',
      'INVALID_CONFIG',
      'INVALID_TOPIC_EXCEPTION',
    ])
    expect((await broker.metadata()).topics.map((t) => t.name)).toEqual(['to.pic'])
  })

  it('auto-creates unknown topics only when asked and allowed', async () => {
    const { broker } = await openBroker({ numPartitions: 4 })
    await expectCode(broker.metadata({ topics: ['events'] }), 'UNKNOWN_TOPIC_OR_PARTITION')
    const meta = await broker.metadata({ topics: ['events'], allowAutoTopicCreation: true })
    expect(meta.topics[0]?.partitions).toHaveLength(4)
    const { broker: strict } = await openBroker({ autoCreateTopics: false })
    await expectCode(strict.metadata({ topics: ['events'], allowAutoTopicCreation: true }), 'UNKNOWN_TOPIC_OR_PARTITION')
  })

  it('adds partitions, never removes them', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't', numPartitions: 2 }])
    await expectCode(broker.createPartitions('t', 2), 'INVALID_PARTITIONS')
    await expectCode(broker.createPartitions('missing', 4), 'UNKNOWN_TOPIC_OR_PARTITION')
    await broker.createPartitions('t', 5)
    expect((await broker.metadata({ topics: ['t'] })).topics[0]?.partitions).toHaveLength(5)
  })

  it('alters configs and keeps topics and configs across a restart', async () => {
    const { broker, storage, clock } = await openBroker()
    await broker.createTopics([{ topic: 't', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }])
    await broker.alterConfigs('t', [{ name: 'retention.ms', value: '1000' }])
    await expectCode(broker.alterConfigs('t', [{ name: 'retention.ms', value: '-7' }]), 'INVALID_CONFIG')
    await broker.close()
    const reopened = await LocalBroker.open({ storage: new MemoryStorage({ clock, volume: (storage as MemoryStorage).volume }), clock })
    const configs = await reopened.describeConfigs('t')
    expect(configs.find((c) => c.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '1000', isDefault: false })
    expect(configs.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', isDefault: false })
    expect(configs.find((c) => c.name === 'segment.bytes')).toMatchObject({ value: '1073741824', isDefault: true })
    await reopened.alterConfigs('t', [{ name: 'retention.ms', value: null }])
    expect((await reopened.describeConfigs('t')).find((c) => c.name === 'retention.ms')?.isDefault).toBe(true)
  })

  it('deletes a topic with its data', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    await broker.produce({ acks: 1, timeoutMs: 1000, partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('a', 3)) }] })
    await broker.deleteTopics(['t'])
    await expectCode(broker.metadata({ topics: ['t'] }), 'UNKNOWN_TOPIC_OR_PARTITION')
    await broker.createTopics([{ topic: 't' }])
    const [offsets] = await broker.listOffsets([{ topic: 't', partition: 0, timestamp: LATEST_TIMESTAMP }])
    expect(offsets?.offset).toBe(0)
    await expectCode(broker.deleteTopics(['nope']), 'UNKNOWN_TOPIC_OR_PARTITION')
  })
})

describe('LocalBroker produce', () => {
  it('assigns contiguous offsets across batches', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    const bases: number[] = []
    for (const n of [3, 1, 5]) {
      const [r] = await broker.produce({
        acks: 1,
        timeoutMs: 1000,
        partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords(`n${n}`, n)) }],
      })
      bases.push(r!.baseOffset)
    }
    expect(bases).toEqual([0, 3, 4])
    const [fetched] = await broker.fetch({ maxWaitMs: 0, partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }] })
    expect(decodeAll(fetched!.batches).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(fetched!.highWatermark).toBe(9)
  })

  it('acks=0 answers -1; acks=1 answers before sync; acks=all waits for sync', async () => {
    const clock = new ManualClock(T0)
    const inner = new MemoryStorage({ clock })
    let releaseSync: () => void = () => {}
    let syncCalls = 0
    const storage: Storage = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== 'partitionLog') return Reflect.get(target, prop, receiver)
        return (...args: Parameters<Storage['partitionLog']>) => {
          const log = target.partitionLog(...args)
          return new Proxy(log, {
            get(l, p, r) {
              if (p === 'sync')
                return () => {
                  syncCalls++
                  return new Promise<void>((resolve) => {
                    releaseSync = () => l.sync().then(resolve)
                  })
                }
              const v = Reflect.get(l, p, r)
              return typeof v === 'function' ? v.bind(l) : v
            },
          })
        }
      },
    })
    const { broker } = await openBroker({ storage, clock })
    await broker.createTopics([{ topic: 't' }])
    const zero = await broker.produce({
      acks: 0,
      timeoutMs: 1000,
      partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('z', 1)) }],
    })
    expect(zero[0]?.baseOffset).toBe(-1)
    const one = await broker.produce({
      acks: 1,
      timeoutMs: 1000,
      partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('o', 1)) }],
    })
    expect(one[0]?.baseOffset).toBe(1)
    expect(syncCalls).toBe(0)
    let settled = false
    const all = broker.produce({
      acks: -1,
      timeoutMs: 1000,
      partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('a', 1)) }],
    })
    void all.then(() => (settled = true))
    await new Promise((r) => setImmediate(r))
    expect(syncCalls).toBe(1)
    expect(settled).toBe(false)
    releaseSync()
    expect((await all)[0]?.baseOffset).toBe(2)
  })

  it('acks=all times out with REQUEST_TIMED_OUT when the disk never answers', async () => {
    const clock = new ManualClock(T0)
    const inner = new MemoryStorage({ clock })
    const storage = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== 'partitionLog') return Reflect.get(target, prop, receiver)
        return (...args: Parameters<Storage['partitionLog']>) => {
          const log = target.partitionLog(...args)
          return new Proxy(log, {
            get: (l, p, r) =>
              p === 'sync' ? () => new Promise(() => {}) : ((v) => (typeof v === 'function' ? v.bind(l) : v))(Reflect.get(l, p, r)),
          })
        }
      },
    })
    const { broker } = await openBroker({ storage, clock })
    await broker.createTopics([{ topic: 't' }])
    const pending = broker.produce({
      acks: -1,
      timeoutMs: 500,
      partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('a', 1)) }],
    })
    await new Promise((r) => setImmediate(r))
    clock.advance(500)
    await expectCode(pending, 'REQUEST_TIMED_OUT')
  })

  it('rejects bad produce requests per partition and writes nothing', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([
      { topic: 't', configEntries: [{ name: 'max.message.bytes', value: '200' }] },
      { topic: 'compact', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ])
    const corrupt = makeBatch(makeRecords('c', 2))
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff
    const results = await broker.produce({
      acks: 1,
      timeoutMs: 1000,
      partitions: [
        { topic: 't', partition: 0, batch: makeBatch(makeRecords('big', 20)) },
        { topic: 't', partition: 0, batch: corrupt },
        { topic: 't', partition: 7, batch: makeBatch(makeRecords('p', 1)) },
        { topic: 'missing', partition: 0, batch: makeBatch(makeRecords('m', 1)) },
        { topic: 'compact', partition: 0, batch: makeBatch([{ key: null, value: 'v' }]) },
      ],
    })
    expect(results.map((r) => r.error?.code)).toEqual([
      'MESSAGE_TOO_LARGE',
      'CORRUPT_MESSAGE',
      'UNKNOWN_TOPIC_OR_PARTITION',
      'UNKNOWN_TOPIC_OR_PARTITION',
      'INVALID_RECORD',
    ])
    const ends = await broker.listOffsets([
      { topic: 't', partition: 0, timestamp: LATEST_TIMESTAMP },
      { topic: 'compact', partition: 0, timestamp: LATEST_TIMESTAMP },
    ])
    expect(ends.map((e) => e.offset)).toEqual([0, 0])
    await expectCode(broker.produce({ acks: 2 as never, timeoutMs: 1, partitions: [] }), 'INVALID_REQUIRED_ACKS')
    await expectCode(broker.produce({ acks: 1, timeoutMs: -1, partitions: [] }), 'INVALID_REQUEST')
    await expectCode(broker.produce({ acks: 1, timeoutMs: 1, partitions: 'nope' } as never), 'INVALID_REQUEST')
    await expectCode(broker.fetch({ maxWaitMs: 0, partitions: null } as never), 'INVALID_REQUEST')
    await expectCode(broker.listOffsets({} as never), 'INVALID_REQUEST')
  })

  it('an idempotent retry is not appended twice and answers the original offset', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    const { producerId, producerEpoch } = await broker.initProducerId()
    const send = (seq: number, n: number) =>
      broker.produce({
        acks: -1,
        timeoutMs: 1000,
        partitions: [
          { topic: 't', partition: 0, batch: makeBatch(makeRecords(`s${seq}`, n), { producerId, producerEpoch, baseSequence: seq }) },
        ],
      })
    expect((await send(0, 2))[0]?.baseOffset).toBe(0)
    expect((await send(2, 3))[0]?.baseOffset).toBe(2)
    expect((await send(2, 3))[0]?.baseOffset).toBe(2)
    expect((await send(0, 2))[0]?.baseOffset).toBe(0)
    expect((await send(9, 1))[0]?.error?.code).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
    const [end] = await broker.listOffsets([{ topic: 't', partition: 0, timestamp: LATEST_TIMESTAMP }])
    expect(end?.offset).toBe(5)
  })

  it('hands out producer ids that are never reused across restarts', async () => {
    const { broker, storage, clock } = await openBroker({ producerIdBlockSize: 3 })
    const first = await Promise.all([1, 2, 3, 4].map(() => broker.initProducerId()))
    await broker.close()
    const reopened = await LocalBroker.open({ storage: new MemoryStorage({ clock, volume: (storage as MemoryStorage).volume }), clock })
    const second = await reopened.initProducerId()
    const ids = [...first.map((p) => p.producerId), second.producerId]
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('stamps LogAppendTime topics with the broker clock', async () => {
    const { broker, clock } = await openBroker()
    await broker.createTopics([{ topic: 't', configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }])
    clock.advance(1234)
    const [r] = await broker.produce({
      acks: 1,
      timeoutMs: 1000,
      partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('a', 2, 5)) }],
    })
    expect(r?.logAppendTime).toBe(T0 + 1234)
    const [f] = await broker.fetch({ maxWaitMs: 0, partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }] })
    expect(decodeAll(f!.batches).map((rec) => rec.timestamp)).toEqual([T0 + 1234, T0 + 1234])
  })
})

describe('LocalBroker fetch', () => {
  it('long-polls: a waiting fetch wakes on append, not on a timer', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    const pending = broker.fetch({ maxWaitMs: 60_000, partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }] })
    await new Promise((r) => setImmediate(r))
    await broker.produce({ acks: 1, timeoutMs: 1000, partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('a', 2)) }] })
    const [result] = await pending
    expect(decodeAll(result!.batches)).toHaveLength(2)
  })

  it('returns empty after maxWaitMs, and at once when aborted', async () => {
    const { broker, clock } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    const timed = broker.fetch({ maxWaitMs: 100, partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }] })
    clock.advance(100)
    expect((await timed)[0]?.batches).toEqual([])
    const controller = new AbortController()
    const aborted = broker.fetch({
      maxWaitMs: 60_000,
      signal: controller.signal,
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
    })
    controller.abort()
    expect((await aborted)[0]?.batches).toEqual([])
  })

  it('honours maxBytes but always returns at least one whole batch', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    for (let i = 0; i < 5; i++) {
      await broker.produce({
        acks: 1,
        timeoutMs: 1000,
        partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords(`b${i}`, 10)) }],
      })
    }
    const [tiny] = await broker.fetch({ maxWaitMs: 0, partitions: [{ topic: 't', partition: 0, offset: 13, maxBytes: 1 }] })
    expect(tiny!.batches).toHaveLength(1)
    expect(RecordBatch.from(tiny!.batches[0]!).baseOffset).toBe(10)
  })

  it('answers OFFSET_OUT_OF_RANGE beyond the log end and for negative offsets', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    const results = await broker.fetch({
      maxWaitMs: 0,
      partitions: [
        { topic: 't', partition: 0, offset: 1, maxBytes: 100 },
        { topic: 't', partition: 0, offset: -1, maxBytes: 100 },
        { topic: 'missing', partition: 0, offset: 0, maxBytes: 100 },
      ],
    })
    expect(results.map((r) => r.error?.code)).toEqual(['OFFSET_OUT_OF_RANGE', 'OFFSET_OUT_OF_RANGE', 'UNKNOWN_TOPIC_OR_PARTITION'])
  })

  it('lists earliest, latest and by-timestamp offsets', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    await broker.produce({
      acks: 1,
      timeoutMs: 1000,
      partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords('a', 5, 1000)) }],
    })
    const results = await broker.listOffsets([
      { topic: 't', partition: 0, timestamp: EARLIEST_TIMESTAMP },
      { topic: 't', partition: 0, timestamp: LATEST_TIMESTAMP },
      { topic: 't', partition: 0, timestamp: 1003 },
      { topic: 't', partition: 0, timestamp: 99_999 },
    ])
    expect(results.map((r) => r.offset)).toEqual([0, 5, 3, -1])
  })
})

describe('LocalBroker retention and compaction', () => {
  it('deletes segments past retention.ms on the injected clock', async () => {
    const { broker, clock } = await openBroker()
    await broker.createTopics([
      {
        topic: 't',
        configEntries: [
          { name: 'retention.ms', value: '60000' },
          { name: 'segment.bytes', value: '1024' },
        ],
      },
    ])
    for (let i = 0; i < 20; i++) {
      await broker.produce({
        acks: 1,
        timeoutMs: 1000,
        partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords(`r${i}`, 5, clock.now())) }],
      })
    }
    const events: unknown[] = []
    broker.on('retention', (e) => events.push(e))
    clock.advance(30_000)
    broker.runLogCleaner()
    expect(events).toHaveLength(0)
    clock.advance(31_000)
    broker.runLogCleaner()
    expect(events).toHaveLength(1)
    const [earliest] = await broker.listOffsets([{ topic: 't', partition: 0, timestamp: EARLIEST_TIMESTAMP }])
    expect(earliest?.offset).toBe(100)
  })

  it('keeps retention.bytes: the oldest segments go while the rest stays above the limit', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([
      {
        topic: 't',
        configEntries: [
          { name: 'retention.bytes', value: '2000' },
          { name: 'segment.bytes', value: '1000' },
        ],
      },
    ])
    for (let i = 0; i < 30; i++) {
      await broker.produce({
        acks: 1,
        timeoutMs: 1000,
        partitions: [{ topic: 't', partition: 0, batch: makeBatch(makeRecords(`r${i}`, 3)) }],
      })
    }
    broker.runLogCleaner()
    const [earliest] = await broker.listOffsets([{ topic: 't', partition: 0, timestamp: EARLIEST_TIMESTAMP }])
    expect(earliest!.offset).toBeGreaterThan(0)
    const [f] = await broker.fetch({
      maxWaitMs: 0,
      partitions: [{ topic: 't', partition: 0, offset: earliest!.offset, maxBytes: 1 << 20 }],
    })
    const bytes = f!.batches.reduce((n, b) => n + b.length, 0)
    expect(bytes).toBeGreaterThanOrEqual(2000 - 1000)
    expect(decodeAll(f!.batches).at(-1)?.offset).toBe(89)
  })

  it('compacts to the latest value per key, keeping offsets, and drops old tombstones', async () => {
    const { broker, clock } = await openBroker()
    await broker.createTopics([
      {
        topic: 'c',
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.bytes', value: '300' },
          { name: 'delete.retention.ms', value: '1000' },
        ],
      },
    ])
    const put = (key: string, value: string | null) =>
      broker.produce({
        acks: 1,
        timeoutMs: 1000,
        partitions: [{ topic: 'c', partition: 0, batch: makeBatch([{ key, value, timestamp: clock.now() }]) }],
      })
    for (let round = 0; round < 5; round++) for (const key of ['a', 'b', 'c']) await put(key, `${key}${round}`)
    await put('b', null)
    for (let i = 0; i < 5; i++) await put('filler', `f${i}`)
    clock.advance(5000)
    broker.runLogCleaner()
    const [f] = await broker.fetch({ maxWaitMs: 0, partitions: [{ topic: 'c', partition: 0, offset: 0, maxBytes: 1 << 20 }] })
    const records = decodeAll(f!.batches).map((r) => [r.offset, r.key?.toString(), r.value?.toString() ?? null])
    expect(records.filter(([, key]) => key === 'a')).toEqual([[12, 'a', 'a4']])
    expect(records.filter(([, key]) => key === 'b')).toEqual([])
    const offsets = records.map(([o]) => o as number)
    expect([...offsets].sort((x, y) => x - y)).toEqual(offsets)
    expect(offsets.at(-1)).toBe(20)
  })
})

describe('LocalBroker lifecycle', () => {
  it('rejects every call after close with CLIENT_CLOSED', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    await broker.close()
    await expectCode(broker.metadata(), 'CLIENT_CLOSED')
    await expectCode(broker.produce({ acks: 1, timeoutMs: 1, partitions: [] }), 'CLIENT_CLOSED')
    await expectCode(broker.fetch({ maxWaitMs: 0, partitions: [] }), 'CLIENT_CLOSED')
    await expectCode(broker.createTopics([{ topic: 'x' }]), 'CLIENT_CLOSED')
    await broker.close()
  })

  it('ends a pending fetch when the broker closes', async () => {
    const { broker } = await openBroker()
    await broker.createTopics([{ topic: 't' }])
    const pending = broker.fetch({ maxWaitMs: 60_000, partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }] })
    await new Promise((r) => setImmediate(r))
    await broker.close()
    await expect(pending).rejects.toBeInstanceOf(TributaryError)
  })

  it('rejects unknown options with INVALID_CONFIG naming the option', async () => {
    const storage = new MemoryStorage()
    await expect(LocalBroker.open({ storage, numPartitions: 0 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'broker.numPartitions' },
    })
    await expect(LocalBroker.open({ storage, bogus: 1 } as never)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'broker.bogus' },
    })
  })
})
