import {
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type ListOffsetsPartitionRequest,
  type ListOffsetsPartitionResult,
  type ProducePartitionData,
  type ProducePartitionResult,
  TributaryError,
} from '@tributary/core'
import { BatchLayout } from '@tributary/core/internal'
import { failedDeleteRecords, failedFetch, failedListOffset, failedProduce } from '@tributary/core/internal'
import { ZERO_UUID } from '../../codec/uuid'
import { errorFromKafkaCode } from '../../error-codes'
import type { RequestInput } from '../../messages'
import type { DeleteRecordsResponse } from '../../messages/21-delete-records'
import type { FetchResponse } from '../../messages/01-fetch'
import type { ListOffsetsResponse } from '../../messages/02-list-offsets'
import type { ProduceResponse } from '../../messages/00-produce'

/*
 * The partition APIs as the Broker contract sees them and as Kafka sends them: requests group a
 * leader's partitions by topic, and answers come back per partition, matched to the request by
 * topic and partition (Kafka may order them as it likes) and returned in request order.
 */

/** DeleteRecordsResult is one partition's outcome of deleteRecords. */
export type DeleteRecordsResult = { topic: string; partition: number; lowWatermark: number; error?: TributaryError }

const DUPLICATE_SEQUENCE_NUMBER = 46

/** READ_UNCOMMITTED: Tributary's client has no transactions; it sees what Java's default consumer sees (up to the high watermark). */
const READ_UNCOMMITTED = 0

/** groupByTopic lists items by topic, topics and partitions in first-seen order. */
export function groupByTopic<T extends { topic: string }>(items: readonly T[]): Array<[string, T[]]> {
  const out = new Map<string, T[]>()
  for (const item of items) {
    const list = out.get(item.topic)
    if (list === undefined) out.set(item.topic, [item])
    else list.push(item)
  }
  return [...out]
}

