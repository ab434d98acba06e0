import fc from 'fast-check'
import type { TopicPartition } from '@tributary/core'
import { Assigners } from './index'
import type { AssignerInput, AssignerMember, GroupPlan, PartitionAssigner } from './types'

/** Property tests: fast-check prints the seed and the shrunk counterexample when one fails; FC_RUNS raises the run count. */
fc.configureGlobal({ numRuns: Number(process.env.FC_RUNS ?? 100) })

const TOPICS = ['t0', 't1', 't2']
const all: Array<[string, PartitionAssigner]> = Object.entries(Assigners)

const topicCounts = fc.record({
  t0: fc.integer({ min: 0, max: 9 }),
  t1: fc.integer({ min: 0, max: 9 }),
  t2: fc.integer({ min: 0, max: 9 }),
})
const memberIds = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 7 })

/** members builds members with the given ids, some static, with non-empty subscriptions. */
function members(ids: string[], subscriptions: string[][], staticFlags: boolean[]): AssignerMember[] {
  return ids.map((memberId, i) => ({
    memberId,
    groupInstanceId: staticFlags[i] ? `inst-${memberId}` : null,
    subscription: { topics: subscriptions[i % subscriptions.length] ?? ['t0'] },
  }))
}

const subscriptionSet = fc.array(fc.subarray(TOPICS, { minLength: 1 }), { minLength: 1, maxLength: 7 })
const anyInput = fc
  .tuple(memberIds, subscriptionSet, fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), topicCounts)
  .map(([ids, subs, flags, partitionsPerTopic]): AssignerInput => ({ members: members(ids, subs, flags), partitionsPerTopic }))
const equalInput = fc
  .tuple(memberIds, fc.subarray(TOPICS, { minLength: 1 }), fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), topicCounts)
  .map(([ids, topics, flags, partitionsPerTopic]): AssignerInput => ({ members: members(ids, [topics], flags), partitionsPerTopic }))

const load = (plan: GroupPlan, memberId: string) => Object.values(plan[memberId] ?? {}).reduce((n, ps) => n + ps.length, 0)
const ownedBy = (plan: GroupPlan, memberId: string): TopicPartition[] =>
  Object.entries(plan[memberId] ?? {}).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })))
const owners = (plan: GroupPlan) => {
  const map = new Map<string, string>()
  for (const [memberId, topics] of Object.entries(plan))
    for (const [t, ps] of Object.entries(topics)) for (const p of ps) map.set(`${t}-${p}`, memberId)
  return map
}

/** checkValid: every subscribed partition exactly once, only to a subscriber, ascending, every member present. */
function checkValid(input: AssignerInput, plan: GroupPlan): void {
  expect(Object.keys(plan).sort()).toEqual(input.members.map((m) => m.memberId).sort())
  const expected = new Set<string>()
  for (const t of new Set(input.members.flatMap((m) => m.subscription.topics))) {
    for (let p = 0; p < (input.partitionsPerTopic[t] ?? 0); p++) expected.add(`${t}-${p}`)
  }
  const seen: string[] = []
  for (const m of input.members) {
    for (const [topic, ps] of Object.entries(plan[m.memberId] ?? {})) {
      expect(m.subscription.topics).toContain(topic)
      expect(ps).toEqual([...ps].sort((a, b) => a - b))
      seen.push(...ps.map((p) => `${topic}-${p}`))
    }
  }
  expect(seen.sort()).toEqual([...expected].sort())
}

/** checkStickyBalance is Kafka's StickyAssignor balance: no partition could go to a subscriber holding two or more fewer. */
function checkStickyBalance(input: AssignerInput, plan: GroupPlan): void {
  for (const rich of input.members) {
    for (const poor of input.members) {
      if (load(plan, rich.memberId) < load(plan, poor.memberId) + 2) continue
      const movable = ownedBy(plan, rich.memberId).filter((tp) => poor.subscription.topics.includes(tp.topic))
      expect(movable).toEqual([])
    }
  }
}

const shuffled = <T>(xs: T[], seed: number) =>
  [...xs]
    .map((x, i) => ({ x, k: (i * 7919 + seed) % 104729 }))
    .sort((a, b) => a.k - b.k)
    .map((e) => e.x)

