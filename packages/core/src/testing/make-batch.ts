import type { RecordHeader, RecordInput } from '../model'
import { encodeRecordBatch } from '../record-batch'

/** TestRecord is a record as a test writes it: strings allowed, everything but the value optional. */
export interface TestRecord {
  key?: string | Buffer | null
  value?: string | Buffer | null
  /** Header name → value; an array form allows duplicate names. */
  headers?: Record<string, string | Buffer | null> | RecordHeader[]
  /** Milliseconds since the epoch; defaults to `DEFAULT_TEST_TIMESTAMP_MS`. */
  timestamp?: number
}

/** DEFAULT_TEST_TIMESTAMP_MS is the timestamp of test records that give none (a fixed, realistic epoch). */
export const DEFAULT_TEST_TIMESTAMP_MS = 1_700_000_000_000

/** MakeBatchOptions are the codec's encode options (producer id, compression, …). */
export type MakeBatchOptions = Parameters<typeof encodeRecordBatch>[1]

/** toRecordInput turns a `TestRecord` into the codec's `RecordInput` (strings as UTF-8). */
export function toRecordInput(record: TestRecord): RecordInput {
  return {
    key: toBytes(record.key ?? null),
    value: toBytes(record.value === undefined ? null : record.value),
    headers: toHeaders(record.headers),
    timestamp: record.timestamp ?? DEFAULT_TEST_TIMESTAMP_MS,
  }
}

/** makeBatch encodes test records into one record batch (base offset 0; a log assigns the real one). */
export function makeBatch(records: readonly TestRecord[], options?: MakeBatchOptions): Buffer {
  return encodeRecordBatch(records.map(toRecordInput), options)
}

/**
 * makeRecords builds `count` distinct records named `<prefix>-<i>` (key `k-<prefix>-<i>`, value
 * `v-<prefix>-<i>`, one header), with timestamps `timestamp + i`.
 */
export function makeRecords(prefix: string, count: number, timestamp = DEFAULT_TEST_TIMESTAMP_MS): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `k-${prefix}-${i}`,
    value: `v-${prefix}-${i}`,
    headers: { h: `${prefix}:${i}` },
    timestamp: timestamp + i,
  }))
}

function toBytes(value: string | Buffer | null): Buffer | null {
  if (value === null) return null
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value
}

function toHeaders(headers: TestRecord['headers']): RecordHeader[] {
  if (headers === undefined) return []
  if (Array.isArray(headers)) return headers
  return Object.entries(headers).map(([key, value]) => ({ key, value: toBytes(value) }))
}
