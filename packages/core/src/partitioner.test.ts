import fc from 'fast-check'
import murmurhash from 'murmurhash'
import { isTributaryError, type ErrorCode } from './errors'
import { StickyPartitioner, murmur2, partitionForKey, toPositive } from './partitioner'
import { createRandom } from './testing/random'

function codeOf(fn: () => unknown): ErrorCode | string {
  try {
    fn()
    return 'returned'
  } catch (err) {
    return isTributaryError(err) ? err.code : `foreign ${String(err)}`
  }
}

const utf8 = (s: string) => Buffer.from(s, 'utf8')

// kafka-facts §1.2: Kafka's UtilsTest.testMurmur2 (complete).
const KAFKA_VECTORS: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

// kafka-facts §1.2: KafkaJS DefaultPartitioner murmur2 spec (generated with Java).
const KAFKAJS_VECTORS: Array<[string, number]> = [
  ['0', 971027396],
  ['1', -1993445489],
  ['128', -326012175],
  ['2187', -1508407203],
  ['16384', -325739742],
  ['78125', -1654490814],
  ['279936', 1462227128],
  ['823543', -2014198330],
  ['2097152', 607668903],
  ['4782969', -1182699775],
  ['10000000', -1830336757],
  ['19487171', -1603849305],
  ['35831808', -857013643],
  ['62748517', -1167431028],
  ['105413504', -381294639],
  ['170859375', -1658323481],
  ['100:48069', 1009543857],
]

const PARTITION_COUNTS = [3, 4, 6, 8, 10, 12, 16, 32] as const
// kafka-facts §1.2 derived table: key, murmur2, toPositive, then partitions for PARTITION_COUNTS.
const DERIVED: Array<[string, number, number, number[]]> = [
  ['21', -973932308, 1173551340, [0, 0, 0, 4, 0, 0, 12, 12]],
  ['foobar', -790332482, 1357151166, [0, 2, 0, 6, 6, 6, 14, 30]],
  ['a-little-bit-long-string', -985981536, 1161502112, [2, 0, 2, 0, 2, 8, 0, 0]],
  ['a-little-bit-longer-string', -1486304829, 661178819, [2, 3, 5, 3, 9, 11, 3, 3]],
  ['abc', 479470107, 479470107, [0, 3, 3, 3, 7, 3, 11, 27]],
  ['', 275646681, 275646681, [0, 1, 3, 1, 1, 9, 9, 25]],
  ['key', -1079937367, 1067546281, [1, 1, 1, 1, 1, 1, 9, 9]],
  ['test-key', -1341026247, 806457401, [2, 1, 5, 1, 1, 5, 9, 25]],
  ['hello', 2132663229, 2132663229, [0, 1, 3, 5, 9, 9, 13, 29]],
]

describe('murmur2', () => {
  test.each(KAFKA_VECTORS)("Kafka's UtilsTest: murmur2(%j) = %d", (input, expected) => {
    expect(murmur2(utf8(input))).toBe(expected)
  })

  test.each(KAFKAJS_VECTORS)('KafkaJS (Java-generated): murmur2(%j) = %d', (input, expected) => {
    expect(murmur2(utf8(input))).toBe(expected)
  })

  test('bytes {a, b, c} as a Uint8Array hash like the string "abc"', () => {
    expect(murmur2(new Uint8Array([0x61, 0x62, 0x63]))).toBe(479470107)
  })

  test('Buffer.from("1") and the numeric key 0 stringified hash as KafkaJS says', () => {
    expect(murmur2(Buffer.from('1'))).toBe(-1993445489)
    expect(murmur2(utf8(String(0)))).toBe(971027396)
  })

  test('agrees with the murmurhash package (v2, Kafka seed) on arbitrary bytes, as a signed int32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(murmur2(bytes)).toBe(murmurhash.v2(bytes, 0x9747b28c) | 0)
      }),
    )
  })
})

describe('toPositive', () => {
  test('clears the sign bit, which is not Math.abs', () => {
    expect(toPositive(-973932308)).toBe(1173551340)
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(479470107)).toBe(479470107)
  })
})

describe('partitionForKey', () => {
  test.each(DERIVED)('key %j: murmur2 %d, toPositive %d, partitions per count as the derived table', (key, hash, positive, partitions) => {
    expect(murmur2(utf8(key))).toBe(hash)
    expect(toPositive(hash)).toBe(positive)
    PARTITION_COUNTS.forEach((count, i) => {
      expect(partitionForKey(key, count)).toBe(partitions[i])
      expect(partitionForKey(utf8(key), count)).toBe(partitions[i])
    })
  })

  test("'100:48069' with 12 partitions goes to partition 9, as Java (tulios/kafkajs#357)", () => {
    expect(partitionForKey('100:48069', 12)).toBe(9)
  })

  test('string keys hash as their UTF-8 bytes', () => {
    expect(partitionForKey('clé-ü-🚀', 1000)).toBe(partitionForKey(utf8('clé-ü-🚀'), 1000))
  })

  test.each([0, -1, 1.5, NaN])('a partition count of %p is INVALID_PARTITIONS', (count) => {
    expect(codeOf(() => partitionForKey('k', count))).toBe('INVALID_PARTITIONS')
  })
})

