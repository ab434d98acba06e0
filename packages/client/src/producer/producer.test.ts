import {
  LocalBroker,
  MemoryStorage,
  TributaryError,
  iterateBatches,
  partitionForKey,
  type Broker,
  type ProducePartitionResult,
  type ProduceRequest,
} from '@tributary/core'
import { waitUntil } from '@tributary/core/testing'
import { gatedSyncStorage, isSettled, openMemory, readTopic, wrapBroker } from '../testing/client-kit'
import { Tributary } from '../tributary'

async function withTopic(numPartitions: number, fn: (tb: Tributary) => Promise<void>): Promise<void> {
  const tb = await openMemory()
  try {
    await tb.admin().createTopics({ topics: [{ topic: 't', numPartitions }] })
    await fn(tb)
  } finally {
    await tb.close()
  }
}

describe('Producer partitioning and order', () => {
  test('messages with the same key land on the Java client partition, in send order', () =>
    withTopic(6, async (tb) => {
      const producer = tb.producer()
      for (let i = 0; i < 20; i++) await producer.send({ topic: 't', messages: [{ key: `k${i % 4}`, value: `v${i}` }] })
      const stored = await readTopic(tb.broker, 't')
      for (let k = 0; k < 4; k++) {
        const mine = stored.filter((m) => m.key === `k${k}`)
        expect(new Set(mine.map((m) => m.partition))).toEqual(new Set([partitionForKey(`k${k}`, 6)]))
        expect(mine.map((m) => m.value)).toEqual([0, 1, 2, 3, 4].map((j) => `v${j * 4 + k}`))
      }
    }))

  test('an explicit partition wins over the key, and a send returns one entry per partition touched', () =>
    withTopic(3, async (tb) => {
      const result = await tb.producer().send({
        topic: 't',
        messages: [
          { key: 'a', value: '1', partition: 2 },
          { key: 'b', value: '2', partition: 2 },
          { value: '3', partition: 0 },
        ],
      })
      expect(result.sort((a, b) => a.partition - b.partition)).toEqual([
        { topicName: 't', partition: 0, errorCode: 0, baseOffset: 0, logAppendTime: -1, logStartOffset: 0 },
        { topicName: 't', partition: 2, errorCode: 0, baseOffset: 0, logAppendTime: -1, logStartOffset: 0 },
      ])
    }))

  test('sends made in the same tick share one batch per partition (lingerMs 0)', () =>
    withTopic(1, async (tb) => {
      const producer = tb.producer()
      const results = await Promise.all([1, 2, 3].map((i) => producer.send({ topic: 't', messages: [{ value: `m${i}` }] })))
      expect(results.map((r) => r[0]?.baseOffset)).toEqual([0, 1, 2])
      const [r] = await tb.broker.fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }], maxWaitMs: 0 })
      expect(r?.batches).toHaveLength(1)
    }))

  test('sends sharing a batch each resolve with a result of their own, with acks 0 too (no state shared between sends)', () =>
    withTopic(1, async (tb) => {
      const producer = tb.producer()
      const sends = [1, 2, 3].map((i) => producer.send({ topic: 't', messages: [{ value: `m${i}` }] }))
      const results = await Promise.all(sends)
      expect(results).toEqual([0, 1, 2].map((baseOffset) => [expect.objectContaining({ topicName: 't', partition: 0, baseOffset })]))
      expect(new Set(results).size).toBe(3)
      results[0]?.push(results[0][0] as never)
      expect(results[1]).toHaveLength(1)
      const fireAndForget = producer.send({ topic: 't', messages: [{ value: 'a' }], acks: 0 })
      const alsoFireAndForget = producer.send({ topic: 't', messages: [{ value: 'b' }], acks: 0 })
      const [none, alsoNone] = await Promise.all([fireAndForget, alsoFireAndForget])
      expect(none).toEqual([])
      expect(none).not.toBe(alsoNone)
    }))

  test('lingerMs holds a batch open for later sends; batchSizeBytes splits large sends', () =>
    withTopic(1, async (tb) => {
      const lingering = tb.producer({ lingerMs: 30 })
      const first = lingering.send({ topic: 't', messages: [{ value: 'a' }] })
      await new Promise((resolve) => setTimeout(resolve, 5))
      const second = lingering.send({ topic: 't', messages: [{ value: 'b' }] })
      await Promise.all([first, second])
      const small = tb.producer({ batchSizeBytes: 100 })
      await small.send({ topic: 't', messages: Array.from({ length: 10 }, (_, i) => ({ value: 'x'.repeat(40) + i })) })
      const [r] = await tb.broker.fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }], maxWaitMs: 0 })
      expect(r?.batches.length).toBeGreaterThanOrEqual(1 + 5)
      expect((await readTopic(tb.broker, 't')).map((m) => m.offset)).toEqual([...Array(12).keys()])
    }))

  test('a send larger than a batch leaves in one turn: a request per batch of a partition, each naming a partition once, in order', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    const requests: Array<{ partitions: string[]; turn: number }> = []
    // Counts turns of the event loop while the send runs.
    let turn = 0
    let ticker = setImmediate(function bump() {
      turn++
      ticker = setImmediate(bump)
    })
    const broker = wrapBroker(local, {
      produce(request) {
        requests.push({ partitions: request.partitions.map((p) => `${p.topic}-${p.partition}`), turn })
        return local.produce(request)
      },
    })
    const tb = await Tributary.open({ broker })
    try {
      await tb.admin().createTopics({ topics: [{ topic: 't', numPartitions: 2 }] })
      const messages = Array.from({ length: 20 }, (_, i) => ({ value: 'x'.repeat(40) + i, partition: i % 2 }))
      // Three messages fill a batch: four batches of each partition, so four requests of both partitions.
      await tb.producer({ batchSizeBytes: 200 }).send({ topic: 't', messages })
      expect(requests.map((r) => r.partitions.sort())).toEqual(Array(4).fill(['t-0', 't-1']))
      expect(new Set(requests.map((r) => r.turn)).size).toBe(1)
      const stored = await readTopic(local, 't')
      for (const p of [0, 1]) {
        const values = stored.filter((m) => m.partition === p).map((m) => Number(m.value?.slice(40)))
        expect(values).toEqual(messages.map((_, i) => i).filter((i) => i % 2 === p))
      }
    } finally {
      clearImmediate(ticker)
      await tb.close()
      await local.close()
    }
  })

  test('sendBatch writes to several topics; gzip compression round-trips', () =>
    withTopic(1, async (tb) => {
      const producer = tb.producer({ compression: 'gzip' })
      const result = await producer.sendBatch({
        topicMessages: [
          { topic: 't', messages: [{ value: 'one' }] },
          { topic: 'u', messages: [{ value: 'two', headers: { h: 'x' } }] },
        ],
      })
      expect(result.map((r) => r.topicName).sort()).toEqual(['t', 'u'])
      expect((await readTopic(tb.broker, 'u')).map((m) => m.value)).toEqual(['two'])
    }))

  test('one send spread over partitions, naming a topic twice, keeps each partition in send order', () =>
    withTopic(4, async (tb) => {
      const producer = tb.producer()
      const messages = (from: number) => Array.from({ length: 40 }, (_, i) => ({ key: `k${(from + i) % 7}`, value: `v${from + i}` }))
      await producer.sendBatch({
        topicMessages: [
          { topic: 't', messages: messages(0) },
          { topic: 't', messages: messages(40) },
        ],
      })
      const stored = await readTopic(tb.broker, 't')
      expect(stored).toHaveLength(80)
      for (let p = 0; p < 4; p++) {
        const expected = Array.from({ length: 80 }, (_, i) => i)
          .filter((i) => partitionForKey(`k${i % 7}`, 4) === p)
          .map((i) => `v${i}`)
        expect(stored.filter((m) => m.partition === p).map((m) => m.value)).toEqual(expected)
      }
    }))
})

