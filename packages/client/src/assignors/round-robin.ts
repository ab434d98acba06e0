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
 * roundRobin is Kafka's `RoundRobinAssignor`: every subscribed partition (topics by name,
 * partitions ascending) is dealt in turn over the members in Kafka's member order, skipping
 * members not subscribed to the partition's topic. With equal subscriptions counts differ by at
 * most one.
 */
export const roundRobin: PartitionAssigner = {
  name: 'roundrobin',
  assign(input: AssignerInput): GroupPlan {
    const plan = emptyPlan(input.members)
    const members = [...input.members].sort(compareMembers)
    const subscriptions = members.map((m) => new Set(m.subscription.topics))
    let next = 0
    for (const topic of subscribedTopics(members)) {
      for (let partition = 0; partition < partitionCountOf(input, topic); partition++) {
        // Some member subscribes to `topic` (it came from the subscriptions), so this ends.
        while (!subscriptions[next % members.length]?.has(topic)) next++
        addPartition(plan, (members[next % members.length] as (typeof members)[number]).memberId, topic, partition)
        next++
      }
    }
    return plan
  },
}
