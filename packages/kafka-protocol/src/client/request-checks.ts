import {
  type Acks,
  type CreateTopicResult,
  type CreateTopicSpec,
  EARLIEST_TIMESTAMP,
  type FetchRequest,
  LATEST_TIMESTAMP,
  type ProduceRequest,
  TributaryError,
} from '@tributary/core'
import { BatchLayout, checkFramingAt } from '@tributary/core/internal'

/*
 * What the Kafka backend checks before sending: the Broker contract's rules for a request's shape
 * (the same codes LocalBroker answers: INVALID_REQUEST, INVALID_REQUIRED_ACKS, …) and every value
 * the wire cannot carry (a fraction where Kafka has an int32). The cluster checks the rest —
 * topic names, configs, offsets against the log — and answers with Kafka's codes, which are the
 * contract's. A refused request sends nothing, so it changes nothing.
 */

const INT32_MAX = 2_147_483_647
const INT16_MAX = 32_767
/** A Kafka STRING is at most 32767 bytes. */
const MAX_STRING_CHARS = 32_767

/** DEFAULT_FETCH_MAX_BYTES is a fetch's response budget when it gives none (Kafka's fetch.max.bytes, 50 MiB). */
export const DEFAULT_FETCH_MAX_BYTES = 52_428_800

function invalidRequest(message: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', message)
}

/** checkEntries refuses anything but a list of objects (INVALID_REQUEST). */
export function checkEntries(list: unknown, what: string): asserts list is object[] {
  if (!Array.isArray(list)) throw invalidRequest(`${what} must be an array`)
  for (const entry of list) if (entry === null || typeof entry !== 'object') throw invalidRequest(`each of ${what} must be an object`)
}

/** checkWait refuses a wait that is not an integer in [0, 2^31-1] ms (INVALID_REQUEST). */
function checkWait(ms: unknown, what: string): asserts ms is number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > INT32_MAX)
    throw invalidRequest(`${what} must be an integer in [0, ${INT32_MAX}] ms, got ${String(ms)}`)
}

function checkBytes(bytes: unknown, what: string): asserts bytes is number {
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > INT32_MAX)
    throw invalidRequest(`${what} must be an integer in [0, ${INT32_MAX}], got ${String(bytes)}`)
}

/**
 * checkProduceRequest checks a produce request's shape.
 * @throws TributaryError INVALID_REQUEST, INVALID_REQUIRED_ACKS.
 */
export function checkProduceRequest(request: ProduceRequest): { acks: Acks; timeoutMs: number } {
  if (request === null || typeof request !== 'object') throw invalidRequest('a produce request must be an object')
  checkEntries(request.partitions, 'produce request partitions')
  const { acks, timeoutMs } = request
  if (acks !== 0 && acks !== 1 && acks !== -1)
    throw new TributaryError('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, got ${String(acks)}`)
  checkWait(timeoutMs, 'timeoutMs')
  return { acks, timeoutMs }
}

/**
 * producedBatchError is why a batch cannot be sent (null when it can): not a Buffer, or not
 * exactly one record batch whose record count matches its last offset delta (CORRUPT_MESSAGE, as
 * LocalBroker answers; Kafka itself would answer INVALID_RECORD for two batches). The CRC is the
 * broker's to check.
 */
export function producedBatchError(batch: unknown): TributaryError | null {
  if (!Buffer.isBuffer(batch)) return new TributaryError('CORRUPT_MESSAGE', 'A produced batch must be a Buffer')
  try {
    if (checkFramingAt(batch) !== batch.length)
      return new TributaryError('CORRUPT_MESSAGE', 'A produced request must hold exactly one record batch')
  } catch (error) {
    return error as TributaryError
  }
  const lastOffsetDelta = batch.readInt32BE(BatchLayout.LAST_OFFSET_DELTA)
  const count = batch.readInt32BE(BatchLayout.RECORDS_COUNT)
  if (count < 1 || lastOffsetDelta !== count - 1)
    return new TributaryError('CORRUPT_MESSAGE', `Batch record count ${count} does not match its last offset delta ${lastOffsetDelta}`)
  return null
}

/**
 * checkFetchRequest checks a fetch request's shape and applies its defaults (minBytes 1, maxBytes
 * DEFAULT_FETCH_MAX_BYTES, maxWaitMs 0).
 * @throws TributaryError INVALID_REQUEST.
 */
export function checkFetchRequest(request: FetchRequest): { maxWaitMs: number; minBytes: number; maxBytes: number } {
  if (request === null || typeof request !== 'object') throw invalidRequest('a fetch request must be an object')
  checkEntries(request.partitions, 'fetch request partitions')
  const maxWaitMs = request.maxWaitMs ?? 0
  const minBytes = request.minBytes ?? 1
  const maxBytes = request.maxBytes ?? DEFAULT_FETCH_MAX_BYTES
  checkWait(maxWaitMs, 'maxWaitMs')
  checkBytes(minBytes, 'minBytes')
  checkBytes(maxBytes, 'maxBytes')
  request.partitions.forEach((p, i) => checkBytes(p.maxBytes, `partitions[${i}].maxBytes`))
  return { maxWaitMs, minBytes, maxBytes }
}

/** fetchOffsetError refuses an offset the wire cannot carry or no log has (OFFSET_OUT_OF_RANGE), else null. */
export function fetchOffsetError(topic: string, partition: number, offset: unknown): TributaryError | null {
  if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return null
  return new TributaryError('OFFSET_OUT_OF_RANGE', `Offset ${String(offset)} is outside the log of ${topic}-${partition}`, {
    details: { topic, partition, offset },
  })
}

/** timestampError refuses a listOffsets timestamp other than LATEST (-1), EARLIEST (-2) or a time ≥ 0 (INVALID_TIMESTAMP), else null. */
export function timestampError(timestamp: unknown): TributaryError | null {
  if (timestamp === LATEST_TIMESTAMP || timestamp === EARLIEST_TIMESTAMP) return null
  if (typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0) return null
  return new TributaryError('INVALID_TIMESTAMP', `Invalid timestamp ${String(timestamp)}`)
}

/** partitionError refuses a topic that is not a name or a partition that is not an index (UNKNOWN_TOPIC_OR_PARTITION), else null. */
export function partitionError(topic: unknown, partition: unknown): TributaryError | null {
  if (typeof topic === 'string' && topic.length <= MAX_STRING_CHARS && typeof partition === 'number' && Number.isInteger(partition)) {
    if (partition >= 0 && partition <= INT32_MAX) return null
  }
  return new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `There is no partition ${String(partition)} of topic '${String(topic)}'`, {
    details: { topic, partition },
  })
}

