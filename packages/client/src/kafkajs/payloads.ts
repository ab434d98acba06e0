import type { GroupDescription as TributaryGroupDescription } from '@tributary/core'
import type { EachBatchPayload as TributaryBatchPayload, KafkaMessage as TributaryMessage } from '../consumer/types'
import { AssignerProtocol } from './assigners'
import type { Batch, GroupDescription, KafkaMessage, TopicOffsets } from './types'

/**
 * Translations of what Tributary's consumer and admin hand out into KafkaJS's shapes: string
 * offsets and timestamps, consumer-protocol bytes for group members, and event payloads.
 */

/** RECORD_BATCH_MAGIC is the record batch version every Tributary batch has (v2). */
const RECORD_BATCH_MAGIC = 2

/** toKafkaMessage gives a consumed message KafkaJS's shape (record batch v2 fields, string offset and timestamp). */
export function toKafkaMessage(m: TributaryMessage): KafkaMessage {
  return {
    magicByte: RECORD_BATCH_MAGIC,
    attributes: 0,
    timestamp: String(m.timestamp),
    offset: String(m.offset),
    key: m.key,
    value: m.value,
    headers: m.headers as KafkaMessage['headers'],
    isControlRecord: false,
  }
}

/** toKafkaBatch wraps eachBatch's batch: the same messages and lags, offsets as strings. */
export function toKafkaBatch(b: TributaryBatchPayload['batch']): Batch {
  const messages = b.messages.map(toKafkaMessage)
  return {
    topic: b.topic,
    partition: b.partition,
    highWatermark: String(b.highWatermark),
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => {
      const first = b.firstOffset()
      return first === null ? null : String(first)
    },
    lastOffset: () => String(b.lastOffset()),
    offsetLag: () => String(b.offsetLag()),
    offsetLagLow: () => String(b.offsetLagLow()),
  }
}

/** stringOffsets turns `{ topics: [{ topic, partitions: [{ partition, offset: number }] }] }` offsets into strings. */
export function stringOffsets(o: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }> }): {
  topics: TopicOffsets[]
} {
  return {
    topics: o.topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset }) => ({ partition, offset: String(offset) })),
    })),
  }
}

function bytes(b: unknown): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.alloc(0)
}

/**
 * toKafkaGroup describes a group as KafkaJS's DescribeGroups does: each member's subscription and
 * assignment as Kafka consumer-protocol bytes (decode them with AssignerProtocol). Tributary does
 * not record client hosts: `clientHost` is ''.
 */
export function toKafkaGroup(g: TributaryGroupDescription): GroupDescription {
  return {
    errorCode: 0,
    groupId: g.groupId,
    state: g.state,
    protocolType: g.protocolType,
    protocol: g.protocol,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: '',
      memberMetadata: m.subscription
        ? AssignerProtocol.MemberMetadata.encode({ version: 0, topics: m.subscription.topics, userData: bytes(m.subscription.userData) })
        : Buffer.alloc(0),
      memberAssignment: m.assignment
        ? AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: m.assignment.assignment,
            userData: bytes(m.assignment.userData),
          })
        : Buffer.alloc(0),
    })),
  }
}

/** BatchEventPayload is Tributary's start/end batch event payload. */
interface BatchEventPayload {
  topic: string
  partition: number
  highWatermark: number
  offsetLag: number
  batchSize: number
  firstOffset: number
  lastOffset: number
  duration?: number
}

/** toKafkaBatchEvent gives consumer.start_batch_process / end_batch_process KafkaJS's payload (string offsets, offsetLagLow). */
export function toKafkaBatchEvent(p: BatchEventPayload): Record<string, unknown> {
  return {
    topic: p.topic,
    partition: p.partition,
    highWatermark: String(p.highWatermark),
    offsetLag: String(p.offsetLag),
    offsetLagLow: String(p.batchSize === 0 ? 0 : Math.max(0, p.highWatermark - 1 - p.firstOffset)),
    batchSize: p.batchSize,
    firstOffset: String(p.firstOffset),
    lastOffset: String(p.lastOffset),
    ...(p.duration === undefined ? {} : { duration: p.duration }),
  }
}