describe('Producer acks', () => {
  test('acks 0 and 1 resolve before the storage syncs, acks all only after', async () => {
    const gated = gatedSyncStorage(new MemoryStorage())
    const tb = await Tributary.open({ storage: gated.storage })
    try {
      await tb.admin().createTopics({ topics: [{ topic: 't' }] })
      const producer = tb.producer()
      expect(await producer.send({ topic: 't', acks: 0, messages: [{ value: 'zero' }] })).toEqual([])
      const one = await producer.send({ topic: 't', acks: 1, messages: [{ value: 'one' }] })
      expect(one[0]?.baseOffset).toBe(1)
      const all = producer.send({ topic: 't', acks: 'all', messages: [{ value: 'all' }] })
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await isSettled(all)).toBe(false)
      expect(gated.syncs()).toBeGreaterThan(0)
      gated.release()
      expect((await all)[0]?.baseOffset).toBe(2)
    } finally {
      gated.release()
      await tb.close()
    }
  })

  test('acks other than 0, 1, -1 and "all" are INVALID_REQUIRED_ACKS', () =>
    withTopic(1, async (tb) => {
      await expect(tb.producer().send({ topic: 't', acks: 2 as never, messages: [{ value: 'x' }] })).rejects.toMatchObject({
        code: 'INVALID_REQUIRED_ACKS',
      })
      expect(() => tb.producer({ acks: 'some' as never })).toThrow(expect.objectContaining({ code: 'INVALID_REQUIRED_ACKS' }))
      expect(await readTopic(tb.broker, 't')).toEqual([])
    }))
})

