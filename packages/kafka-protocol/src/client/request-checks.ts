import { type CreateTopicResult, type CreateTopicSpec, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TributaryError } from '@tributary/core'
import { BatchLayout, checkFramingAt } from '@tributary/core/internal'

/*
 * What the Kafka backend checks before sending, beyond core's request rules (checkProduceRequest,
 * checkFetchRequest, … in @tributary/core/internal, which every broker applies): each value the
 * wire cannot carry (a fraction where Kafka has an int32) and each input the contract answers with
 * its own code (a produced buffer that is not one batch). The cluster checks the rest — topic
 * names, configs, offsets against the log — and answers with Kafka's codes, which are the
 * contract's. A refused request sends nothing, so it changes nothing.
 */

const INT32_MAX = 2_147_483_647
const INT16_MAX = 32_767
/** A Kafka STRING is at most 32767 bytes. */
const MAX_STRING_CHARS = 32_767

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
