import { AssignerProtocol } from 'kafkajs'
import fc from 'fast-check'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol'

/*
 * The consumer protocol bytes must be what every other client of a group reads and writes: the
 * layouts below are Kafka's ConsumerProtocolSubscription/Assignment.json written out by hand, and
 * KafkaJS 2.2.4's own AssignerProtocol reads ours and writes what we read.
 */

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

describe('consumer protocol subscription', () => {
  test('v0 is version, topics, userData (the layout KafkaJS and old Java clients write)', () => {
    const bytes = encodeSubscription({ topics: ['ab'], userData: Buffer.from([7]) }, 0)
    expect(bytes).toEqual(hex('0000 00000001 0002 6162 00000001 07'))
    expect(decodeSubscription(bytes)).toEqual({
      version: 0,
      topics: ['ab'],
      ownedPartitions: [],
      userData: Buffer.from([7]),
      generationId: -1,
      rackId: null,
    })
  })

  test('v3 adds owned partitions by topic, the generation and the rack, in that order', () => {
    const bytes = encodeSubscription(
      {
        topics: ['t'],
        userData: null,
        ownedPartitions: [
          { topic: 't', partition: 0 },
          { topic: 'u', partition: 2 },
          { topic: 't', partition: 1 },
        ],
        generationId: 5,
        rackId: 'r',
      },
      3,
    )
    const expected = hex(`
      0003
      00000001 0001 74
      ffffffff
      00000002
        0001 74 00000002 00000000 00000001
        0001 75 00000001 00000002
      00000005
      0001 72`)
    expect(bytes).toEqual(expected)
    const decoded = decodeSubscription(bytes)
    expect(decoded.ownedPartitions).toEqual([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
      { topic: 'u', partition: 2 },
    ])
    expect([decoded.version, decoded.generationId, decoded.rackId, decoded.userData]).toEqual([3, 5, 'r', null])
  })

  test('a version newer than ours is read as our newest, ignoring the fields it appends (as Java does)', () => {
    const v3 = encodeSubscription({ topics: ['t'], ownedPartitions: [{ topic: 't', partition: 4 }] }, 3)
    const v9 = Buffer.concat([Buffer.from([0, 9]), v3.subarray(2), Buffer.from('future fields')])
    const decoded = decodeSubscription(v9)
    expect(decoded.version).toBe(9)
    expect(decoded.topics).toEqual(['t'])
    expect(decoded.ownedPartitions).toEqual([{ topic: 't', partition: 4 }])
  })

  test('KafkaJS reads the subscription we write, and we read the one it writes', () => {
    const ours = encodeSubscription({ topics: ['orders', 'payments'], userData: Buffer.from('hi') })
    const read = AssignerProtocol.MemberMetadata.decode(ours)
    expect(read).toMatchObject({ version: 3, topics: ['orders', 'payments'] })
    expect(Buffer.from(read?.userData as Buffer).toString()).toBe('hi')

    const theirs = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['orders'], userData: Buffer.alloc(0) })
    expect(decodeSubscription(theirs)).toMatchObject({ version: 0, topics: ['orders'], ownedPartitions: [] })
  })

  test('empty bytes are an empty subscription; truncated or negative-version bytes are CORRUPT_MESSAGE', () => {
    expect(decodeSubscription(Buffer.alloc(0)).topics).toEqual([])
    const good = encodeSubscription({ topics: ['abc'] }, 1)
    for (let n = 1; n < good.length; n++) {
      expect(() => decodeSubscription(good.subarray(0, n))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }))
    }
    expect(() => decodeSubscription(hex('ffff 00000000'))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }))
  })

  test('encode then decode gives the subscription back, at every version that carries its fields', () => {
    const topic = fc.stringMatching(/^[a-z]{1,8}$/)
    fc.assert(
      fc.property(
        fc.array(topic, { maxLength: 5 }),
        fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }),
        fc.uniqueArray(fc.record({ topic, partition: fc.nat(50) }), { maxLength: 6, selector: (p) => `${p.topic}/${p.partition}` }),
        (topics, userData, owned) => {
          const data = userData === null ? null : Buffer.from(userData)
          const decoded = decodeSubscription(encodeSubscription({ topics, userData: data, ownedPartitions: owned }))
          expect(decoded.topics).toEqual(topics)
          expect(decoded.userData).toEqual(data)
          const key = (p: { topic: string; partition: number }): string => `${p.topic}/${p.partition}`
          expect(decoded.ownedPartitions?.map(key).sort()).toEqual(owned.map(key).sort())
        },
      ),
    )
  })
})

describe('consumer protocol assignment', () => {
  test('v1 is version, partitions by topic, userData', () => {
    const bytes = encodeAssignment({ assignment: { t: [0, 3] }, userData: null })
    expect(bytes).toEqual(hex('0001 00000001 0001 74 00000002 00000000 00000003 ffffffff'))
    expect(decodeAssignment(bytes)).toEqual({ assignment: { t: [0, 3] }, userData: null })
  })

  test('KafkaJS reads the assignment we write, and we read the one it writes', () => {
    const ours = encodeAssignment({ assignment: { a: [1], b: [0, 2] }, userData: Buffer.from('x') })
    expect(AssignerProtocol.MemberAssignment.decode(ours)).toMatchObject({ version: 1, assignment: { a: [1], b: [0, 2] } })
    const theirs = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { a: [4, 5] }, userData: Buffer.alloc(0) })
    expect(decodeAssignment(theirs)).toEqual({ assignment: { a: [4, 5] }, userData: Buffer.alloc(0) })
  })

  test('empty bytes are no assignment, and a topic listed twice is merged', () => {
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ assignment: {}, userData: null })
    const twice = hex('0000 00000002 0001 74 00000001 00000000 0001 74 00000001 00000005 ffffffff')
    expect(decodeAssignment(twice).assignment).toEqual({ t: [0, 5] })
  })
})
