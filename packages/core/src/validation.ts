import { TributaryError } from './errors'
import type { Message, MessageBytes, RecordHeader, RecordInput } from './model'

/**
 * Pure validators for what users hand in: topic names, partition counts and numbers, offsets and
 * messages. Each one either returns (a normalised value, where it has one) or throws a typed
 * TributaryError whose message names the bad field; none changes its input.
 */

/** MAX_TOPIC_NAME_LENGTH is Kafka's limit (249), which leaves room for a partition suffix in a 255-byte file name. */
export const MAX_TOPIC_NAME_LENGTH = 249

/** INTERNAL_TOPICS are the topics Kafka's `Topic.isInternal` names; clients may not produce to them. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state'])

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/

/**
 * validateTopicName checks Kafka's rules (`Topic.validate`): ASCII letters, digits, '.', '_' and
 * '-' only, at most 249 characters, and not '', '.' or '..'. The rules matter beyond Kafka
 * compatibility because topic names become directory names. Throws INVALID_TOPIC_EXCEPTION.
 */
export function validateTopicName(name: string): void {
  if (typeof name !== 'string') throw new TributaryError('INVALID_TOPIC_EXCEPTION', `Topic name must be a string, got ${typeof name}`)
  if (name.length === 0) throw new TributaryError('INVALID_TOPIC_EXCEPTION', "Topic name is illegal, it can't be empty")
  if (name === '.' || name === '..') throw new TributaryError('INVALID_TOPIC_EXCEPTION', 'Topic name cannot be "." or ".."')
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new TributaryError(
      'INVALID_TOPIC_EXCEPTION',
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters (got ${name.length})`,
    )
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    throw new TributaryError(
      'INVALID_TOPIC_EXCEPTION',
      `Topic name ${JSON.stringify(name)} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    )
  }
}

/**
 * topicNamesCollide tells whether two names are equal once '.' is read as '_', which Kafka forbids
 * because both map to the same metric name. Like Kafka's `Topic.hasCollision`, a name collides
 * with itself; callers compare against *other* existing topics.
 */
export function topicNamesCollide(a: string, b: string): boolean {
  return a.replaceAll('.', '_') === b.replaceAll('.', '_')
}

/** isInternalTopic tells whether `name` is one of Kafka's internal topics (`INTERNAL_TOPICS`). */
export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name)
}

/**
 * validatePartitionCount checks a topic's partition count: an integer in [1, maxPartitions]. The
 * upper bound exists because every partition costs files or rows and memory. Throws
 * INVALID_PARTITIONS.
 */
export function validatePartitionCount(numPartitions: number, maxPartitions = 10000): void {
  if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > maxPartitions) {
    throw new TributaryError(
      'INVALID_PARTITIONS',
      `Number of partitions must be an integer in [1, ${maxPartitions}], got ${String(numPartitions)}`,
    )
  }
}

/** validatePartition checks that `partition` exists: an integer in [0, numPartitions). Throws UNKNOWN_TOPIC_OR_PARTITION. */
export function validatePartition(partition: number, numPartitions: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= numPartitions) {
    throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${String(partition)} does not exist (the topic has ${numPartitions})`)
  }
}

/**
 * validateOffset checks that `offset` is a non-negative safe integer. A malformed offset (negative,
 * fractional, not a number) is the caller's mistake, so it is INVALID_ARGUMENT, as Java's
 * `seek` throws IllegalArgumentException; OFFSET_OUT_OF_RANGE is kept for a well-formed offset
 * outside a log's range, which only the log can tell.
 */
export function validateOffset(offset: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new TributaryError('INVALID_ARGUMENT', `${what} must be a non-negative integer offset, got ${String(offset)}`)
  }
}

/** validateBatchSize checks an encoded batch against the topic's `max.message.bytes`. Throws MESSAGE_TOO_LARGE. */
export function validateBatchSize(sizeBytes: number, maxMessageBytes: number): void {
  if (sizeBytes > maxMessageBytes) {
    throw new TributaryError(
      'MESSAGE_TOO_LARGE',
      `The record batch is ${sizeBytes} bytes, larger than max.message.bytes (${maxMessageBytes})`,
      {
        details: { sizeBytes, maxMessageBytes },
      },
    )
  }
}

/**
 * toBytes turns a key, value or header value into bytes: a Buffer as is, a Uint8Array as a Buffer
 * view of the same memory, a string as UTF-8, null or undefined as null. Anything else (a number,
 * an object) is INVALID_ARGUMENT naming `what`, since silently stringifying it would store
 * "[object Object]".
 */
export function toBytes(value: MessageBytes | undefined, what: string): Buffer | null {
  if (value === null || value === undefined) return null
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw new TributaryError('INVALID_ARGUMENT', `${what} must be a Buffer, Uint8Array, string or null, got ${describe(value)}`)
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/**
 * normalizeMessage turns a producer's message (at position `index` of the send) into a record
 * ready to encode. `value` must be present (null is a tombstone; a missing value is almost always
 * a bug); the timestamp defaults to `nowMs` and otherwise must be a non-negative integer; headers
 * become a flat list, an array value giving one header per element (duplicate keys are legal in
 * Kafka). Throws INVALID_ARGUMENT or INVALID_TIMESTAMP naming `messages[index].<field>`.
 */
export function normalizeMessage(msg: Message, index: number, nowMs: number): RecordInput {
  // Field paths for errors are built only when a field is bad: this runs for every message sent.
  if (typeof msg !== 'object' || msg === null)
    throw new TributaryError('INVALID_ARGUMENT', `messages[${index}] must be an object, got ${msg === null ? 'null' : typeof msg}`)
  if (!('value' in msg) || msg.value === undefined) {
    throw new TributaryError('INVALID_ARGUMENT', `messages[${index}].value is required (use null for a tombstone)`)
  }
  const { key, value, headers, timestamp } = msg
  return {
    key: key === null || key === undefined ? null : Buffer.isBuffer(key) ? key : toBytes(key, `messages[${index}].key`),
    value: value === null ? null : Buffer.isBuffer(value) ? value : toBytes(value, `messages[${index}].value`),
    headers: headers === undefined || headers === null ? NO_HEADERS : normalizeHeaders(headers, `messages[${index}].headers`),
    timestamp: timestamp === undefined ? nowMs : normalizeTimestamp(timestamp, nowMs, `messages[${index}].timestamp`),
  }
}

/** NO_HEADERS is the headers of every message sent without any: one shared, frozen empty list. */
const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[]

function normalizeTimestamp(timestamp: number | undefined, nowMs: number, what: string): number {
  if (timestamp === undefined) return nowMs
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TributaryError('INVALID_TIMESTAMP', `${what} must be a non-negative integer (ms since the epoch), got ${String(timestamp)}`)
  }
  return timestamp
}

function normalizeHeaders(headers: Message['headers'], what: string): RecordHeader[] {
  if (headers === undefined || headers === null) return []
  if (typeof headers !== 'object' || Array.isArray(headers) || Buffer.isBuffer(headers)) {
    throw new TributaryError('INVALID_ARGUMENT', `${what} must be an object of header names to values, got ${describe(headers)}`)
  }
  const out: RecordHeader[] = []
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      value.forEach((item, i) => out.push({ key, value: toBytes(item, `${what}.${key}[${i}]`) }))
    } else {
      out.push({ key, value: toBytes(value, `${what}.${key}`) })
    }
  }
  return out
}
