import { decodeRecordBatch, type ConsumedRecord, type PartitionLog, type PartitionLogConfig } from '@tributary/core'
import { ManualClock, makeBatch, makeRecords, type TestRecord } from '@tributary/core/testing'
import { FileStorage } from '../file-storage'
import type { FileStorageOptions, RecoveryReport } from '../options'
import { SILENT_LOGGER } from './temp-dir'

/** Shared helpers of this package's own tests (the conformance suite has its own). */

/** T0 is the start time of test clocks and the base of test record timestamps. */
export const T0 = 1_700_000_000_000

/** SMALL is a config with small segments and a dense index, so a few batches cross boundaries. */
export const SMALL: PartitionLogConfig = Object.freeze({ segmentBytes: 4096, segmentMs: 3_600_000, indexIntervalBytes: 256 })

/** TP is the default test partition. */
export const TP = Object.freeze({ topic: 'events', partition: 0 })

/** Opened is a storage under test plus what it reported. */
export interface Opened {
  storage: FileStorage
  clock: ManualClock
  reports: RecoveryReport[]
  warnings: Array<{ message: string; details?: Record<string, unknown> }>
}

/** openStorage opens a FileStorage over `dir` with a manual clock, recording recovery reports and warnings. */
export async function openStorage(dir: string, options: Partial<FileStorageOptions> = {}, clock = new ManualClock(T0)): Promise<Opened> {
  const reports: RecoveryReport[] = []
  const warnings: Opened['warnings'] = []
  const storage = new FileStorage({
    dir,
    clock,
    logger: { ...SILENT_LOGGER, warn: (message, details) => warnings.push({ message, details }) },
    onRecovery: (report) => reports.push(report),
    ...options,
  })
  await storage.open()
  return { storage, clock, reports, warnings }
}

/** appendN appends `batches` batches of `perBatch` records named `<prefix><i>`; returns the records in order. */
export function appendN(log: PartitionLog, batches: number, perBatch: number, prefix = 'r', timestamp = T0): TestRecord[] {
  const all: TestRecord[] = []
  for (let i = 0; i < batches; i++) {
    const records = makeRecords(`${prefix}${i}`, perBatch, timestamp + all.length)
    log.append(makeBatch(records))
    all.push(...records)
  }
  return all
}

/** readAll reads the whole log batch by batch and decodes every record. */
export function readAll(log: PartitionLog, maxBytes = 64 * 1024): ConsumedRecord[] {
  const out: ConsumedRecord[] = []
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    const batches = log.read(next, maxBytes)
    if (batches.length === 0) break
    for (const batch of batches) {
      out.push(...decodeRecordBatch(batch))
      next = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23) + 1
    }
  }
  return out
}

/** keysOf turns decoded records into their keys as strings. */
export function keysOf(records: readonly ConsumedRecord[]): Array<string | null> {
  return records.map((r) => (r.key === null ? null : r.key.toString('utf8')))
}