describe('Producer idempotence and retries', () => {
  /** A broker that appends the first produce but loses its answer, as a timed-out request would. */
  function losingFirstAnswer(inner: Broker): { broker: Broker; calls(): number } {
    let calls = 0
    const broker = wrapBroker(inner, {
      async produce(request) {
        calls++
        const results = await inner.produce(request)
        if (calls > 1) return results
        return results.map(
          (r): ProducePartitionResult => ({ ...r, baseOffset: -1, error: new TributaryError('REQUEST_TIMED_OUT', 'answer lost') }),
        )
      },
    })
    return { broker, calls: () => calls }
  }

  test('a retried send is not duplicated: the broker recognises the same batch and sequence', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    const lossy = losingFirstAnswer(local)
    const tb = await Tributary.open({ broker: lossy.broker })
    try {
      const producer = tb.producer({ retry: { retries: 3, initialRetryTimeMs: 5, maxRetryTimeMs: 10 } })
      expect(producer.isIdempotent()).toBe(true)
      const [meta] = await producer.send({ topic: 't', messages: [{ value: 'a' }, { value: 'b' }] })
      expect(lossy.calls()).toBe(2)
      expect(meta?.baseOffset).toBe(0)
      expect((await readTopic(local, 't')).map((m) => m.value)).toEqual(['a', 'b'])
    } finally {
      await tb.close()
      await local.close()
    }
  })

  test('without idempotence the same retry duplicates (why idempotence is the default)', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    const tb = await Tributary.open({ broker: losingFirstAnswer(local).broker })
    try {
      await tb
        .producer({ idempotent: false, retry: { retries: 3, initialRetryTimeMs: 5, maxRetryTimeMs: 10 } })
        .send({ topic: 't', messages: [{ value: 'a' }] })
      expect((await readTopic(local, 't')).map((m) => m.value)).toEqual(['a', 'a'])
    } finally {
      await tb.close()
      await local.close()
    }
  })

  test('a retriable error that persists fails the send after the configured retries', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    let calls = 0
    const broker = wrapBroker(local, {
      async produce() {
        calls++
        throw new TributaryError('NOT_ENOUGH_REPLICAS', 'not enough replicas')
      },
    })
    const tb = await Tributary.open({ broker })
    try {
      const send = tb
        .producer({ retry: { retries: 2, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } })
        .send({ topic: 't', messages: [{ value: 'a' }] })
      await expect(send).rejects.toMatchObject({ code: 'NOT_ENOUGH_REPLICAS' })
      expect(calls).toBe(3)
    } finally {
      await tb.close()
      await local.close()
    }
  })
})

