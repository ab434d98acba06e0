import { Tributary } from '@tributary/client'
import { OffsetHistory, browseMessages, groupsWithLag } from './console-data'

/*
 * The console's data: rates from sampled end offsets, the message browser by offset and by time
 * (bounded, bad parameters refused with INVALID_REQUEST), and groups with lag per partition.
 */

let tb: Tributary

beforeAll(async () => {
  tb = await Tributary.open()
  await tb.admin().createTopics({ topics: [{ topic: 'clicks', numPartitions: 2 }] })
  const producer = tb.producer()
  await producer.send({ topic: 'clicks', messages: [0, 1, 2].map((i) => ({ partition: 0, value: `early-${i}`, timestamp: 1_000 + i })) })
  await producer.send({
    topic: 'clicks',
    messages: [0, 1, 2, 3].map((i) => ({
      partition: 0,
      key: `k${i}`,
      value: `late-${i}`,
      timestamp: 5_000 + i,
      headers: { source: 'test' },
    })),
  })
})

afterAll(() => tb?.close())

const text = (b64: unknown) => Buffer.from(String(b64), 'base64').toString('utf8')

test('OffsetHistory turns sampled end offsets into messages per second, bounded to its samples', () => {
  const h = new OffsetHistory(3)
  h.add(0, new Map([['a', 0]]))
  h.add(1_000, new Map([['a', 10]]))
  h.add(3_000, new Map([['a', 50]]))
  expect(h.series('a')).toEqual({ rates: [10, 20], ratePerSec: 20 })
  h.add(4_000, new Map([['a', 50]]))
  expect(h.series('a')).toEqual({ rates: [20, 0], ratePerSec: 0 })
  expect(h.series('unknown')).toEqual({ rates: [0, 0], ratePerSec: 0 })
})

test('the browser reads from an offset or a time, up to the limit, with keys, values and headers', async () => {
  const fromStart = await browseMessages(tb.broker, { topic: 'clicks', partition: 0, limit: 20 })
  expect(fromStart).toMatchObject({ startOffset: 0, endOffset: 7, from: 0 })
  expect(fromStart.messages.map((m) => text(m.value))).toEqual(['early-0', 'early-1', 'early-2', 'late-0', 'late-1', 'late-2', 'late-3'])

  const page = await browseMessages(tb.broker, { topic: 'clicks', partition: 0, offset: 2, limit: 3 })
  expect(page.messages.map((m) => m.offset)).toEqual([2, 3, 4])
  expect(page.messages[1]).toMatchObject({ timestamp: 5_000, headers: [{ key: 'source', value: Buffer.from('test').toString('base64') }] })
  expect(text(page.messages[1]?.key)).toBe('k0')

  const byTime = await browseMessages(tb.broker, { topic: 'clicks', partition: 0, timestampMs: 5_002, limit: 20 })
  expect(byTime.from).toBe(5)
  expect(byTime.messages.map((m) => text(m.value))).toEqual(['late-2', 'late-3'])
  const afterEverything = await browseMessages(tb.broker, { topic: 'clicks', partition: 0, timestampMs: 9_999, limit: 20 })
  expect(afterEverything).toMatchObject({ from: 7, messages: [] })
  const empty = await browseMessages(tb.broker, { topic: 'clicks', partition: 1, limit: 5 })
  expect(empty).toMatchObject({ startOffset: 0, endOffset: 0, messages: [] })
})

test('the browser refuses bad parameters and unknown partitions with typed errors', async () => {
  const q = { topic: 'clicks', partition: 0, limit: 5 }
  await expect(browseMessages(tb.broker, { ...q, limit: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  await expect(browseMessages(tb.broker, { ...q, limit: 201 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  await expect(browseMessages(tb.broker, { ...q, offset: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  await expect(browseMessages(tb.broker, { ...q, offset: -1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  await expect(browseMessages(tb.broker, { ...q, timestampMs: 1.5 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  await expect(browseMessages(tb.broker, { ...q, partition: -1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  await expect(browseMessages(tb.broker, { ...q, topic: '' })).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' })
  await expect(browseMessages(tb.broker, { ...q, partition: 9 })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
})

test('groups come with committed offsets, lag per partition and the total', async () => {
  await tb.admin().setOffsets({ groupId: 'readers', topic: 'clicks', partitions: [{ partition: 0, offset: 4 }] })
  const [g] = await groupsWithLag(tb.broker, 10)
  expect(g).toMatchObject({ groupId: 'readers', state: 'Empty', members: [], lag: 3 })
  expect(g?.partitions).toEqual([{ topic: 'clicks', partition: 0, committedOffset: 4, endOffset: 7, lag: 3, owner: null }])
})
