import { checkBatchAt } from '../batch-header'
import type { Clock } from '../clock'
import { type ErrorCode, TributaryError } from '../errors'
import type { ConsumedRecord, TopicPartition } from '../model'
import { decodeRecordBatch } from '../record-batch'
import type { CommittedOffset, PartitionLog, PartitionLogConfig, Storage, StoredMetadata } from '../storage'
import { DEFAULT_TEST_TIMESTAMP_MS, makeBatch, makeRecords, type TestRecord } from './make-batch'
import type { ManualClock } from './manual-clock'

/**
 * The storage conformance suite's shared pieces: the adapter-facing handle types, the log
 * configs and the helpers every part of the suite (storage-conformance.ts, conformance-*.ts) uses.
 */

/** StorageHandle is one storage under test and the means to reopen and remove it. */
export interface StorageHandle {
  /** The storage, already opened. */
  storage: Storage
  /**
   * reopen closes the current storage if it is still open, then opens a new one over the same
   * location and returns it (opened). Later `reopen` and `cleanup` calls act on the new one.
   */
  reopen(): Promise<Storage>
  /**
   * crash (optional) simulates the process dying now: the current storage is abandoned without
   * `close()` or `sync()`, and a new one is opened over what it left (its files as the OS holds
   * them) and returned. Writes no `sync()` covered may or may not survive; everything synced must.
   * Later `reopen`, `crash` and `cleanup` calls act on the new one. Suites skip crash tests without it.
   */
  crash?(): Promise<Storage>
  /** cleanup closes the current storage if still open and removes its files. */
  cleanup(): Promise<void>
}

/** StorageFactory creates a fresh, empty, opened storage whose time comes from `clock`. */
export interface StorageFactory {
  create(options: { clock: Clock }): Promise<StorageHandle>
}

/** StorageConformanceOptions tunes the suite for slow adapters. */
export interface StorageConformanceOptions {
  /** Partitions in the "many partitions" test; default 200. */
  manyPartitions?: number
}

/** CONFORMANCE_LOG_CONFIG is the default log config of the suite: large segments, one per test. */
export const CONFORMANCE_LOG_CONFIG: PartitionLogConfig = Object.freeze({
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
})

/** Small segments (a few batches each) for the tests of whole-segment behaviour. */
export const SMALL_SEGMENTS: PartitionLogConfig = Object.freeze({ ...CONFORMANCE_LOG_CONFIG, segmentBytes: 1024, indexIntervalBytes: 256 })

/** TP is the partition most tests use. */
export const TP: TopicPartition = Object.freeze({ topic: 'conformance', partition: 0 })

/** Context shared by the tests of one `describe`: the handle and the current storage. */
export interface Ctx {
  clock: ManualClock
  handle: StorageHandle
  storage: Storage
}

export function openLog(ctx: Ctx, config: PartitionLogConfig = CONFORMANCE_LOG_CONFIG, tp = TP): PartitionLog {
  return ctx.storage.partitionLog(tp, config)
}

/** appendBatches appends `sizes.length` batches of distinct records and returns all records in order. */
export function appendBatches(log: PartitionLog, sizes: readonly number[], prefix = 'b'): TestRecord[] {
  const all: TestRecord[] = []
  sizes.forEach((size, i) => {
    // Record n of the log gets timestamp T + 10n, so the timestamp tests can aim between records.
    const records = makeRecords(`${prefix}${i}`, size).map((r, j) => ({
      ...r,
      timestamp: DEFAULT_TEST_TIMESTAMP_MS + (all.length + j) * 10,
    }))
    log.append(makeBatch(records))
    all.push(...records)
  })
  return all
}

/** readAll reads from `from` to the end in steps of `maxBytes` and decodes every record. */
export function readAll(log: PartitionLog, from = log.startOffset(), maxBytes = 64 * 1024): ConsumedRecord[] {
  const out: ConsumedRecord[] = []
  let next = from
  while (next < log.endOffset()) {
    const batches = log.read(next, maxBytes)
    if (batches.length === 0) break
    for (const batch of batches) {
      expect(checkBatchAt(batch)).toBe(batch.length)
      out.push(...decodeRecordBatch(batch).filter((r) => r.offset >= from))
      // Step by the batch's last offset, not its last record: compaction may have removed that record.
      next = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23) + 1
    }
  }
  return out
}

