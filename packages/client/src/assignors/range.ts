import {
  type AssignerInput,
  type GroupPlan,
  type PartitionAssigner,
  addPartition,
  compareMembers,
  emptyPlan,
  partitionCountOf,
  subscribedTopics,
} from './types'

/**
 * range is Kafka's `RangeAssignor`: topic by topic, the subscribed members in Kafka's member
 * order each take one contiguous block of partitions; with P partitions and C members, member i
 * gets `P / C` partitions plus one if `i < P % C`. Members subscribed to the same topics get the
 * same partition numbers of each (co-partitioning), which joins by key rely on.
 */
export const range: PartitionAssigner = {
  name: 'range',
  assign(input: AssignerInput): GroupPlan {
    const plan = emptyPlan(input.members)
    for (const topic of subscribedTopics(input.members)) {
      const consumers = input.members.filter((m) => m.subscription.topics.includes(topic)).sort(compareMembers)
      const partitions = partitionCountOf(input, topic)
      const quota = Math.floor(partitions / consumers.length)
      const extra = partitions % consumers.length
      consumers.forEach((member, i) => {
        const start = quota * i + Math.min(i, extra)
        const length = quota + (i < extra ? 1 : 0)
        for (let p = start; p < start + length; p++) addPartition(plan, member.memberId, topic, p)
      })
    }
    return plan
  },
}
