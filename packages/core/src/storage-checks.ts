import { checkBatchAt, checkFramingAt } from './batch-header'
import { TributaryError } from './errors'
import type { TopicPartition } from './model'
import type { CommittedOffset, PartitionLogConfig, StoredMetadata } from './storage'
import { validateTopicName } from './validation'

/**
 * The argument checks of the Storage contract, written once for every adapter (memory, file,
 * SQLite), so that they reject the same inputs with the same codes. Where adapters used to
 * differ, Kafka's rules decide: a log config follows Kafka's topic config bounds
 * (`segment.bytes` ≥ 14 and an int32, `segment.ms` ≥ 1, `index.interval.bytes` ≥ 0 and an
 * int32); topic names follow Kafka's naming rules (they become file names); committed offsets
 * are ≥ -1 (Kafka's "no offset"). A malformed argument is INVALID_ARGUMENT (a bad log config
 * INVALID_CONFIG, a bad topic name INVALID_TOPIC_EXCEPTION); a well-formed offset outside a
 * log's range is OFFSET_OUT_OF_RANGE, which only the log can tell.
 */

/** INT32_MAX bounds Kafka's int configs; an index entry also holds file positions as int32. */
export const INT32_MAX = 0x7fffffff
/** MIN_SEGMENT_BYTES is Kafka's lower bound of `segment.bytes` (a legacy record's overhead). */
export const MIN_SEGMENT_BYTES = 14

/**
 * checkLogConfig validates a partition log config and returns a frozen copy of its three fields.
 * @throws TributaryError INVALID_CONFIG naming the bad field (`details.path`).
 */
export function checkLogConfig(config: PartitionLogConfig): Readonly<PartitionLogConfig> {
  if (config === null || typeof config !== 'object')
    throw new TributaryError('INVALID_CONFIG', 'A partition log config must be an object', { details: { path: 'config' } })
  const field = (name: keyof PartitionLogConfig, min: number, max: number): number => {
    const value = config[name]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new TributaryError('INVALID_CONFIG', `config.${name} must be an integer in [${min}, ${max}], got ${String(value)}`, {
        details: { path: `config.${name}` },
      })
    }
    return value
  }
  return Object.freeze({
    segmentBytes: field('segmentBytes', MIN_SEGMENT_BYTES, INT32_MAX),
    segmentMs: field('segmentMs', 1, Number.MAX_SAFE_INTEGER),
    indexIntervalBytes: field('indexIntervalBytes', 0, INT32_MAX),
  })
}

/**
 * checkTopicPartition validates a topic-partition: a legal Kafka topic name (checked before any
 * path or key is built from it) and a partition that is an int32 ≥ 0.
 * @throws TributaryError INVALID_ARGUMENT, INVALID_TOPIC_EXCEPTION.
 */
export function checkTopicPartition(tp: TopicPartition): TopicPartition {
  if (tp === null || typeof tp !== 'object') throw new TributaryError('INVALID_ARGUMENT', 'A topic-partition must be an object')
  validateTopicName(tp.topic)
  if (!Number.isSafeInteger(tp.partition) || tp.partition < 0 || tp.partition > INT32_MAX)
    throw new TributaryError('INVALID_ARGUMENT', `Partition must be an integer in [0, ${INT32_MAX}], got ${String(tp.partition)}`)
  return tp
}

/** checkGroupId validates a consumer group id (any string, as Kafka allows). @throws TributaryError INVALID_ARGUMENT. */
export function checkGroupId(groupId: string): string {
  if (typeof groupId !== 'string') throw new TributaryError('INVALID_ARGUMENT', `groupId must be a string, got ${typeof groupId}`)
  return groupId
}

/**
 * checkCommittedOffsets validates every offset of one commit (before any is stored: one call's
 * offsets land together or not at all) and returns copies holding only the contract's fields.
 * @throws TributaryError INVALID_ARGUMENT, INVALID_TOPIC_EXCEPTION.
 */
export function checkCommittedOffsets(offsets: readonly CommittedOffset[]): CommittedOffset[] {
  if (!Array.isArray(offsets)) throw new TributaryError('INVALID_ARGUMENT', 'commitOffsets needs an array')
  return offsets.map(checkCommittedOffset)
}

function checkCommittedOffset(o: CommittedOffset): CommittedOffset {
  checkTopicPartition(o)
  checkGroupId(o.groupId)
  // -1 is Kafka's "no offset"; anything below is nonsense.
  if (!Number.isSafeInteger(o.offset) || o.offset < -1)
    throw new TributaryError('INVALID_ARGUMENT', `Committed offset must be an integer ≥ -1, got ${String(o.offset)}`)
  if (o.metadata !== null && typeof o.metadata !== 'string')
    throw new TributaryError('INVALID_ARGUMENT', 'CommittedOffset.metadata must be a string or null')
  if (!Number.isSafeInteger(o.commitTimestampMs))
    throw new TributaryError('INVALID_ARGUMENT', `CommittedOffset.commitTimestampMs must be an integer, got ${String(o.commitTimestampMs)}`)
  const { groupId, topic, partition, offset, metadata, commitTimestampMs } = o
  return { groupId, topic, partition, offset, metadata, commitTimestampMs }
}

