import { getEventListeners } from 'node:events'
import { LocalBroker, MemoryStorage, MemoryVolume, TributaryError, type Broker } from '@tributary/core'
import { FAST_GROUP, openMemory, rejoining, waitFor, wrapBroker } from '../testing/client-kit'
import { Tributary } from '../tributary'
import type { ClientEvent } from '../events'

async function produce(tb: Tributary, topic: string, count: number, from = 0): Promise<void> {
  await tb.producer().send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `m${from + i}` })) })
}

async function committed(tb: Tributary, groupId: string, topic: string): Promise<number[]> {
  const [t] = await tb.admin().fetchOffsets({ groupId, topics: [topic] })
  return (t?.partitions ?? []).map((p) => p.offset)
}

describe('Consumer delivery', () => {
  let tb: Tributary
  beforeEach(async () => {
    tb = await openMemory()
    await tb.admin().createTopics({ topics: [{ topic: 'f', numPartitions: 1 }] })
    await produce(tb, 'f', 10)
  })
  afterEach(() => tb.close())

  test('a failing handler is retried on the same message; the partition does not advance past it', async () => {
    const seen: number[] = []
    let failures = 0
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP, retry: { retries: 5, initialRetryTimeMs: 5, maxRetryTimeMs: 10 } })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset)
        if (message.offset === 3 && failures < 2) {
          failures++
          throw new Error('transient')
        }
      },
    })
    await waitFor(async () => (await committed(tb, 'g', 'f'))[0] === 10, 'every offset committed')
    expect(seen).toEqual([0, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9])
  })

  test('after its retries a failing handler crashes the consumer: later offsets are not committed, and the restart redelivers the message', async () => {
    let broken = true
    const delivered: number[] = []
    const commits: number[] = []
    const crashes: Array<{ restart: boolean }> = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP, retry: { retries: 1, initialRetryTimeMs: 5, maxRetryTimeMs: 10 } })
    consumer.on<{ topics: Array<{ partitions: Array<{ offset: number }> }> }>(consumer.events.COMMIT_OFFSETS, (e) => {
      commits.push(...e.payload.topics.flatMap((t) => t.partitions.map((p) => p.offset)))
    })
    consumer.on<{ restart: boolean }>(consumer.events.CRASH, (e) => crashes.push(e.payload))
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        delivered.push(message.offset)
        if (message.offset === 3 && broken) throw new Error('poison')
      },
    })
    await waitFor(() => crashes.length >= 2, 'two crashes')
    expect(crashes[0]).toEqual(expect.objectContaining({ restart: true }))
    expect(Math.max(...commits)).toBe(3)
    expect(delivered.filter((o) => o > 3)).toEqual([])
    broken = false
    await waitFor(async () => (await committed(tb, 'g', 'f'))[0] === 10, 'recovery')
    expect(delivered.filter((o) => o === 3).length).toBeGreaterThanOrEqual(3)
    expect(delivered.filter((o) => o > 3)).toEqual([4, 5, 6, 7, 8, 9])
  })

  test('a handler that keeps its payloads sees the own values of each message after later messages were handled', async () => {
    const kept: Array<{ partition: number; message: { offset: number; value: Buffer | null } }> = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({ eachMessage: async (payload) => void kept.push(payload) })
    await waitFor(() => kept.length === 10, 'all ten messages')
    expect(new Set(kept).size).toBe(10)
    expect(new Set(kept.map((p) => p.message)).size).toBe(10)
    expect(kept.map((p) => p.message.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i))
    expect(kept.map((p) => p.message.value?.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`))
    expect(kept[0]?.message.value).toEqual(Buffer.from('m0'))
  })

  test('eachBatch payload functions work when destructured (called without their payload)', async () => {
    const seen: Array<{ running: boolean; stale: boolean }> = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, isRunning, isStale, commitOffsetsIfNecessary, uncommittedOffsets }) => {
        for (const m of batch.messages) resolveOffset(m.offset)
        seen.push({ running: isRunning(), stale: isStale() })
        expect(uncommittedOffsets().topics[0]?.partitions[0]?.offset).toBe((batch.lastOffset() as number) + 1)
        await commitOffsetsIfNecessary()
      },
    })
    await waitFor(async () => (await committed(tb, 'g', 'f'))[0] === 10, 'every offset committed')
    expect(seen[0]).toEqual({ running: true, stale: false })
  })

  test('restartOnFailure resolving false stops the consumer', async () => {
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP, retry: { retries: 0, restartOnFailure: async () => false } })
    const stopped = new Promise<ClientEvent>((resolve) => consumer.on(consumer.events.STOP, resolve))
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({ eachMessage: async () => Promise.reject(new Error('always')) })
    await stopped
    expect(consumer.assignment()).toEqual([])
    expect((await consumer.describeGroup()).state).toBe('Empty')
  })

  test('eachBatch: a failure redelivers only what was not resolved', async () => {
    const batches: number[][] = []
    let failed = false
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset }) => {
        batches.push(batch.messages.map((m) => m.offset))
        for (const m of batch.messages) {
          if (m.offset === 6 && !failed) {
            failed = true
            throw new Error('midway')
          }
          resolveOffset(m.offset)
        }
      },
    })
    await waitFor(async () => (await committed(tb, 'g', 'f'))[0] === 10, 'all committed')
    expect(batches[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(batches[1]).toEqual([6, 7, 8, 9])
  })

  test('partitionsConsumedConcurrently handles partitions in parallel, each in order', async () => {
    await tb.admin().createTopics({ topics: [{ topic: 'p', numPartitions: 4 }] })
    await tb.producer().send({ topic: 'p', messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: String(i) })) })
    let active = 0
    let maxActive = 0
    const byPartition = new Map<number, number[]>()
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['p'], fromBeginning: true })
    await consumer.run({
      partitionsConsumedConcurrently: 4,
      eachMessage: async ({ partition, message }) => {
        active++
        maxActive = Math.max(maxActive, active)
        await new Promise((resolve) => setTimeout(resolve, 2))
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), message.offset])
        active--
      },
    })
    await waitFor(() => [...byPartition.values()].flat().length === 40, 'all 40')
    expect(maxActive).toBeGreaterThan(1)
    for (const offsets of byPartition.values()) expect(offsets).toEqual([...Array(10).keys()])
  })

  test('pause stops a partition, resume continues it; seek moves it; lag reports what is left', async () => {
    const seen: number[] = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    consumer.pause([{ topic: 'f' }])
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.offset) })
    expect(consumer.paused()).toEqual([{ topic: 'f', partitions: [0] }])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toEqual([])
    expect(await consumer.lag()).toEqual([{ topic: 'f', partition: 0, offset: 0, highWatermark: 10, lag: 10 }])
    consumer.resume([{ topic: 'f' }])
    await waitFor(() => seen.length === 10, 'resumed delivery')
    consumer.seek({ topic: 'f', partition: 0, offset: 7 })
    await waitFor(() => seen.length === 13, 'delivery after seek')
    expect(seen.slice(10)).toEqual([7, 8, 9])
    await waitFor(async () => (await consumer.lag())[0]?.lag === 0, 'no lag')
    expect(() => consumer.seek({ topic: 'f', partition: 0, offset: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  test('a handler may pause its own partition and resume it later', async () => {
    const seen: number[] = []
    let resume: (() => void) | null = null
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message, pause }) => {
        seen.push(message.offset)
        if (message.offset === 4 && !resume) resume = pause()
      },
    })
    await waitFor(() => resume !== null, 'the pause')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toEqual([0, 1, 2, 3, 4])
    ;(resume as unknown as () => void)()
    await waitFor(() => seen.length === 10, 'the rest')
    expect(seen).toEqual([...Array(10).keys()])
  })

  test('stream yields messages in order; breaking out leaves the group and the next reader continues', async () => {
    const first: number[] = []
    const c1 = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await c1.subscribe({ topics: ['f'], fromBeginning: true })
    for await (const { message } of c1.stream()) {
      first.push(message.offset)
      if (first.length === 5) break
    }
    expect(first).toEqual([0, 1, 2, 3, 4])
    expect((await tb.admin().describeGroups(['g'])).groups[0]?.state).toBe('Empty')
    // The message in hand when the loop ended (offset 4) was not committed.
    expect(await committed(tb, 'g', 'f')).toEqual([4])
    const c2 = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    await c2.subscribe({ topics: ['f'], fromBeginning: true })
    const second: number[] = []
    for await (const { message } of c2.stream()) {
      second.push(message.offset)
      if (message.offset === 9) break
    }
    expect(second).toEqual([4, 5, 6, 7, 8, 9])
  })

  test('stream reads many batches of several partitions in per-partition order; at the end of the loop only the message in hand is uncommitted', async () => {
    await tb.admin().createTopics({ topics: [{ topic: 'multi', numPartitions: 3 }] })
    const producer = tb.producer()
    const sent = new Map<number, string[]>([0, 1, 2].map((p) => [p, []]))
    for (let send = 0; send < 20; send++) {
      const messages = Array.from({ length: 30 }, (_, i) => ({ value: `v${send}-${i}`, partition: i % 3 }))
      for (const m of messages) sent.get(m.partition)?.push(m.value)
      await producer.send({ topic: 'multi', messages })
    }
    const consumer = tb.consumer({ groupId: 'gs', ...FAST_GROUP, maxBytesPerPartition: 1024 })
    await consumer.subscribe({ topics: ['multi'], fromBeginning: true })
    const got = new Map<number, string[]>([0, 1, 2].map((p) => [p, []]))
    let last: { partition: number; offset: number } | null = null
    let count = 0
    for await (const { partition, message } of consumer.stream()) {
      got.get(partition)?.push(String(message.value))
      last = { partition, offset: message.offset }
      if (++count === 600) break
    }
    expect(got).toEqual(sent)
    // Every partition is committed to its end except the one whose last message was in hand.
    const offsets = await committed(tb, 'gs', 'multi')
    expect(offsets).toEqual([0, 1, 2].map((p) => (p === last?.partition ? last.offset : 200)))
  })

  test('a handler slower than the session timeout keeps its membership: heartbeats run on their own timer', async () => {
    const joins: ClientEvent[] = []
    let beats = 0
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP, sessionTimeoutMs: 200 })
    consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push(e))
    consumer.on(consumer.events.HEARTBEAT, () => beats++)
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    let handled = 0
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.offset === 0) await new Promise((resolve) => setTimeout(resolve, 600))
        handled++
      },
    })
    await waitFor(() => handled === 10, 'all ten, the first one slowly', 5_000)
    expect(joins).toHaveLength(1)
    expect(beats).toBeGreaterThan(5)
    await waitFor(async () => (await committed(tb, 'g', 'f'))[0] === 10, 'the commit')
  })

  test('autoCommitThreshold commits once enough messages are handled', async () => {
    const commits: number[] = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    consumer.on<{ topics: Array<{ partitions: Array<{ offset: number }> }> }>(consumer.events.COMMIT_OFFSETS, (e) => {
      commits.push(...e.payload.topics.flatMap((t) => t.partitions.map((p) => p.offset)))
    })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({ autoCommitThreshold: 4, autoCommitIntervalMs: 60_000, eachMessage: async () => {} })
    await waitFor(() => commits.length > 0, 'a commit')
    expect(commits[0]).toBe(10)
    await produce(tb, 'f', 2, 10)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(commits).toEqual([10])
    await consumer.stop()
    expect(commits).toEqual([10, 12])
  })

  test('an offset out of range (records deleted under a commit) resets by autoOffsetReset', async () => {
    const admin = tb.admin()
    await admin.createTopics({ topics: [{ topic: 'oor' }] })
    for (let i = 0; i < 10; i++) await produce(tb, 'oor', 1, i)
    await admin.setOffsets({ groupId: 'g', topic: 'oor', partitions: [{ partition: 0, offset: 2 }] })
    await admin.deleteTopicRecords({ topic: 'oor', partitions: [{ partition: 0, offset: 8 }] })
    const low = (await admin.fetchTopicOffsets('oor'))[0]?.low as number
    expect(low).toBe(8)
    await produce(tb, 'oor', 3, 10)
    const seen: number[] = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP, autoOffsetReset: 'earliest' })
    await consumer.subscribe({ topics: ['oor'] })
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.offset) })
    await waitFor(() => seen.includes(12), 'the new messages')
    expect(seen[0]).toBe(low)
    expect(seen.every((o) => o >= low)).toBe(true)
  })

  test('events: group_join reports the assignment; on() returns a remover', async () => {
    const joins: Array<ClientEvent<{ memberAssignment: Record<string, number[]>; isLeader: boolean }>> = []
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
    const remove = consumer.on<{ memberAssignment: Record<string, number[]>; isLeader: boolean }>(consumer.events.GROUP_JOIN, (e) =>
      joins.push(e),
    )
    await consumer.subscribe({ topics: ['f'] })
    await consumer.run({ eachMessage: async () => {} })
    expect(joins).toHaveLength(1)
    expect(joins[0]?.type).toBe('consumer.group_join')
    expect(joins[0]?.payload).toEqual(expect.objectContaining({ isLeader: true, memberAssignment: { f: [0] } }))
    remove()
    await consumer.stop()
    await consumer.run({ eachMessage: async () => {} })
    expect(joins).toHaveLength(1)
  })
})

describe('Consumer offsets across restarts', () => {
  test('committed offsets survive closing and reopening the storage', async () => {
    const volume = new MemoryVolume()
    const seen: string[] = []
    const runOnce = async (produceFrom: number): Promise<void> => {
      const tb = await Tributary.open({ storage: new MemoryStorage({ volume }), brokerOptions: { minSessionTimeoutMs: 50 } })
      await produce(tb, 'r', 5, produceFrom)
      const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP })
      await consumer.subscribe({ topics: ['r'], fromBeginning: true })
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
      await waitFor(() => seen.length >= produceFrom + 5, 'this run’s messages')
      await tb.close()
    }
    await runOnce(0)
    await runOnce(5)
    expect(seen).toEqual([...Array(10).keys()].map((i) => `m${i}`))
  })

  test('a static member that restarts within its session keeps its partitions', async () => {
    const tb = await openMemory()
    try {
      await tb.admin().createTopics({ topics: [{ topic: 's', numPartitions: 4 }] })
      const make = (id: string) => tb.consumer({ groupId: 'g', ...FAST_GROUP, groupInstanceId: id })
      const a = make('a')
      const b = make('b')
      for (const c of [a, b]) {
        await c.subscribe({ topics: ['s'] })
        await c.run({ eachMessage: async () => {} })
      }
      await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2 && !rejoining(a), 'a balanced group')
      const before = JSON.stringify(b.assignment())
      const generation = (await a.describeGroup()).generationId
      await b.disconnect()
      const b2 = make('b')
      await b2.subscribe({ topics: ['s'] })
      await b2.run({ eachMessage: async () => {} })
      expect(JSON.stringify(b2.assignment())).toBe(before)
      expect((await a.describeGroup()).generationId).toBe(generation)
    } finally {
      await tb.close()
    }
  })
})

describe('Consumer under transient coordinator errors', () => {
  let local: LocalBroker
  let tb: Tributary | null = null
  beforeEach(async () => {
    local = await LocalBroker.open({ storage: new MemoryStorage(), minSessionTimeoutMs: 50 })
    await local.createTopics([{ topic: 'f', numPartitions: 1 }])
  })
  afterEach(async () => {
    await tb?.close()
    tb = null
    await local.close()
  })

  /** openWith opens a client on the local broker with `overrides` in place of its methods, and writes ten messages. */
  async function openWith(overrides: Partial<Broker>): Promise<Tributary> {
    tb = await Tributary.open({ broker: wrapBroker(local, overrides) })
    await produce(tb, 'f', 10)
    return tb
  }

  const committedOffset = async (): Promise<number> => (await local.fetchOffsets('g'))[0]?.offset ?? -1
  const coordinatorMoving = (): TributaryError => new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is moving')

  test('a retriable error while reading the committed offsets of the first assignment is retried: run() resolves and consumption starts', async () => {
    let calls = 0
    const client = await openWith({
      fetchOffsets: async (groupId, partitions) => {
        if (++calls === 1) throw coordinatorMoving()
        return local.fetchOffsets(groupId, partitions)
      },
    })
    let handled = 0
    const consumer = client.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await expect(consumer.run({ eachMessage: async () => void handled++ })).resolves.toBeUndefined()
    await waitFor(() => handled === 10, 'all ten messages')
    expect(calls).toBe(2)
  })

  test('a failed auto-commit is redone with backoff while no new data arrives', async () => {
    let commits = 0
    const client = await openWith({
      commitOffsets: async (request) => {
        if (++commits === 1) throw coordinatorMoving()
        return local.commitOffsets(request)
      },
    })
    const consumer = client.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({ eachMessage: async () => undefined })
    await waitFor(async () => (await committedOffset()) === 10, 'the offsets committed with no new data')
    expect(commits).toBe(2)
  })

  test('a commit that finished behind offsets handled meanwhile is followed by another one while no new data arrives', async () => {
    let holdCommitOf5: (() => void) | null = null
    const landed: number[] = []
    const client = await openWith({
      commitOffsets: async (request) => {
        const offset = request.offsets[0]?.offset ?? -1
        // The commit of offset 5 is slow: it lands after offsets up to 10 were handled again.
        if (offset === 5) await new Promise<void>((resolve) => (holdCommitOf5 = resolve))
        await local.commitOffsets(request)
        landed.push(offset)
      },
    })
    let rereading = false
    const consumer = client.consumer({ groupId: 'g', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        if (!rereading) return
        resolveOffset(4)
        void commitOffsetsIfNecessary() // commits offset 5, held back
        await waitFor(() => holdCommitOf5 !== null, 'the commit of offset 5 under way')
        resolveOffset(batch.lastOffset())
      },
    })
    await waitFor(() => landed.includes(10), 'the first pass committed')
    // Reading the partition again from 0: when the handler finishes, the handled offset (10) equals
    // the committed one, so that moment asks for no commit; then the held commit of 5 lands.
    rereading = true
    let handlerDone = false
    consumer.on(consumer.events.END_BATCH_PROCESS, () => (handlerDone = true))
    consumer.seek({ topic: 'f', partition: 0, offset: 0 })
    await waitFor(() => handlerDone, 'the second pass handled')
    await new Promise((resolve) => setTimeout(resolve, 20))
    ;(holdCommitOf5 as unknown as () => void)()
    await waitFor(() => landed.length === 3, 'a commit after the late one')
    expect(landed).toEqual([10, 5, 10])
    expect(await committedOffset()).toBe(10)
  })
})

describe('Consumer fetch sizes', () => {
  let local: LocalBroker
  let tb: Tributary | null = null
  beforeEach(async () => {
    local = await LocalBroker.open({ storage: new MemoryStorage(), minSessionTimeoutMs: 50 })
    await local.createTopics([{ topic: 'f', numPartitions: 2 }])
  })
  afterEach(async () => {
    await tb?.close()
    tb = null
    await local.close()
  })

  /** fetchSizes consumes ten messages through a broker whose `fetchesInProcess` is `inProcess` and returns each fetch's per-partition maxBytes. */
  async function fetchSizes(inProcess: boolean, options: Record<string, unknown>): Promise<number[]> {
    const asked: number[] = []
    tb = await Tributary.open({
      broker: wrapBroker(local, {
        fetchesInProcess: inProcess,
        fetch: (request) => {
          asked.push(...request.partitions.map((p) => p.maxBytes))
          return local.fetch(request)
        },
      }),
    })
    await produce(tb, 'f', 10)
    let handled = 0
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP, ...options })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({ eachMessage: async () => void handled++ })
    await waitFor(() => handled === 10, 'all ten messages')
    await consumer.disconnect()
    return asked
  }

  test('from a broker in this process a fetch asks at most 256 KiB of each partition (less buffered), however large maxBytesPerPartition is', async () => {
    const asked = await fetchSizes(true, {})
    expect(asked.length).toBeGreaterThan(0)
    expect(new Set(asked)).toEqual(new Set([256 * 1024]))
  })

  test('fetches share an abort signal until a poke aborts it: no listener is left on it, and a poke still ends a long poll at once', async () => {
    const signals: AbortSignal[] = []
    let fetching = 0
    tb = await Tributary.open({
      broker: wrapBroker(local, {
        fetch: async (request) => {
          if (request.signal) signals.push(request.signal)
          fetching++
          try {
            return await local.fetch(request)
          } finally {
            fetching--
          }
        },
      }),
    })
    await produce(tb, 'f', 10)
    let handled = 0
    const consumer = tb.consumer({ groupId: 'g', ...FAST_GROUP, maxWaitMs: 30_000 })
    await consumer.subscribe({ topics: ['f'], fromBeginning: true })
    await consumer.run({ eachMessage: async () => void handled++ })
    await waitFor(() => handled === 10 && fetching === 1, 'all ten messages, then a long poll')
    const unique = new Set(signals)
    expect(unique.size).toBeLessThan(signals.length)
    for (const signal of unique) expect(getEventListeners(signal, 'abort')).toHaveLength(signal === signals.at(-1) ? 1 : 0)
    // A seek pokes the fetcher: the 30 s long poll ends now (fetches run one at a time), and the partitions are read again.
    const fetchesBefore = signals.length
    consumer.seek({ topic: 'f', partition: 0, offset: 0 })
    consumer.seek({ topic: 'f', partition: 1, offset: 0 })
    await waitFor(() => signals.length > fetchesBefore && handled === 20, 'the long poll ended by the poke, the partitions read again')
    await consumer.disconnect()
  })

  test('from a broker in this process a smaller maxBytesPerPartition is kept', async () => {
    expect(new Set(await fetchSizes(true, { maxBytesPerPartition: 1000 }))).toEqual(new Set([1000]))
  })

  test('from a remote broker a fetch asks maxBytesPerPartition (1 MiB by default) of each partition', async () => {
    expect(new Set(await fetchSizes(false, {}))).toEqual(new Set([1024 * 1024]))
  })
})