/**
 * answerPerBatch is a produce that answers each partition of a request on its own: with the error
 * code `script` returns for the first value of its batch (it may wait before answering), or by
 * appending the batch to `local`.
 */
function answerPerBatch(
  local: Broker,
  script: (value: string) => Promise<string | undefined>,
): (request: ProduceRequest) => Promise<ProducePartitionResult[]> {
  return (request) =>
    Promise.all(
      request.partitions.map(async (data) => {
        const [batch] = iterateBatches([data.batch])
        const code = await script(batch?.toArray()[0]?.value?.toString() ?? '')
        if (code === undefined) return (await local.produce({ ...request, partitions: [data] }))[0] as ProducePartitionResult
        return {
          topic: data.topic,
          partition: data.partition,
          baseOffset: -1,
          logAppendTime: -1,
          logStartOffset: -1,
          error: new TributaryError(code as never, `scripted ${code}`),
        }
      }),
    )
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('Producer ordering across failures (idempotent)', () => {
  test('after a send fails for good, a partition sends under the new producer id only once its older batches settled: key order holds', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    await local.createTopics([{ topic: 't', numPartitions: 2 }])
    const attempts = new Map<string, number>()
    const broker = wrapBroker(local, {
      produce: answerPerBatch(local, async (value) => {
        const attempt = (attempts.get(value) ?? 0) + 1
        attempts.set(value, attempt)
        // k0's first attempt meets a leader election (retriable); x0 is refused for good.
        if (value === 'k0' && attempt === 1) return 'LEADER_NOT_AVAILABLE'
        return value === 'x0' ? 'OUT_OF_ORDER_SEQUENCE_NUMBER' : undefined
      }),
    })
    const tb = await Tributary.open({ broker })
    try {
      const producer = tb.producer({ retry: { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 100, factor: 0 } })
      await producer.send({ topic: 't', messages: [{ value: 'warm-up', partition: 0 }] })
      const first = producer.send({ topic: 't', messages: [{ key: 'k', value: 'k0', partition: 1 }] })
      await pause(5)
      // x0 fails while k0 waits for its retry: the producer takes a new id before k1 is sent.
      await expect(producer.send({ topic: 't', messages: [{ key: 'x', value: 'x0', partition: 0 }] })).rejects.toMatchObject({
        code: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      })
      await producer.send({ topic: 't', messages: [{ key: 'k', value: 'k1', partition: 1 }] })
      await first
      expect((await readTopic(local, 't')).filter((m) => m.partition === 1).map((m) => m.value)).toEqual(['k0', 'k1'])
      // Partition 0 was not held back: it has no batch of the old id in flight.
      await producer.send({ topic: 't', messages: [{ value: 'after', partition: 0 }] })
      expect((await readTopic(local, 't')).filter((m) => m.partition === 0).map((m) => m.value)).toEqual(['warm-up', 'after'])
    } finally {
      await tb.close()
      await local.close()
    }
  })

  test('a batch rejected as out of order whose predecessor landed before the rejection was handled is retried, not failed', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    await local.createTopics([{ topic: 't', numPartitions: 1 }])
    const attempts = new Map<string, number>()
    let firstLanded: () => void = () => undefined
    const landed = new Promise<void>((resolve) => (firstLanded = resolve))
    const script = answerPerBatch(local, async (value) => {
      const attempt = (attempts.get(value) ?? 0) + 1
      attempts.set(value, attempt)
      if (value === 'k0' && attempt === 1) return 'LEADER_NOT_AVAILABLE'
      // The broker checked k1 before k0's retry landed; its answer arrives after k0 succeeded.
      if (value === 'k1' && attempt === 1) return landed.then(() => pause(20)).then(() => 'OUT_OF_ORDER_SEQUENCE_NUMBER')
      return undefined
    })
    const broker = wrapBroker(local, {
      produce: async (request) => {
        const results = await script(request)
        if (attempts.get('k0') === 2) firstLanded()
        return results
      },
    })
    const tb = await Tributary.open({ broker })
    try {
      const producer = tb.producer({ retry: { retries: 5, initialRetryTimeMs: 30, maxRetryTimeMs: 30 } })
      await producer.send({ topic: 't', messages: [{ value: 'warm-up' }] })
      const first = producer.send({ topic: 't', messages: [{ key: 'k', value: 'k0' }] })
      // k1 goes out on its own once k0's first attempt was refused (not batched with k0).
      await waitUntil(() => attempts.get('k0') === 1)
      const second = producer.send({ topic: 't', messages: [{ key: 'k', value: 'k1' }] })
      await expect(Promise.all([first, second])).resolves.toHaveLength(2)
      expect(attempts.get('k1')).toBe(2)
      expect((await readTopic(local, 't')).map((m) => m.value)).toEqual(['warm-up', 'k0', 'k1'])
    } finally {
      await tb.close()
      await local.close()
    }
  })
})

