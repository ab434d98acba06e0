import { TributaryError, type GroupAssignment, type GroupSubscription, type TopicPartition } from '@tributary/core'
import { codecFor } from '../codec/api'
import { Reader } from '../codec/reader'
import { type BodyOf, f, message } from '../codec/schema'
import { Writer } from '../codec/writer'

/*
 * Kafka's ConsumerProtocol: the bytes a consumer-group member puts in JoinGroup's protocol
 * metadata (its subscription) and the leader puts in SyncGroup's assignments. The coordinator
 * never reads them; every member of a group must, whatever client it runs (Java, librdkafka,
 * KafkaJS, Tributary), so they follow Kafka's ConsumerProtocolSubscription.json and
 * ConsumerProtocolAssignment.json (apache/kafka 3.9): an int16 version, then the fields of that
 * version, never flexible.
 *
 * Subscription: v0 topics, userData; v1 ownedPartitions (KIP-429); v2 generationId; v3 rackId.
 * Assignment: v0 assignedPartitions, userData; v1-v3 add nothing on the wire (v1 marks a member
 * that knows the cooperative protocol).
 *
 * Reading follows Java's ConsumerProtocol: a version newer than ours is read as our newest (newer
 * versions only append fields), and bytes after the fields we know are ignored. An empty byte
 * string is no subscription (no topics) or no assignment, as Kafka sends a member the leader gave
 * nothing.
 */

/** SUBSCRIPTION_VERSION is the ConsumerProtocolSubscription version Tributary writes (Java's newest). */
export const SUBSCRIPTION_VERSION = 3
/** ASSIGNMENT_VERSION is the ConsumerProtocolAssignment version Tributary writes. */
export const ASSIGNMENT_VERSION = 1
/** CONSUMER_PROTOCOL_TYPE is the JoinGroup protocol type of consumer groups. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer'

const TopicPartitions = [f.string('topic', '0+'), f.array('partitions', '0+', 'int32')] as const

const SubscriptionSchema = message({
  name: 'ConsumerProtocolSubscription',
  apiKey: -1,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [
    f.array('topics', '0+', 'string'),
    f.bytes('userData', '0+', { nullableVersions: '0+', default: null }),
    f.array('ownedPartitions', '1+', TopicPartitions),
    f.int32('generationId', '2+', { default: -1 }),
    f.string('rackId', '3+', { nullableVersions: '3+', default: null }),
  ],
})

const AssignmentSchema = message({
  name: 'ConsumerProtocolAssignment',
  apiKey: -1,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [f.array('assignedPartitions', '0+', TopicPartitions), f.bytes('userData', '0+', { nullableVersions: '0+', default: null })],
})

type SubscriptionBody = BodyOf<typeof SubscriptionSchema>
type AssignmentBody = BodyOf<typeof AssignmentSchema>

/** DecodedSubscription is a member's subscription with what Kafka's newer versions add. */
export interface DecodedSubscription extends GroupSubscription {
  /** The version the member wrote. */
  version: number
  /** The generation of its owned partitions (v2+), -1 when unknown. */
  generationId: number
  /** Its rack (v3+), null when unknown. */
  rackId: string | null
}

/**
 * encodeSubscription writes a member's subscription as Kafka's ConsumerProtocolSubscription
 * (version SUBSCRIPTION_VERSION unless given).
 * @throws TributaryError INVALID_ARGUMENT for a value that does not fit its field.
 */
export function encodeSubscription(
  subscription: GroupSubscription & { generationId?: number; rackId?: string | null },
  version = SUBSCRIPTION_VERSION,
): Buffer {
  const body: SubscriptionBody = {
    topics: subscription.topics,
    userData: subscription.userData ?? null,
    ownedPartitions: groupByTopic(subscription.ownedPartitions ?? []),
    generationId: subscription.generationId ?? -1,
    rackId: subscription.rackId ?? null,
  }
  return encodeVersioned(SubscriptionSchema, version, body)
}

/**
 * decodeSubscription reads a member's ConsumerProtocolSubscription, whatever client wrote it.
 * @throws TributaryError CORRUPT_MESSAGE for bytes that are not a subscription.
 */
export function decodeSubscription(bytes: Buffer): DecodedSubscription {
  if (bytes.length === 0) return { version: 0, topics: [], ownedPartitions: [], userData: null, generationId: -1, rackId: null }
  const [version, body] = decodeVersioned<SubscriptionBody>(SubscriptionSchema, bytes, 'subscription')
  return {
    version,
    topics: body.topics,
    ownedPartitions: flatten(body.ownedPartitions),
    userData: body.userData === null ? null : Buffer.from(body.userData),
    generationId: body.generationId,
    rackId: body.rackId,
  }
}

/**
 * encodeAssignment writes a member's assignment as Kafka's ConsumerProtocolAssignment.
 * @throws TributaryError INVALID_ARGUMENT for a value that does not fit its field.
 */
export function encodeAssignment(assignment: GroupAssignment, version = ASSIGNMENT_VERSION): Buffer {
  const body: AssignmentBody = {
    assignedPartitions: Object.entries(assignment.assignment).map(([topic, partitions]) => ({ topic, partitions })),
    userData: assignment.userData ?? null,
  }
  return encodeVersioned(AssignmentSchema, version, body)
}

/**
 * decodeAssignment reads a ConsumerProtocolAssignment (empty bytes: nothing assigned). A topic
 * listed twice has its partitions merged.
 * @throws TributaryError CORRUPT_MESSAGE for bytes that are not an assignment.
 */
export function decodeAssignment(bytes: Buffer): GroupAssignment {
  if (bytes.length === 0) return { assignment: {}, userData: null }
  const [, body] = decodeVersioned<AssignmentBody>(AssignmentSchema, bytes, 'assignment')
  const assignment: Record<string, number[]> = {}
  for (const { topic, partitions } of body.assignedPartitions) (assignment[topic] ??= []).push(...partitions)
  return { assignment, userData: body.userData === null ? null : Buffer.from(body.userData) }
}

function encodeVersioned(spec: typeof SubscriptionSchema | typeof AssignmentSchema, version: number, body: unknown): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > 3) {
    throw new TributaryError('INVALID_ARGUMENT', `${spec.name} has versions 0-3, not ${version}`)
  }
  const codec = codecFor(spec, version)
  const size = codec.size(body, { chunkThresholdBytes: Number.POSITIVE_INFINITY, chunkedBytes: 0 })
  const w = new Writer(Buffer.allocUnsafe(2 + size), 2)
  w.buf.writeInt16BE(version, 0)
  codec.write(w, body)
  return w.buf
}

function decodeVersioned<T>(spec: typeof SubscriptionSchema | typeof AssignmentSchema, bytes: Buffer, what: string): [number, T] {
  try {
    const r = new Reader(bytes, 0, bytes.length, 'CORRUPT_MESSAGE')
    const version = r.int16('version')
    if (version < 0) throw r.fail('version', `negative ${what} version ${version}`)
    // Newer versions only add fields at the end: read what we know and ignore the rest, as Java does.
    return [version, codecFor(spec, Math.min(version, 3)).read(r) as T]
  } catch (error) {
    throw new TributaryError('CORRUPT_MESSAGE', `a group member's ${what} is not Kafka's consumer protocol: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

function groupByTopic(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic)
    if (list === undefined) byTopic.set(topic, [partition])
    else list.push(partition)
  }
  return [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }))
}

function flatten(groups: ReadonlyArray<{ topic: string; partitions: number[] }>): TopicPartition[] {
  return groups.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })))
}
