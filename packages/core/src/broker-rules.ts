import { readBatchHeader, checkBatchAt, type RecordBatchHeader } from './batch-header'
import type {
  MetadataRequest,
  FetchPartitionRequest,
  FetchPartitionResult,
  FetchRequest,
  ListOffsetsPartitionRequest,
  ProducePartitionData,
  ProducePartitionResult,
  ProduceRequest,
} from './broker'
import { TributaryError } from './errors'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type Acks } from './model'
import { MAX_TIMER_MS } from './option-checks'
import { RecordBatch } from './record-batch'
import type { PartitionLog } from './storage'
import type { TopicConfig } from './topic-config'
import { isInternalTopic } from './validation'

/**
 * The broker rules every Broker implementation applies (LocalBroker on one node, ClusterNode on
 * a partition's leader): what a produce, fetch, listOffsets or deleteRecords request must look
 * like, what a produced batch must be, and the fetch size defaults. Written once so that a single
 * node and a cluster answer the same request with the same code (the Broker conformance suite in
 * `@tributary/core/testing` checks it). Pure: no I/O, no clock.
 *
 * A malformed request is refused whole (thrown, nothing changes); a partition's own failure is
 * answered in its result's `error`, as Kafka's per-partition error codes are.
 */

/** DEFAULT_FETCH_MAX_BYTES is the response budget of a fetch that gives none (Kafka's `fetch.max.bytes`, 50 MiB). */
export const DEFAULT_FETCH_MAX_BYTES = 52_428_800
/** DEFAULT_FETCH_MIN_BYTES: a fetch that gives no `minBytes` answers as soon as any data is there. */
export const DEFAULT_FETCH_MIN_BYTES = 1

/** CheckedProduce is a produce request whose shape was checked. */
export interface CheckedProduce {
  readonly acks: Acks
  readonly timeoutMs: number
  readonly partitions: readonly ProducePartitionData[]
}

/**
 * checkProduceRequest checks a produce request's shape before anything is appended.
 * @throws TributaryError INVALID_REQUEST (not an object, partitions not a list of objects,
 *   timeoutMs not an integer in [0, 2^31-1]), INVALID_REQUIRED_ACKS (acks not 0, 1 or -1).
 */
