import {
  type AssignerInput,
  type AssignerMember,
  type GroupPlan,
  type PartitionAssigner,
  addPartition,
  compareMembers,
  compareStrings,
  emptyPlan,
  partitionCountOf,
  subscribedTopics,
} from './types'

interface Slot {
  member: AssignerMember
  /** Position in Kafka's member order, the tie-breaker everywhere so the plan is deterministic. */
  order: number
  topics: Set<string>
  /** Partitions held, as keys "topic\0partition". */
  held: Set<string>
}

/**
 * sticky balances partitions while moving as few as possible: each member keeps the partitions it
 * reports in `subscription.ownedPartitions` (when still valid), new and orphaned partitions go to
 * the least loaded subscribed members, and then partitions move one at a time from the most to
 * the least loaded member only while they differ by two or more. The result is balanced in
 * Kafka's `StickyAssignor` sense: no partition could move to a subscribed member holding two or
 * more fewer; with equal subscriptions, counts differ by at most one. A partition two members both
 * claim stays with the first in member order.
 */
export const sticky: PartitionAssigner = {
  name: 'sticky',
  assign(input: AssignerInput): GroupPlan {
    const slots = [...input.members].sort(compareMembers).map((member, order) => ({
      member,
      order,
      topics: new Set(member.subscription.topics.filter((t) => partitionCountOf(input, t) > 0)),
      held: new Set<string>(),
    }))
    const taken = keepOwned(slots, input)
    placeUnassigned(slots, unassigned(slots, input, taken))
    for (let move = findMove(slots); move !== null; move = findMove(slots)) {
      move.from.held.delete(move.key)
      move.to.held.add(move.key)
    }
    return toPlan(input, slots)
  },
}

/** keepOwned gives each member its previously owned partitions that are still valid and unclaimed. */
function keepOwned(slots: Slot[], input: AssignerInput): Set<string> {
  const taken = new Set<string>()
  for (const slot of slots) {
    for (const { topic, partition } of slot.member.subscription.ownedPartitions ?? []) {
      const valid =
        slot.topics.has(topic) && Number.isSafeInteger(partition) && partition >= 0 && partition < partitionCountOf(input, topic)
      const k = key(topic, partition)
      if (!valid || taken.has(k)) continue
      taken.add(k)
      slot.held.add(k)
    }
  }
  return taken
}

/** unassigned lists free partitions, those with the fewest eligible members first (they have the least choice). */
function unassigned(slots: Slot[], input: AssignerInput, taken: Set<string>): Array<{ key: string; eligible: Slot[] }> {
  const free: Array<{ key: string; eligible: Slot[] }> = []
  for (const topic of subscribedTopics(slots.map((s) => s.member))) {
    const eligible = slots.filter((s) => s.topics.has(topic))
    for (let p = 0; p < partitionCountOf(input, topic); p++) if (!taken.has(key(topic, p))) free.push({ key: key(topic, p), eligible })
  }
  // Array.prototype.sort is stable, so equal eligibility keeps topic-then-partition order.
  return free.sort((a, b) => a.eligible.length - b.eligible.length)
}

function placeUnassigned(_slots: Slot[], free: Array<{ key: string; eligible: Slot[] }>): void {
  for (const { key: k, eligible } of free) {
    const target = eligible.reduce((best, s) => (s.held.size < best.held.size ? s : best), eligible[0] as Slot)
    target.held.add(k)
  }
}

/**
 * findMove finds one partition to move from a member to one holding at least two fewer and
 * subscribed to its topic, trying the most loaded givers and least loaded takers first; null
 * when the plan is balanced. Each move lowers the sum of squared loads, so the loop ends.
 */
function findMove(slots: Slot[]): { from: Slot; to: Slot; key: string } | null {
  const byLoad = [...slots].sort((a, b) => a.held.size - b.held.size || a.order - b.order)
  for (let r = byLoad.length - 1; r >= 0; r--) {
    const from = byLoad[r] as Slot
    for (const to of byLoad) {
      if (to.held.size + 2 > from.held.size) break
      // The greatest movable key, by a linear scan (a sort per move made large rebalances slow).
      let chosen: string | undefined
      for (const k of from.held) if (to.topics.has(topicOf(k)) && (chosen === undefined || k > chosen)) chosen = k
      if (chosen !== undefined) return { from, to, key: chosen }
    }
  }
  return null
}

function toPlan(input: AssignerInput, slots: Slot[]): GroupPlan {
  const plan = emptyPlan(input.members)
  for (const slot of slots) {
    const parts = [...slot.held].map(parseKey).sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition)
    for (const { topic, partition } of parts) addPartition(plan, slot.member.memberId, topic, partition)
  }
  return plan
}

/** key names a partition; NUL cannot occur in a topic name. */
function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

function topicOf(k: string): string {
  return k.slice(0, k.lastIndexOf('\u0000'))
}

function parseKey(k: string): { topic: string; partition: number } {
  const at = k.lastIndexOf('\u0000')
  return { topic: k.slice(0, at), partition: Number(k.slice(at + 1)) }
}
