import { Assigners, resolveAssigner } from './index'
import type { AssignerMember } from './types'

const member = (memberId: string, topics: string[], groupInstanceId: string | null = null): AssignerMember => ({
  memberId,
  groupInstanceId,
  subscription: { topics },
})

describe('range (Kafka RangeAssignor)', () => {
  it('gives each member a contiguous block per topic: the kafka-facts §5.2 example', () => {
    const plan = Assigners.range.assign({
      members: [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])],
      partitionsPerTopic: { t0: 3, t1: 3 },
    })
    expect(plan).toEqual({ C0: { t0: [0, 1], t1: [0, 1] }, C1: { t0: [2], t1: [2] } })
  })

  it('assigns each topic only among its subscribers (unequal subscriptions)', () => {
    const members = [member('C2', ['t0', 't1', 't2']), member('C0', ['t0']), member('C1', ['t0', 't1'])]
    const plan = Assigners.range.assign({ members, partitionsPerTopic: { t0: 1, t1: 2, t2: 3 } })
    expect(plan).toEqual({ C0: { t0: [0] }, C1: { t1: [0] }, C2: { t1: [1], t2: [0, 1, 2] } })
  })

  it('matches RangeAssignorTest.testMultipleConsumersMixedTopics', () => {
    const members = [member('consumer1', ['topic1']), member('consumer2', ['topic1', 'topic2']), member('consumer3', ['topic1'])]
    const plan = Assigners.range.assign({ members, partitionsPerTopic: { topic1: 3, topic2: 2 } })
    expect(plan).toEqual({ consumer1: { topic1: [0] }, consumer2: { topic1: [1], topic2: [0, 1] }, consumer3: { topic1: [2] } })
  })

  it('leaves extra members empty and skips topics the cluster does not know', () => {
    const plan = Assigners.range.assign({ members: [member('a', ['t', 'gone']), member('b', ['t'])], partitionsPerTopic: { t: 1 } })
    expect(plan).toEqual({ a: { t: [0] }, b: {} })
  })

  it('orders static members first by instance id, then dynamic members by member id', () => {
    const members = [member('a', ['t']), member('z', ['t'], 'inst-2'), member('y', ['t'], 'inst-1')]
    const plan = Assigners.range.assign({ members, partitionsPerTopic: { t: 3 } })
    expect(plan).toEqual({ y: { t: [0] }, z: { t: [1] }, a: { t: [2] } })
  })
})

describe('roundRobin (Kafka RoundRobinAssignor)', () => {
  it('deals partitions in turn: the kafka-facts §5.2 example', () => {
    const plan = Assigners.roundRobin.assign({
      members: [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])],
      partitionsPerTopic: { t0: 3, t1: 3 },
    })
    expect(plan).toEqual({ C0: { t0: [0, 2], t1: [1] }, C1: { t0: [1], t1: [0, 2] } })
  })

  it('skips members not subscribed to a partition’s topic: the unequal-subscription example', () => {
    const members = [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])]
    const plan = Assigners.roundRobin.assign({ members, partitionsPerTopic: { t0: 1, t1: 2, t2: 3 } })
    expect(plan).toEqual({ C0: { t0: [0] }, C1: { t1: [0] }, C2: { t1: [1], t2: [0, 1, 2] } })
  })

  it('orders static members by instance id ahead of dynamic ones', () => {
    const members = [member('a', ['t']), member('b', ['t'], 'zz')]
    expect(Assigners.roundRobin.assign({ members, partitionsPerTopic: { t: 3 } })).toEqual({ b: { t: [0, 2] }, a: { t: [1] } })
  })
})

describe('sticky', () => {
  const owned = (pairs: Array<[string, number]>) => pairs.map(([topic, partition]) => ({ topic, partition }))

  it('spreads a fresh group evenly', () => {
    const plan = Assigners.sticky.assign({
      members: [member('a', ['t']), member('b', ['t']), member('c', ['t'])],
      partitionsPerTopic: { t: 7 },
    })
    expect(
      Object.values(plan)
        .map((m) => m.t?.length ?? 0)
        .sort(),
    ).toEqual([2, 2, 3])
  })

  it('moves only what a newcomer needs and keeps the rest where it was', () => {
    const a = {
      memberId: 'a',
      groupInstanceId: null,
      subscription: {
        topics: ['t'],
        ownedPartitions: owned([
          ['t', 0],
          ['t', 1],
          ['t', 2],
        ]),
      },
    }
    const b = {
      memberId: 'b',
      groupInstanceId: null,
      subscription: {
        topics: ['t'],
        ownedPartitions: owned([
          ['t', 3],
          ['t', 4],
          ['t', 5],
        ]),
      },
    }
    const plan = Assigners.sticky.assign({ members: [a, b, member('c', ['t'])], partitionsPerTopic: { t: 6 } })
    expect(plan.a?.t).toHaveLength(2)
    expect(plan.b?.t).toHaveLength(2)
    expect(plan.c?.t).toHaveLength(2)
    expect(plan.a?.t?.every((p) => p < 3)).toBe(true)
    expect(plan.b?.t?.every((p) => p >= 3)).toBe(true)
  })

  it('ignores owned partitions that are unsubscribed, out of range, or claimed by an earlier member', () => {
    const a = {
      memberId: 'a',
      groupInstanceId: null,
      subscription: {
        topics: ['t'],
        ownedPartitions: owned([
          ['t', 0],
          ['t', 9],
          ['x', 0],
        ]),
      },
    }
    const b = {
      memberId: 'b',
      groupInstanceId: null,
      subscription: {
        topics: ['t'],
        ownedPartitions: owned([
          ['t', 0],
          ['t', 1],
        ]),
      },
    }
    expect(Assigners.sticky.assign({ members: [a, b], partitionsPerTopic: { t: 2, x: 1 } })).toEqual({ a: { t: [0] }, b: { t: [1] } })
  })
})

describe('resolveAssigner', () => {
  it('resolves built-in names (with Kafka’s spelling) and passes custom assigners through', () => {
    expect(resolveAssigner('range')).toBe(Assigners.range)
    expect(resolveAssigner('roundRobin')).toBe(Assigners.roundRobin)
    expect(resolveAssigner('roundrobin')).toBe(Assigners.roundRobin)
    expect(resolveAssigner('sticky')).toBe(Assigners.sticky)
    const custom = { name: 'mine', assign: () => ({}) }
    expect(resolveAssigner(custom)).toBe(custom)
  })

  it('rejects unknown names and malformed assigners with INVALID_CONFIG', () => {
    expect(() => resolveAssigner('toString')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => resolveAssigner('cooperative-sticky')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => resolveAssigner({ name: '', assign: () => ({}) })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => resolveAssigner({ name: 'x' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })
})
