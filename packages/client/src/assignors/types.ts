import type { GroupSubscription } from '@tributary/core'

/** AssignerMember is one group member as the leader's assigner sees it. */
export interface AssignerMember {
  memberId: string
  /** Static membership id (KIP-345), or null for a dynamic member. */
  groupInstanceId: string | null
  subscription: GroupSubscription
}

/** AssignerInput is everything an assigner decides from: the members and each topic's partition count. */
export interface AssignerInput {
  members: AssignerMember[]
  /** Partition count per topic; subscribed topics missing here (unknown to the cluster) get no assignment. */
  partitionsPerTopic: Record<string, number>
}

/** MemberAssignment maps topic → ascending partition numbers for one member. */
export type MemberAssignment = Record<string, number[]>

/** GroupPlan maps member id → that member's assignment; every member of the input has an entry. */
export type GroupPlan = Record<string, MemberAssignment>

/**
 * PartitionAssigner decides which member of a consumer group reads which partitions. It runs on
 * the group leader, client side, as Kafka's `ConsumerPartitionAssignor` does. `assign` must be
 * pure and deterministic: the same input gives the same plan on any process.
 *
 * Invariant of every built-in assigner: each partition of each topic that some member subscribes
 * to goes to exactly one member subscribed to that topic.
 */
export interface PartitionAssigner {
  /** The protocol name the group agrees on (Kafka's names: 'range', 'roundrobin', 'sticky'). */
  name: string
  assign(input: AssignerInput): GroupPlan
}

/**
 * compareMembers orders members as Kafka's `AbstractPartitionAssignor.MemberInfo.compareTo`:
 * static members first, by instance id; then dynamic members by member id. Strings compare by
 * UTF-16 code units, as Java's `String.compareTo` does (not by locale).
 */
export function compareMembers(a: AssignerMember, b: AssignerMember): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return compareStrings(a.groupInstanceId, b.groupInstanceId)
  if (a.groupInstanceId !== null) return -1
  if (b.groupInstanceId !== null) return 1
  return compareStrings(a.memberId, b.memberId)
}

/** compareStrings compares by UTF-16 code units. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** emptyPlan gives every member an empty assignment, so every member appears in the plan. */
export function emptyPlan(members: readonly AssignerMember[]): GroupPlan {
  const plan: GroupPlan = {}
  for (const m of members) plan[m.memberId] = {}
  return plan
}

/** partitionCountOf returns a topic's partition count, 0 for topics the cluster does not know. */
export function partitionCountOf(input: AssignerInput, topic: string): number {
  const count = input.partitionsPerTopic[topic]
  return typeof count === 'number' && Number.isSafeInteger(count) && count > 0 ? count : 0
}

/** subscribedTopics lists every topic some member subscribes to, sorted by name. */
export function subscribedTopics(members: readonly AssignerMember[]): string[] {
  return [...new Set(members.flatMap((m) => m.subscription.topics))].sort(compareStrings)
}

/** addPartition appends `partition` to a member's list for `topic`. */
export function addPartition(plan: GroupPlan, memberId: string, topic: string, partition: number): void {
  const member = (plan[memberId] ??= {})
  ;(member[topic] ??= []).push(partition)
}