export function checkProduceRequest(request: ProduceRequest): CheckedProduce {
  if (request === null || typeof request !== 'object') throw invalidRequest('a produce request must be an object')
  const { acks, timeoutMs, partitions } = request
  checkEntries(partitions, 'produce request partitions')
  if (acks !== 0 && acks !== 1 && acks !== -1)
    throw new TributaryError('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, got ${String(acks)}`)
  checkWait(timeoutMs, 'timeoutMs')
  return { acks, timeoutMs, partitions }
}

/**
 * checkProducedBatch checks one produced batch against its topic: not an internal topic, one
 * whole record batch (CRC-32C checked), within `max.message.bytes`, a record count that matches
 * its last offset delta, and on a compacted topic a key on every record. Returns its header.
 * @throws TributaryError INVALID_TOPIC_EXCEPTION, CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, INVALID_RECORD.
 */
export function checkProducedBatch(topic: string, batch: Buffer, config: TopicConfig): RecordBatchHeader {
  if (isInternalTopic(topic)) throw new TributaryError('INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${topic}`)
  if (!Buffer.isBuffer(batch)) throw new TributaryError('CORRUPT_MESSAGE', 'A produced batch must be a Buffer')
  if (batch.length > config.maxMessageBytes)
    throw new TributaryError('MESSAGE_TOO_LARGE', `Batch of ${batch.length} bytes exceeds max.message.bytes ${config.maxMessageBytes}`)
  if (checkBatchAt(batch) !== batch.length)
    throw new TributaryError('CORRUPT_MESSAGE', 'A produced request must hold exactly one record batch')
  const header = readBatchHeader(batch)
  if (header.recordsCount < 1 || header.lastOffsetDelta !== header.recordsCount - 1)
    throw new TributaryError(
      'CORRUPT_MESSAGE',
      `Batch record count ${header.recordsCount} does not match its last offset delta ${header.lastOffsetDelta}`,
    )
  if (config.cleanupPolicy.includes('compact')) {
    for (const record of RecordBatch.from(batch).records())
      if (record.key === null) throw new TributaryError('INVALID_RECORD', 'Compacted topic cannot accept message without key')
  }
  return header
}

/** failedProduce is the result of a produced batch that failed with `error`. */
export function failedProduce(data: Pick<ProducePartitionData, 'topic' | 'partition'>, error: unknown): ProducePartitionResult {
  return {
    topic: data.topic,
    partition: data.partition,
    baseOffset: -1,
    logAppendTime: -1,
    logStartOffset: -1,
    error: asBrokerError(error),
  }
}

/** CheckedFetch is a fetch request whose shape was checked, with its defaults applied. */
export interface CheckedFetch {
  readonly partitions: readonly FetchPartitionRequest[]
  readonly maxWaitMs: number
  readonly minBytes: number
  readonly maxBytes: number
}

/**
 * checkFetchRequest checks a fetch request's shape and applies the defaults (`minBytes` 1,
 * `maxBytes` DEFAULT_FETCH_MAX_BYTES). Offsets are not checked here: an offset outside a
 * partition's log is that partition's OFFSET_OUT_OF_RANGE.
 * @throws TributaryError INVALID_ARGUMENT for a maxBytes (the request's or a partition's) that is
 *   not an integer ≥ 0 (0 is valid: the first batch is still returned whole, as Kafka's KIP-74);
 *   INVALID_REQUEST for a malformed shape (not an object, partitions not a list of objects,
 *   maxWaitMs not an integer in [0, 2^31-1], minBytes not an integer ≥ 0).
 */
export function checkFetchRequest(request: FetchRequest): CheckedFetch {
  if (request === null || typeof request !== 'object') throw invalidRequest('a fetch request must be an object')
  const { partitions } = request
  checkEntries(partitions, 'fetch request partitions')
  // A fetch that gives no wait answers at once (JSON has no undefined: a remote client may omit it).
  const maxWaitMs = request.maxWaitMs ?? 0
  checkWait(maxWaitMs, 'maxWaitMs')
  const minBytes = request.minBytes ?? DEFAULT_FETCH_MIN_BYTES
  const maxBytes = request.maxBytes ?? DEFAULT_FETCH_MAX_BYTES
  checkBytes(minBytes, 'minBytes')
  checkMaxBytes(maxBytes, 'maxBytes')
  partitions.forEach((p, i) => checkMaxBytes(p.maxBytes, `partitions[${i}].maxBytes`))
  return { partitions, maxWaitMs, minBytes, maxBytes }
}

/**
 * FetchBudget shares a fetch's response budget among its partitions in request order: each read
 * takes at most its partition's `maxBytes` and what is left of the whole. Once the budget is
 * spent, later partitions answer with no batches (and their offsets and watermarks).
 */
export class FetchBudget {
  private left: number
  private given = false

  /**
   * @param firstBatchWhole as Kafka (KIP-74): the first batch found is returned whole even when the
   * budget (the request's or its partition's, 0 included) is smaller, so no budget makes a fetch
   * impossible. False for a node reading on behalf of another, which already applied it.
   */
  constructor(
    maxBytes: number,
    private readonly firstBatchWhole = true,
  ) {
    this.left = maxBytes
  }

  /** anyGiven tells whether some batch was already taken off this budget. */
  get anyGiven(): boolean {
    return this.given
  }

  /** remaining is what is left of the budget (never below 0). */
  get remaining(): number {
    return Math.max(0, this.left)
  }

  /**
   * read reads `log` from `offset` (which must lie in [logStart, highWatermark]) within the
   * budget; an offset at the high watermark reads nothing.
   */
  read(log: PartitionLog, offset: number, partitionMaxBytes: number, highWatermark: number): Buffer[] {
    const limit = Math.min(partitionMaxBytes, this.left)
    const whole = this.firstBatchWhole && !this.given
    const batches = offset < highWatermark && (limit > 0 || whole) ? log.read(offset, Math.max(0, limit)) : []
    this.spend(batches)
    return batches
  }

  /** spend takes batches read elsewhere (another node) off the budget. */
  spend(batches: readonly Buffer[]): void {
    for (const b of batches) this.left -= b.length
    if (batches.length > 0) this.given = true
  }
}

/**
 * checkFetchOffset checks that `offset` lies in [logStartOffset, highWatermark].
 * @throws TributaryError OFFSET_OUT_OF_RANGE with the partition, offset and range in `details`.
 */
export function checkFetchOffset(topic: string, partition: number, offset: number, logStartOffset: number, highWatermark: number): void {
  if (!Number.isSafeInteger(offset) || offset < logStartOffset || offset > highWatermark) {
    throw new TributaryError(
      'OFFSET_OUT_OF_RANGE',
      `Offset ${offset} is outside [${logStartOffset}, ${highWatermark}] of ${topic}-${partition}`,
      {
        details: { topic, partition, offset, logStartOffset, highWatermark },
      },
    )
  }
}

/** failedFetch is the result of a fetched partition that failed with `error`. */
export function failedFetch(p: Pick<FetchPartitionRequest, 'topic' | 'partition'>, error: unknown): FetchPartitionResult {
  return { topic: p.topic, partition: p.partition, highWatermark: -1, logStartOffset: -1, batches: [], error: asBrokerError(error) }
}

/**
 * listOffsetFor answers one listOffsets partition from its log: LATEST_TIMESTAMP is the end
 * (high watermark), EARLIEST_TIMESTAMP the log start, a timestamp ≥ 0 the first offset whose
 * record is at least that recent (-1: none).
 * @throws TributaryError INVALID_TIMESTAMP for any other timestamp.
 */
export function listOffsetFor(log: PartitionLog, { topic, partition, timestamp }: ListOffsetsPartitionRequest) {
  if (timestamp === LATEST_TIMESTAMP) return { topic, partition, offset: log.endOffset(), timestamp: -1 }
  if (timestamp === EARLIEST_TIMESTAMP) return { topic, partition, offset: log.startOffset(), timestamp: -1 }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TributaryError('INVALID_TIMESTAMP', `Invalid timestamp ${timestamp}`)
  return { topic, partition, offset: log.offsetForTimestamp(timestamp) ?? -1, timestamp }
}

/** failedListOffset is the result of a listOffsets partition that failed with `error`. */
export function failedListOffset(p: Pick<ListOffsetsPartitionRequest, 'topic' | 'partition'>, error: unknown) {
  return { topic: p.topic, partition: p.partition, offset: -1, timestamp: -1, error: asBrokerError(error) }
}

/**
 * deleteRecordsTarget is the offset that deleteRecords moves a log start to: `offset`, or the
 * high watermark for -1.
 * @throws TributaryError OFFSET_OUT_OF_RANGE for anything else outside [0, highWatermark].
 */
export function deleteRecordsTarget(offset: number, highWatermark: number): number {
  const target = offset === -1 ? highWatermark : offset
  if (!Number.isSafeInteger(target) || target < 0 || target > highWatermark)
    throw new TributaryError('OFFSET_OUT_OF_RANGE', `Cannot delete records before ${offset}: the log ends at ${highWatermark}`)
  return target
}

/** failedDeleteRecords is the result of a deleteRecords partition that failed with `error`. */
export function failedDeleteRecords(p: { topic: string; partition: number }, error: unknown) {
  return { topic: p.topic, partition: p.partition, lowWatermark: -1, error: asBrokerError(error) }
}

/**
 * checkPartitionList checks that a listOffsets or deleteRecords request is a list of objects.
 * @throws TributaryError INVALID_REQUEST.
 */
export function checkPartitionRequests<T>(partitions: readonly T[], what: string): readonly T[] {
  checkEntries(partitions, what)
  return partitions
}

/** unknownPartition is the error of a partition the broker does not have. */
export function unknownPartition(topic: string, partition: number): TributaryError {
  return new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown partition ${topic}-${partition}`, { details: { topic, partition } })
}

/** asBrokerError is `error` as a TributaryError: itself, or UNKNOWN_SERVER_ERROR with it as the cause. */
export function asBrokerError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error
  return new TributaryError('UNKNOWN_SERVER_ERROR', String(error), { cause: error })
}

/**
 * checkMetadataRequest checks a metadata request's shape (a null topic list, as JSON carries
 * "not given", means every topic).
 * @throws TributaryError INVALID_REQUEST: not an object, topics not a list of names, allowAutoTopicCreation not a boolean.
 */
export function checkMetadataRequest(request: MetadataRequest | undefined | null): MetadataRequest {
  if (request === undefined || request === null) return {}
  if (typeof request !== 'object' || Array.isArray(request)) throw invalidRequest('a metadata request must be an object')
  const { topics, allowAutoTopicCreation } = request as { topics?: unknown; allowAutoTopicCreation?: unknown }
  if (topics !== undefined && topics !== null && (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string')))
    throw invalidRequest('metadata topics must be a list of topic names')
  if (allowAutoTopicCreation !== undefined && allowAutoTopicCreation !== null && typeof allowAutoTopicCreation !== 'boolean')
    throw invalidRequest('allowAutoTopicCreation must be a boolean')
  return {
    ...(Array.isArray(topics) ? { topics: topics as string[] } : {}),
    ...(allowAutoTopicCreation === true ? { allowAutoTopicCreation: true } : {}),
  }
}

function invalidRequest(why: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', why)
}

function checkEntries(value: unknown, what: string): void {
  if (!Array.isArray(value)) throw invalidRequest(`${what} must be an array`)
  for (const entry of value) if (entry === null || typeof entry !== 'object') throw invalidRequest(`${what} must hold objects`)
}

function checkWait(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_TIMER_MS)
    throw invalidRequest(`${what} must be an integer in [0, ${MAX_TIMER_MS}], got ${String(value)}`)
}

/** checkMaxBytes: a fetch's byte budget must be an integer ≥ 0, else INVALID_ARGUMENT (never a silent empty answer). */
function checkMaxBytes(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new TributaryError('INVALID_ARGUMENT', `fetch ${what} must be an integer ≥ 0, got ${String(value)}`, {
      details: { argument: what },
    })
}

function checkBytes(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalidRequest(`${what} must be a non-negative integer, got ${String(value)}`)
}