/**
 * topicSpecError is why a topic spec cannot be sent (null when it can): a name that is not a
 * string or too long (INVALID_TOPIC_EXCEPTION), a partition count or replication factor that is not
 * an integer Kafka's fields hold (INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR), config entries
 * that are not name/value strings (INVALID_CONFIG). Names, counts and configs that fit are the
 * cluster's to judge.
 */
export function topicSpecError(spec: CreateTopicSpec): TributaryError | null {
  if (typeof spec.topic !== 'string' || spec.topic.length > MAX_STRING_CHARS)
    return new TributaryError('INVALID_TOPIC_EXCEPTION', `Invalid topic name ${String(spec.topic).slice(0, 60)}`)
  const { numPartitions: n, replicationFactor: rf, configEntries } = spec
  if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < -1 || n === 0 || n > INT32_MAX))
    return new TributaryError('INVALID_PARTITIONS', `Number of partitions must be a positive integer, got ${String(n)}`)
  if (rf !== undefined && (typeof rf !== 'number' || !Number.isInteger(rf) || rf < -1 || rf === 0 || rf > INT16_MAX))
    return new TributaryError('INVALID_REPLICATION_FACTOR', `Replication factor must be a positive integer, got ${String(rf)}`)
  if (configEntries !== undefined) {
    const ok =
      Array.isArray(configEntries) &&
      configEntries.every(
        (c) => c !== null && typeof c === 'object' && typeof c.name === 'string' && (typeof c.value === 'string' || c.value === null),
      )
    if (!ok) return new TributaryError('INVALID_CONFIG', 'configEntries must be a list of { name, value } strings')
  }
  return null
}

/** refusedTopic is the result of a topic spec refused before sending. */
export function refusedTopic(spec: CreateTopicSpec, error: TributaryError): CreateTopicResult {
  return { topic: spec.topic, created: false, error }
}

/**
 * rounds splits `items` so that no partition appears twice in one round (Kafka's requests name a
 * partition once): the first occurrence of each goes in round 0, the second in round 1, and so on.
 * Each round keeps the items' order.
 */
export function rounds<P extends { topic: string; partition: number }>(items: readonly P[]): P[][] {
  const seen = new Map<string, number>()
  const out: P[][] = []
  for (const item of items) {
    const key = `${item.topic}\u0000${item.partition}`
    const round = seen.get(key) ?? 0
    seen.set(key, round + 1)
    ;(out[round] ??= []).push(item)
  }
  return out
}
