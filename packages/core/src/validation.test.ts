import { isTributaryError, type ErrorCode } from './errors'
import type { Message } from './model'
import {
  INTERNAL_TOPICS,
  isInternalTopic,
  normalizeMessage,
  toBytes,
  topicNamesCollide,
  validateBatchSize,
  validateOffset,
  validatePartition,
  validatePartitionCount,
  validateTopicName,
} from './validation'

/** thrown runs `fn` and returns the TributaryError it threw (failing the test for anything else). */
function thrown(fn: () => unknown): { code: ErrorCode | string; message: string } {
  try {
    fn()
  } catch (err) {
    if (isTributaryError(err)) return { code: err.code, message: err.message }
    return { code: `foreign ${String(err)}`, message: '' }
  }
  return { code: 'returned', message: '' }
}

const NOW = 1_700_000_000_000

describe('validateTopicName (Kafka TopicTest)', () => {
  test.each(['valid', 'TOPIC', 'nAmEs', 'ar6', 'VaL1d', '_0-9_.', '...', 'x'.repeat(249)])('%j is valid', (name) => {
    expect(() => validateTopicName(name)).not.toThrow()
  })

  test.each(['', 'foo bar', '..', 'foo:bar', 'foo=bar', '.', 'x'.repeat(250)])('%j is INVALID_TOPIC_EXCEPTION', (name) => {
    expect(thrown(() => validateTopicName(name)).code).toBe('INVALID_TOPIC_EXCEPTION')
  })

  test.each(['/', '\\', ',', '\u0000', ':', '"', "'", ';', '*', '?', ' ', '\t', '\r', '\n', '='])(
    'a name containing %j is INVALID_TOPIC_EXCEPTION',
    (char) => {
      const result = thrown(() => validateTopicName(`foo${char}bar`))
      expect(result.code).toBe('INVALID_TOPIC_EXCEPTION')
      expect(result.message).toMatch(/ASCII alphanumerics/)
    },
  )

  test('non-ASCII letters are illegal even though they are "alphanumeric"', () => {
    expect(thrown(() => validateTopicName('tópico')).code).toBe('INVALID_TOPIC_EXCEPTION')
  })

  test('a non-string name is INVALID_TOPIC_EXCEPTION', () => {
    expect(thrown(() => validateTopicName(42 as unknown as string)).code).toBe('INVALID_TOPIC_EXCEPTION')
  })

  test("the messages say why, as Kafka's do", () => {
    expect(thrown(() => validateTopicName('')).message).toMatch(/empty/)
    expect(thrown(() => validateTopicName('..')).message).toMatch(/"\." or "\.\."/)
    expect(thrown(() => validateTopicName('x'.repeat(250))).message).toMatch(/249/)
  })
})

describe('topicNamesCollide', () => {
  test.each([
    ['to.pic', 'to_pic', true],
    ['.topic', '_topic', true],
    ['.topic', 'topic_', false],
    ['a.b_c', 'a_b.c', true],
    ['topic', 'topic2', false],
    ['same', 'same', true],
  ])('%j vs %j → %p', (a, b, expected) => {
    expect(topicNamesCollide(a, b)).toBe(expected)
    expect(topicNamesCollide(b, a)).toBe(expected)
  })
})

describe('isInternalTopic', () => {
  test.each(['__consumer_offsets', '__transaction_state', '__share_group_state'])('%j is internal', (name) => {
    expect(isInternalTopic(name)).toBe(true)
    expect(INTERNAL_TOPICS.has(name)).toBe(true)
  })

  test.each(['consumer_offsets', '__consumer_offsets2', 'orders', '_schemas'])('%j is not', (name) => {
    expect(isInternalTopic(name)).toBe(false)
  })
})

describe('validatePartitionCount', () => {
  test.each([1, 12, 10000])('%p partitions is accepted', (n) => {
    expect(() => validatePartitionCount(n)).not.toThrow()
  })

  test.each([0, -1, 1.5, NaN, 10001, '3' as unknown as number])('%p partitions is INVALID_PARTITIONS', (n) => {
    expect(thrown(() => validatePartitionCount(n)).code).toBe('INVALID_PARTITIONS')
  })

  test('the upper bound is configurable', () => {
    expect(thrown(() => validatePartitionCount(65, 64)).code).toBe('INVALID_PARTITIONS')
    expect(() => validatePartitionCount(64, 64)).not.toThrow()
  })
})