/** checkPartitionList validates the optional partitions of `deleteCommittedOffsets`. @throws TributaryError INVALID_ARGUMENT. */
export function checkPartitionList(partitions: readonly TopicPartition[] | undefined): readonly TopicPartition[] | undefined {
  if (partitions === undefined) return undefined
  if (!Array.isArray(partitions)) throw new TributaryError('INVALID_ARGUMENT', 'partitions must be an array')
  return partitions.map(checkTopicPartition)
}

/** checkStoredMetadata validates what `saveMetadata` is given. @throws TributaryError INVALID_ARGUMENT. */
export function checkStoredMetadata(metadata: StoredMetadata): StoredMetadata {
  if (typeof metadata !== 'object' || metadata === null || metadata.version !== 1 || !Array.isArray(metadata.topics)) {
    throw new TributaryError('INVALID_ARGUMENT', 'saveMetadata needs a StoredMetadata object of version 1')
  }
  return metadata
}

/** checkOffsetArgument validates an offset given to truncate, resetTo or deleteBefore. @throws TributaryError INVALID_ARGUMENT. */
export function checkOffsetArgument(offset: number, method: string): number {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new TributaryError('INVALID_ARGUMENT', `${method}: offset must be a non-negative integer, got ${String(offset)}`)
  return offset
}

/**
 * checkReadArguments validates a read: `offset` an integer within [startOffset, endOffset],
 * `maxBytes` an integer ≥ 0.
 * @throws TributaryError INVALID_ARGUMENT (malformed), OFFSET_OUT_OF_RANGE (with the log's range in `details`).
 */
export function checkReadArguments(offset: number, maxBytes: number, startOffset: number, endOffset: number, tp: TopicPartition): void {
  if (!Number.isSafeInteger(offset)) throw new TributaryError('INVALID_ARGUMENT', `read: offset must be an integer, got ${String(offset)}`)
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
    throw new TributaryError('INVALID_ARGUMENT', `read: maxBytes must be a non-negative integer, got ${String(maxBytes)}`)
  if (offset < startOffset || offset > endOffset) throw offsetOutOfRange(offset, startOffset, endOffset, tp)
}

/** offsetOutOfRange is the error of a well-formed offset outside [startOffset, endOffset]. */
export function offsetOutOfRange(offset: number, startOffset: number, endOffset: number, tp: TopicPartition): TributaryError {
  return new TributaryError(
    'OFFSET_OUT_OF_RANGE',
    `Offset ${offset} is outside [${startOffset}, ${endOffset}] of ${tp.topic}-${tp.partition}`,
    {
      details: { topic: tp.topic, partition: tp.partition, offset, startOffset, endOffset },
    },
  )
}

/** checkTimestampArgument validates the timestamp of offsetForTimestamp. @throws TributaryError INVALID_ARGUMENT. */
export function checkTimestampArgument(timestampMs: number): number {
  if (typeof timestampMs !== 'number' || Number.isNaN(timestampMs))
    throw new TributaryError('INVALID_ARGUMENT', `offsetForTimestamp: timestamp must be a number, got ${String(timestampMs)}`)
  return timestampMs
}

/** checkBatchArgument validates that append/appendCopy got a Buffer. @throws TributaryError INVALID_ARGUMENT. */
export function checkBatchArgument(batch: Buffer, method: string): Buffer {
  if (!Buffer.isBuffer(batch)) throw new TributaryError('INVALID_ARGUMENT', `${method} takes a Buffer holding one record batch`)
  return batch
}

/**
 * checkWholeBatch validates that append/appendCopy got exactly one whole record batch (framing,
 * magic and, unless the caller says it has just checked it, CRC-32C) and returns its size.
 * @throws TributaryError INVALID_ARGUMENT (not a Buffer), CORRUPT_MESSAGE.
 */
export function checkWholeBatch(batch: Buffer, method: string, crcChecked = false): number {
  checkBatchArgument(batch, method)
  const size = crcChecked ? checkFramingAt(batch, 0) : checkBatchAt(batch, 0)
  if (size !== batch.length)
    throw new TributaryError('CORRUPT_MESSAGE', `The buffer holds ${batch.length} bytes but its batch declares ${size}`)
  return size
}

/** checkRecordFilter validates compact's filter. @throws TributaryError INVALID_ARGUMENT. */
export function checkRecordFilter<F>(keep: F): F {
  if (typeof keep !== 'function') throw new TributaryError('INVALID_ARGUMENT', 'compact takes a record filter function')
  return keep
}