describe.each(all)('%s assigner properties', (_name, assigner) => {
  it('assigns every subscribed partition exactly once, only to members subscribed to its topic', () => {
    fc.assert(fc.property(anyInput, (input) => checkValid(input, assigner.assign(input))))
  })

  it('is deterministic and independent of the members’ input order', () => {
    fc.assert(
      fc.property(anyInput, fc.nat(), (input, seed) => {
        const plan = assigner.assign(input)
        expect(assigner.assign(input)).toEqual(plan)
        expect(assigner.assign({ ...input, members: shuffled(input.members, seed) })).toEqual(plan)
      }),
    )
  })
})

describe('balance', () => {
  it('range: within one partition per topic among the topic’s subscribers', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const plan = Assigners.range.assign(input)
        for (const t of TOPICS) {
          const counts = input.members.filter((m) => m.subscription.topics.includes(t)).map((m) => plan[m.memberId]?.[t]?.length ?? 0)
          if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
        }
      }),
    )
  })

  it.each([['roundRobin'], ['sticky']] as const)('%s: within one partition per member when subscriptions are equal', (name) => {
    fc.assert(
      fc.property(equalInput, (input) => {
        const plan = Assigners[name].assign(input)
        const loads = input.members.map((m) => load(plan, m.memberId))
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1)
      }),
    )
  })

  it('sticky: balanced in Kafka’s sense for any subscriptions and any (even conflicting) previous ownership', () => {
    const claims = fc.array(fc.record({ topic: fc.constantFrom(...TOPICS, 'gone'), partition: fc.integer({ min: -1, max: 10 }) }), {
      maxLength: 12,
    })
    fc.assert(
      fc.property(anyInput, fc.array(claims, { minLength: 7, maxLength: 7 }), (input, owned) => {
        const withClaims = {
          ...input,
          members: input.members.map((m, i) => ({ ...m, subscription: { ...m.subscription, ownedPartitions: owned[i] } })),
        }
        const plan = Assigners.sticky.assign(withClaims)
        checkValid(withClaims, plan)
        checkStickyBalance(withClaims, plan)
      }),
    )
  })
})

describe('sticky stickiness', () => {
  const withOwned = (input: AssignerInput, plan: GroupPlan): AssignerInput => ({
    ...input,
    members: input.members.map((m) => ({ ...m, subscription: { ...m.subscription, ownedPartitions: ownedBy(plan, m.memberId) } })),
  })

  it('moves nothing when re-run with its own plan as the owned partitions and the same members', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const plan = Assigners.sticky.assign(input)
        expect(Assigners.sticky.assign(withOwned(input, plan))).toEqual(plan)
      }),
    )
  })

  /**
   * The fewest moves that can balance `kept` partitions over `n` members: everyone above q+1
   * must shed down to q+1, and beyond the r = T mod n members allowed q+1, the rest shed to q.
   */
  function minimumMoves(kept: number[], total: number, n: number): number {
    const q = Math.floor(total / n)
    const r = total % n
    const over = kept.reduce((s, c) => s + Math.max(0, c - q - 1), 0)
    return over + Math.max(0, kept.filter((c) => c >= q + 1).length - r)
  }

  it('after a member joins or leaves, moves exactly the minimum number of partitions between remaining members (equal subscriptions)', () => {
    fc.assert(
      fc.property(equalInput, fc.boolean(), fc.nat(), (input, join, pick) => {
        const before = Assigners.sticky.assign(input)
        const remaining = join ? input.members : input.members.filter((_, i) => i !== pick % input.members.length)
        const newcomer = {
          memberId: 'zz-new',
          groupInstanceId: null,
          subscription: { topics: input.members[0]?.subscription.topics ?? [] },
        }
        const next = withOwned({ ...input, members: join ? [...remaining, newcomer] : remaining }, before)
        if (next.members.length === 0) return
        const after = Assigners.sticky.assign(next)
        const was = owners(before)
        const moved = [...owners(after)].filter(
          ([tp, m]) => was.has(tp) && was.get(tp) !== m && remaining.some((r) => r.memberId === was.get(tp)),
        ).length
        const total = owners(after).size
        const kept = remaining.map((m) => load(before, m.memberId))
        expect(moved).toBe(minimumMoves(join ? [...kept, 0] : kept, total, next.members.length))
      }),
    )
  })
})