describe('validatePartition', () => {
  test('0 to numPartitions-1 exist', () => {
    expect(() => validatePartition(0, 3)).not.toThrow()
    expect(() => validatePartition(2, 3)).not.toThrow()
  })

  test.each([3, -1, 0.5, NaN])('partition %p of 3 is UNKNOWN_TOPIC_OR_PARTITION', (p) => {
    expect(thrown(() => validatePartition(p, 3)).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
  })
})

describe('validateOffset', () => {
  test.each([0, 1, Number.MAX_SAFE_INTEGER])('%p is a valid offset', (offset) => {
    expect(() => validateOffset(offset, 'seek offset')).not.toThrow()
  })

  test.each([-1, 1.5, NaN, Infinity, 2 ** 53, '5' as unknown as number])('%p is INVALID_ARGUMENT naming the field', (offset) => {
    const result = thrown(() => validateOffset(offset, 'seek offset'))
    expect(result.code).toBe('INVALID_ARGUMENT')
    expect(result.message).toMatch(/^seek offset /)
  })
})

describe('validateBatchSize', () => {
  test('a batch up to max.message.bytes passes; one byte more is MESSAGE_TOO_LARGE', () => {
    expect(() => validateBatchSize(1000, 1000)).not.toThrow()
    expect(thrown(() => validateBatchSize(1001, 1000)).code).toBe('MESSAGE_TOO_LARGE')
  })
})

describe('toBytes', () => {
  test('a Buffer is returned as is', () => {
    const buf = Buffer.from('x')
    expect(toBytes(buf, 'key')).toBe(buf)
  })

  test('a Uint8Array becomes a Buffer view of the same memory', () => {
    const backing = new Uint8Array([1, 2, 3, 4])
    const view = backing.subarray(1, 3)
    const bytes = toBytes(view, 'key')!
    expect(Buffer.isBuffer(bytes)).toBe(true)
    expect([...bytes]).toEqual([2, 3])
    backing[1] = 9
    expect(bytes[0]).toBe(9)
  })

  test('a string becomes its UTF-8 bytes; null and undefined become null', () => {
    expect(toBytes('é', 'value')?.toString('hex')).toBe('c3a9')
    expect(toBytes('', 'value')?.length).toBe(0)
    expect(toBytes(null, 'value')).toBeNull()
    expect(toBytes(undefined, 'value')).toBeNull()
  })

  test.each([42, true, {}, [1], () => 1, Symbol('s'), 10n])('%p is INVALID_ARGUMENT naming the field', (value) => {
    const result = thrown(() => toBytes(value as never, 'messages[3].value'))
    expect(result.code).toBe('INVALID_ARGUMENT')
    expect(result.message).toMatch(/^messages\[3\]\.value must be a Buffer, Uint8Array, string or null/)
  })
})

describe('normalizeMessage', () => {
  test('fills the timestamp, encodes strings and flattens headers (arrays give duplicate keys)', () => {
    const record = normalizeMessage(
      { key: 'k', value: 'v', headers: { a: '1', b: ['2', Buffer.from('3')], c: null, skipped: undefined } },
      0,
      NOW,
    )
    expect(record.key?.toString()).toBe('k')
    expect(record.value?.toString()).toBe('v')
    expect(record.timestamp).toBe(NOW)
    expect(record.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['b', '3'],
      ['c', null],
    ])
  })

  test('an explicit timestamp is kept; a missing key and headers are null and empty', () => {
    const record = normalizeMessage({ value: null, timestamp: 0 }, 0, NOW)
    expect(record).toEqual({ key: null, value: null, headers: [], timestamp: 0 })
  })

  test('the input message is left unchanged', () => {
    const msg: Message = { key: 'k', value: 'v', headers: { a: ['1'] } }
    const copy = JSON.parse(JSON.stringify(msg))
    normalizeMessage(msg, 0, NOW)
    expect(msg).toEqual(copy)
  })

  test('a missing value is INVALID_ARGUMENT (null is the way to send a tombstone)', () => {
    const result = thrown(() => normalizeMessage({ key: 'k' } as Message, 2, NOW))
    expect(result.code).toBe('INVALID_ARGUMENT')
    expect(result.message).toMatch(/^messages\[2\]\.value is required/)
    expect(thrown(() => normalizeMessage({ key: 'k', value: undefined } as unknown as Message, 2, NOW)).code).toBe('INVALID_ARGUMENT')
  })

  test.each([null, 'text', 5])('a message that is %p is INVALID_ARGUMENT', (msg) => {
    expect(thrown(() => normalizeMessage(msg as unknown as Message, 0, NOW)).code).toBe('INVALID_ARGUMENT')
  })

  test('a bad key, value or header value is INVALID_ARGUMENT naming exactly which', () => {
    expect(thrown(() => normalizeMessage({ key: 7 as never, value: 'v' }, 1, NOW)).message).toMatch(/^messages\[1\]\.key must be/)
    expect(thrown(() => normalizeMessage({ value: { a: 1 } as never }, 3, NOW)).message).toMatch(
      /^messages\[3\]\.value must be a Buffer, Uint8Array, string or null/,
    )
    expect(thrown(() => normalizeMessage({ value: 'v', headers: { h: 1 as never } }, 0, NOW)).message).toMatch(
      /^messages\[0\]\.headers\.h must be/,
    )
    expect(thrown(() => normalizeMessage({ value: 'v', headers: { h: ['ok', 2 as never] } }, 0, NOW)).message).toMatch(
      /^messages\[0\]\.headers\.h\[1\] must be/,
    )
  })

  test.each(['a string' as never, ['a'] as never, Buffer.from('x') as never])('headers given as %p are INVALID_ARGUMENT', (headers) => {
    expect(thrown(() => normalizeMessage({ value: 'v', headers }, 0, NOW)).code).toBe('INVALID_ARGUMENT')
  })

  test.each([-1, 1.5, NaN, Infinity, 2 ** 53, '1700000000000' as never, null as never])(
    'timestamp %p is INVALID_TIMESTAMP',
    (timestamp) => {
      const result = thrown(() => normalizeMessage({ value: 'v', timestamp }, 4, NOW))
      expect(result.code).toBe('INVALID_TIMESTAMP')
      expect(result.message).toMatch(/^messages\[4\]\.timestamp /)
    },
  )
})