describe('StickyPartitioner', () => {
  test('keyless messages stick to one partition per topic until nextBatch, then move to another', () => {
    const partitioner = new StickyPartitioner(createRandom(7).next)
    const first = partitioner.choosePartition({ topic: 't', numPartitions: 6 })
    for (let i = 0; i < 50; i++) expect(partitioner.choosePartition({ topic: 't', numPartitions: 6, key: null })).toBe(first)
    partitioner.nextBatch('t')
    const second = partitioner.choosePartition({ topic: 't', numPartitions: 6 })
    expect(second).not.toBe(first)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 6 })).toBe(second)
  })

  test('each topic has its own sticky partition, and nextBatch of one topic leaves the others', () => {
    const draws = [0.1, 0.9, 0.5]
    const partitioner = new StickyPartitioner(() => draws.shift() ?? 0)
    expect(partitioner.choosePartition({ topic: 'a', numPartitions: 10 })).toBe(1)
    expect(partitioner.choosePartition({ topic: 'b', numPartitions: 10 })).toBe(9)
    partitioner.nextBatch('a')
    expect(partitioner.choosePartition({ topic: 'b', numPartitions: 10 })).toBe(9)
    // 0.5 over the 9 partitions other than 1 draws index 4, which is partition 5.
    expect(partitioner.choosePartition({ topic: 'a', numPartitions: 10 })).toBe(5)
  })

  test('over many batches every partition is used and none repeats back to back', () => {
    const partitioner = new StickyPartitioner(createRandom(42).next)
    const counts = new Array<number>(4).fill(0)
    let previous = -1
    for (let batch = 0; batch < 400; batch++) {
      const p = partitioner.choosePartition({ topic: 't', numPartitions: 4 })
      expect(p).not.toBe(previous)
      counts[p]!++
      previous = p
      partitioner.nextBatch('t')
    }
    for (const count of counts) expect(count).toBeGreaterThan(60)
  })

  test('a single-partition topic always gets partition 0', () => {
    const partitioner = new StickyPartitioner(createRandom(1).next)
    for (let i = 0; i < 5; i++) {
      expect(partitioner.choosePartition({ topic: 't', numPartitions: 1 })).toBe(0)
      partitioner.nextBatch('t')
    }
  })

  test('a sticky partition beyond a shrunken partition count is re-chosen within range', () => {
    const partitioner = new StickyPartitioner(() => 0.99)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 8 })).toBe(7)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 4 })).toBe(3)
  })

  test('a random source outside [0, 1) is a programmer error', () => {
    expect(() => new StickyPartitioner(() => 1).choosePartition({ topic: 't', numPartitions: 3 })).toThrow(RangeError)
  })

  test('precedence: an explicit partition wins over the key, the key over stickiness', () => {
    const partitioner = new StickyPartitioner(createRandom(3).next)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 12, key: '100:48069', partition: 2 })).toBe(2)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 12, key: '100:48069' })).toBe(9)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 12, key: utf8('100:48069'), partition: null })).toBe(9)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 32, key: 'hello', partition: undefined })).toBe(29)
  })

  test('an empty (non-null) key is hashed, not treated as keyless', () => {
    const partitioner = new StickyPartitioner(() => 0)
    expect(partitioner.choosePartition({ topic: 't', numPartitions: 12, key: '' })).toBe(9)
  })

  test.each([-1, 12, 1.5, NaN, '3' as unknown as number])(
    'explicit partition %p of a 12-partition topic is UNKNOWN_TOPIC_OR_PARTITION',
    (partition) => {
      const partitioner = new StickyPartitioner(() => 0)
      expect(codeOf(() => partitioner.choosePartition({ topic: 't', numPartitions: 12, partition }))).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    },
  )

  test('a partition count below 1 is INVALID_PARTITIONS', () => {
    expect(codeOf(() => new StickyPartitioner(() => 0).choosePartition({ topic: 't', numPartitions: 0 }))).toBe('INVALID_PARTITIONS')
  })

  test('nextBatch of a topic that never stuck does nothing', () => {
    const partitioner = new StickyPartitioner(() => 0.5)
    partitioner.nextBatch('never')
    expect(partitioner.choosePartition({ topic: 'never', numPartitions: 4 })).toBe(2)
  })
})