/** readBatches reads every batch from the start (adapters may stop a read at a segment end). */
export function readBatches(log: PartitionLog): Buffer[] {
  const out: Buffer[] = []
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    const batches = log.read(next, 1024 * 1024)
    const last = batches[batches.length - 1]
    if (last === undefined) break
    out.push(...batches)
    next = Number(last.readBigInt64BE(0)) + last.readInt32BE(23) + 1
  }
  return out
}

export function text(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('utf8')
}

/** expectRecords checks decoded records against what was appended, offsets from `firstOffset`. */
export function expectRecords(actual: readonly ConsumedRecord[], expected: readonly TestRecord[], firstOffset = 0): void {
  expect(actual.map((r) => r.offset)).toEqual(expected.map((_, i) => firstOffset + i))
  expect(actual.map((r) => [text(r.key), text(r.value), r.timestamp])).toEqual(
    expected.map((r) => [r.key ?? null, r.value ?? null, r.timestamp ?? DEFAULT_TEST_TIMESTAMP_MS]),
  )
}

export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

/** expectCode asserts that `fn` throws a TributaryError with one of `codes`. */
export function expectCode(fn: () => unknown, ...codes: ErrorCode[]): void {
  const err = thrownBy(fn)
  expect(err).toBeInstanceOf(TributaryError)
  expect(codes).toContain((err as TributaryError).code)
}

/** expectCodeAsync is `expectCode` for a call that rejects. */
export async function expectCodeAsync(fn: () => Promise<unknown>, ...codes: ErrorCode[]): Promise<void> {
  let err: unknown
  try {
    await fn()
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(TributaryError)
  expect(codes).toContain((err as TributaryError).code)
}

/** logState captures everything observable about a log, to compare before and after. */
export function logState(log: PartitionLog): unknown {
  return {
    start: log.startOffset(),
    end: log.endOffset(),
    size: log.sizeBytes(),
    segments: log.segments().map(({ createdAtMs: _, ...rest }) => rest),
    records: readAll(log).map((r) => [r.offset, text(r.key), text(r.value)]),
  }
}

export function metadata(overrides: Partial<StoredMetadata> = {}): StoredMetadata {
  return {
    version: 1,
    clusterId: 'conformance-cluster',
    nextProducerId: 7,
    topics: [
      { name: 'orders', topicId: 'id-orders', numPartitions: 3, configs: { 'retention.ms': '1000' }, createdAtMs: 1 },
      { name: 'audit', topicId: 'id-audit', numPartitions: 1, configs: {}, createdAtMs: 2 },
    ],
    ...overrides,
  }
}

export function committed(groupId: string, topic: string, partition: number, offset: number): CommittedOffset {
  return { groupId, topic, partition, offset, metadata: offset % 2 === 0 ? null : `m${offset}`, commitTimestampMs: 1000 + offset }
}

/** sortOffsets orders committed offsets so that tests do not depend on an adapter's order. */
export function sortOffsets(offsets: readonly CommittedOffset[]): CommittedOffset[] {
  const key = (o: CommittedOffset): string => `${o.groupId}\u0000${o.topic}\u0000${String(o.partition).padStart(10, '0')}`
  return [...offsets].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/** reopenStorage restarts the storage cleanly (close, open) and makes the new one current. */
export async function reopenStorage(ctx: Ctx): Promise<Storage> {
  ctx.storage = await ctx.handle.reopen()
  return ctx.storage
}

/**
 * crashStorage simulates a crash and restart through the handle's `crash` hook and makes the new
 * storage current; it returns null (the caller skips its checks) when the adapter has no hook.
 */
export async function crashStorage(ctx: Ctx): Promise<Storage | null> {
  if (ctx.handle.crash === undefined) return null
  ctx.storage = await ctx.handle.crash()
  return ctx.storage
}