/** inRequestOrder looks up each item's answer by topic and partition; a missing one is UNKNOWN_SERVER_ERROR. */
function inRequestOrder<P extends { topic: string; partition: number }, R>(
  items: readonly P[],
  answers: Map<string, R>,
  missing: (item: P, error: TributaryError) => R,
): R[] {
  return items.map(
    (p) =>
      answers.get(key(p.topic, p.partition)) ??
      missing(p, new TributaryError('UNKNOWN_SERVER_ERROR', `the broker did not answer for ${p.topic}-${p.partition}`)),
  )
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

// ---- Produce ----------------------------------------------------------------------------------

/** produceRequest sends each partition's batch as the producer encoded it (never re-encoded). */
export function produceRequest(acks: number, timeoutMs: number, parts: readonly ProducePartitionData[]): RequestInput<0> {
  return {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: groupByTopic(parts).map(([name, ps]) => ({
      name,
      partitionData: ps.map((p) => ({ index: p.partition, records: p.batch })),
    })),
  }
}

/** parseProduce maps a Produce answer to per-partition results (errors with Kafka's message). */
export function parseProduce(body: ProduceResponse, parts: readonly ProducePartitionData[]): ProducePartitionResult[] {
  const answers = new Map<string, ProducePartitionResult>()
  for (const t of body.responses) {
    for (const p of t.partitionResponses) {
      // Brokers before Kafka 2.x answer a retried batch they already hold with DUPLICATE_SEQUENCE_NUMBER:
      // it is written, so it is a success (as Java's producer and librdkafka take it).
      const code = p.errorCode === DUPLICATE_SEQUENCE_NUMBER ? 0 : p.errorCode
      const error = errorFromKafkaCode(code, p.errorMessage, { topic: t.name, partition: p.index })
      answers.set(key(t.name, p.index), {
        topic: t.name,
        partition: p.index,
        baseOffset: error ? -1 : p.baseOffset,
        logAppendTime: p.logAppendTimeMs,
        logStartOffset: p.logStartOffset,
        ...(error ? { error } : {}),
      })
    }
  }
  return inRequestOrder(parts, answers, failedProduce)
}

// ---- Fetch ------------------------------------------------------------------------------------

/** FetchLimits are a fetch's wait and byte limits. */
export interface FetchLimits {
  maxWaitMs: number
  minBytes: number
  maxBytes: number
}

/**
 * fetchRequest asks one leader for its partitions, sessionless (session id 0, epoch -1, as
 * KafkaJS, librdkafka and kafka-python do). From v13 Kafka names topics by id: `topicIds` gives them.
 */
export function fetchRequest(parts: readonly FetchPartitionRequest[], limits: FetchLimits, topicIds: Map<string, string>): RequestInput<1> {
  return {
    replicaId: -1,
    maxWaitMs: limits.maxWaitMs,
    minBytes: limits.minBytes,
    maxBytes: limits.maxBytes,
    isolationLevel: READ_UNCOMMITTED,
    sessionId: 0,
    sessionEpoch: -1,
    topics: groupByTopic(parts).map(([topic, ps]) => ({
      topic,
      topicId: topicIds.get(topic) ?? ZERO_UUID,
      partitions: ps.map((p) => ({
        partition: p.partition,
        currentLeaderEpoch: -1,
        fetchOffset: p.offset,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: p.maxBytes,
      })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  }
}

/**
 * parseFetch maps a Fetch answer to per-partition results. The records of a partition are cut to
 * whole batches (Kafka may end a partition's records with part of a batch when it reaches a byte
 * limit); the first batch may start before the offset asked for, as the contract allows.
 * @param topicNames topic id → name, for answers that name topics by id (v13+).
 */
export function parseFetch(
  body: FetchResponse,
  parts: readonly FetchPartitionRequest[],
  topicNames: Map<string, string>,
): FetchPartitionResult[] {
  const whole = errorFromKafkaCode(body.errorCode, null)
  if (whole !== null) return parts.map((p) => failedFetch(p, whole))
  const answers = new Map<string, FetchPartitionResult>()
  for (const t of body.responses) {
    const topic = t.topicId !== ZERO_UUID ? (topicNames.get(t.topicId) ?? t.topic) : t.topic
    for (const p of t.partitions) {
      const error = errorFromKafkaCode(p.errorCode, null, { topic, partition: p.partitionIndex })
      answers.set(
        key(topic, p.partitionIndex),
        error
          ? failedFetch({ topic, partition: p.partitionIndex }, error)
          : {
              topic,
              partition: p.partitionIndex,
              highWatermark: p.highWatermark,
              logStartOffset: p.logStartOffset,
              batches: wholeBatches(p.records),
            },
      )
    }
  }
  return inRequestOrder(parts, answers, failedFetch)
}

/** emptyFetch is a partition's fetch result with no data and no error (a wait cut short). */
export function emptyFetch(p: { topic: string; partition: number }): FetchPartitionResult {
  return { topic: p.topic, partition: p.partition, highWatermark: -1, logStartOffset: -1, batches: [] }
}

/**
 * wholeBatches returns the records as one view holding only whole batches: a trailing partial
 * batch (cut by a byte limit) is left out, to be fetched whole next time.
 */
export function wholeBatches(records: Buffer | null): Buffer[] {
  if (records === null || records.length === 0) return []
  let pos = 0
  while (records.length - pos >= BatchLayout.LOG_OVERHEAD) {
    const size = records.readInt32BE(pos + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
    if (size <= BatchLayout.LOG_OVERHEAD || pos + size > records.length) break
    pos += size
  }
  if (pos === 0) return []
  return [pos === records.length ? records : records.subarray(0, pos)]
}

// ---- ListOffsets ------------------------------------------------------------------------------

/** listOffsetsRequest asks one leader for offsets by timestamp (-1 latest, -2 earliest). */
export function listOffsetsRequest(parts: readonly ListOffsetsPartitionRequest[], timeoutMs: number): RequestInput<2> {
  return {
    replicaId: -1,
    isolationLevel: READ_UNCOMMITTED,
    topics: groupByTopic(parts).map(([name, ps]) => ({
      name,
      partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: p.timestamp, maxNumOffsets: 1 })),
    })),
    timeoutMs,
  }
}

/** parseListOffsets maps a ListOffsets answer (v0's offset list too) to per-partition results. */
export function parseListOffsets(
  body: ListOffsetsResponse,
  version: number,
  parts: readonly ListOffsetsPartitionRequest[],
): ListOffsetsPartitionResult[] {
  const answers = new Map<string, ListOffsetsPartitionResult>()
  for (const t of body.topics) {
    for (const p of t.partitions) {
      const error = errorFromKafkaCode(p.errorCode, null, { topic: t.name, partition: p.partitionIndex })
      const offset = version === 0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset
      answers.set(
        key(t.name, p.partitionIndex),
        error
          ? failedListOffset({ topic: t.name, partition: p.partitionIndex }, error)
          : { topic: t.name, partition: p.partitionIndex, offset, timestamp: p.timestamp },
      )
    }
  }
  return inRequestOrder(parts, answers, failedListOffset)
}

// ---- DeleteRecords ----------------------------------------------------------------------------

/** deleteRecordsRequest moves each partition's log start to `offset` (-1: the high watermark). */
export function deleteRecordsRequest(
  parts: ReadonlyArray<{ topic: string; partition: number; offset: number }>,
  timeoutMs: number,
): RequestInput<21> {
  return {
    topics: groupByTopic(parts).map(([name, ps]) => ({
      name,
      partitions: ps.map((p) => ({ partitionIndex: p.partition, offset: p.offset })),
    })),
    timeoutMs,
  }
}

/** parseDeleteRecords maps a DeleteRecords answer to per-partition results. */
export function parseDeleteRecords(
  body: DeleteRecordsResponse,
  parts: ReadonlyArray<{ topic: string; partition: number }>,
): DeleteRecordsResult[] {
  const answers = new Map<string, DeleteRecordsResult>()
  for (const t of body.topics) {
    for (const p of t.partitions) {
      const error = errorFromKafkaCode(p.errorCode, null, { topic: t.name, partition: p.partitionIndex })
      answers.set(key(t.name, p.partitionIndex), {
        topic: t.name,
        partition: p.partitionIndex,
        lowWatermark: error ? -1 : p.lowWatermark,
        ...(error ? { error } : {}),
      })
    }
  }
  return inRequestOrder(parts, answers, failedDeleteRecords)
}