describe('Producer errors', () => {
  test('an unknown topic is created on first send by default, and is UNKNOWN_TOPIC_OR_PARTITION with auto-creation off', async () => {
    const tb = await openMemory()
    try {
      const strict = tb.producer({ allowAutoTopicCreation: false })
      await expect(strict.send({ topic: 'nope', messages: [{ value: 'x' }] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
      expect(await tb.admin().listTopics()).toEqual([])
      await tb.producer().send({ topic: 'auto', messages: [{ value: 'x' }] })
      expect(await tb.admin().listTopics()).toEqual(['auto'])
    } finally {
      await tb.close()
    }
  })

  test.each([
    ['a value that is not bytes', [{ value: 'ok' }, { value: 42 }], 'INVALID_ARGUMENT'],
    ['a missing value', [{ value: 'ok' }, { key: 'k' }], 'INVALID_ARGUMENT'],
    ['a bad timestamp', [{ value: 'ok' }, { value: 'x', timestamp: -5 }], 'INVALID_TIMESTAMP'],
    ['a header that is not bytes', [{ value: 'ok', headers: { h: { no: 1 } } }], 'INVALID_ARGUMENT'],
    [
      'a partition that does not exist',
      [
        { value: 'ok', partition: 0 },
        { value: 'x', partition: 7 },
      ],
      'UNKNOWN_TOPIC_OR_PARTITION',
    ],
    ['a message over max.message.bytes', [{ value: 'ok' }, { value: Buffer.alloc(2_000_000) }], 'MESSAGE_TOO_LARGE'],
    ['no messages', [], 'INVALID_ARGUMENT'],
  ])('%s fails the whole send with a typed error and writes nothing', (_, messages, code) =>
    withTopic(2, async (tb) => {
      const error = await tb
        .producer()
        .send({ topic: 't', messages: messages as never })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TributaryError)
      expect(error).toMatchObject({ code })
      expect(await readTopic(tb.broker, 't')).toEqual([])
    }),
  )

  test('an invalid topic name is INVALID_TOPIC_EXCEPTION', () =>
    withTopic(1, async (tb) => {
      await expect(tb.producer().send({ topic: 'bad name', messages: [{ value: 'x' }] })).rejects.toMatchObject({
        code: 'INVALID_TOPIC_EXCEPTION',
      })
      expect(await tb.admin().listTopics()).toEqual(['t'])
    }))

  test('sends after disconnect are CLIENT_CLOSED; disconnect first delivers what was sent', () =>
    withTopic(1, async (tb) => {
      const producer = tb.producer({ lingerMs: 10_000 })
      const pending = producer.send({ topic: 't', messages: [{ value: 'lingering' }] })
      await producer.disconnect()
      expect((await pending)[0]?.baseOffset).toBe(0)
      await expect(producer.send({ topic: 't', messages: [{ value: 'x' }] })).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
    }))
})
