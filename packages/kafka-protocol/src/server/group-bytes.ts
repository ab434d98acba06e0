import type { GroupAssignment, GroupProtocol, GroupSubscription, JoinGroupMember } from '@tributary/core'
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../client/consumer-protocol'

/*
 * Consumer-group member metadata and assignments are opaque bytes in Kafka: the coordinator relays
 * them between members without reading them. The server keeps them so (GroupProtocol.metadata,
 * GroupAssignment.raw, passed through untouched) and reads them only where Tributary needs to:
 * the topics of a "consumer" group's subscriptions (so new partitions rebalance the group) and the
 * partitions of an assignment (so a Tributary client in the same group gets its share). Groups of
 * other protocol types (Kafka Connect's "connect", …) stay opaque. Members that are Tributary's own
 * clients have no bytes: theirs are written in Kafka's ConsumerProtocol for the Kafka clients that
 * read them.
 */

const EMPTY = Buffer.alloc(0)
const NO_TOPICS: GroupSubscription = Object.freeze({ topics: [] }) as GroupSubscription

/** toGroupProtocols turns JoinGroup's protocols into the Broker's, keeping each one's bytes. */
export function toGroupProtocols(protocolType: string, protocols: ReadonlyArray<{ name: string; metadata: Buffer }>): GroupProtocol[] {
  return protocols.map(({ name, metadata }) => {
    // A copy: the request frame it is a view of is not kept for the group's lifetime.
    const bytes = Buffer.from(metadata)
    return { name, subscription: protocolType === CONSUMER_PROTOCOL_TYPE ? readSubscription(bytes) : NO_TOPICS, metadata: bytes }
  })
}

/** memberMetadata is what the leader gets for a member: its own bytes, or a Tributary member's subscription in Kafka's form. */
export function memberMetadata(
  member: Pick<JoinGroupMember, 'subscription' | 'metadata'> | { subscription: GroupSubscription | null; metadata?: Buffer },
): Buffer {
  if (member.metadata !== undefined) return member.metadata
  return member.subscription === null ? EMPTY : encodeSubscription(member.subscription, 1)
}

/** toGroupAssignment turns a leader's assignment bytes into the Broker's form, keeping the bytes. */
export function toGroupAssignment(bytes: Buffer): GroupAssignment {
  const raw = Buffer.from(bytes)
  try {
    return { ...decodeAssignment(raw), raw }
  } catch {
    return { assignment: {}, userData: null, raw }
  }
}

/** assignmentBytes is what a member gets: the leader's bytes, or a Tributary leader's assignment in Kafka's form. */
export function assignmentBytes(assignment: GroupAssignment | null): Buffer {
  if (assignment === null) return EMPTY
  if (assignment.raw !== undefined) return assignment.raw
  return encodeAssignment(assignment, 0)
}

function readSubscription(bytes: Buffer): GroupSubscription {
  try {
    const { topics, ownedPartitions, userData } = decodeSubscription(bytes)
    return { topics, ownedPartitions, userData }
  } catch {
    // Kafka never reads these bytes, so a client may send anything: such a member subscribes to no topic we know of.
    return NO_TOPICS
  }
}
