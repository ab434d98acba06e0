import type { PartitionLog, PartitionLogConfig, Storage } from '../storage'
import { makeBatch, type TestRecord } from './make-batch'
import type { Random } from './random'

/**
 * The workload of the shared SIGKILL crash test, used by both sides: the child process appends
 * it (see crash-child.ts) and the parent (crash-harness.ts) checks what survived.
 */

/** CrashStorageModule is what the module named by `storageModule` exports. */
export interface CrashStorageModule {
  /** createStorage builds an adapter over `dir`, not yet opened (the harness calls `open()`). */
  createStorage(dir: string): Storage
}

/** CRASH_TOPIC and CRASH_PARTITIONS are where the children write. */
export const CRASH_TOPIC = 'crash'
export const CRASH_PARTITIONS = 4

/** CRASH_LOG_CONFIG is the log config of the crash test: small segments, so rounds cross segment boundaries. */
export const CRASH_LOG_CONFIG: PartitionLogConfig = Object.freeze({
  segmentBytes: 64 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
})

/**
 * crashRecord is record `index` of batch `seq` of round `round`: deterministic, so the parent can
 * check an acknowledged batch without the child sending its contents. Values vary in length so
 * batches do too.
 */
export function crashRecord(round: number, seq: number, index: number): TestRecord {
  const pad = 'x'.repeat((seq * 7 + index * 13 + round) % 200)
  return { key: `k-${round}-${seq}-${index}`, value: `v-${round}-${seq}-${index}-${pad}`, timestamp: 1_700_000_000_000 + seq }
}

/** makeCrashBatch encodes batch `seq` of round `round` with `count` records. */
export function makeCrashBatch(round: number, seq: number, count: number): Buffer {
  return makeBatch(Array.from({ length: count }, (_, i) => crashRecord(round, seq, i)))
}

const WILL_SYNC = Object.freeze({ willSync: true })
const NO_HINT = Object.freeze({})

/**
 * runChildWorkload is the child's loop: append a batch of 1–50 records to a random partition,
 * wait for `sync()` (acks=all), then print `ack <topic> <partition> <baseOffset> <count> <seq>`.
 * It never returns; the parent kills the process.
 */
export async function runChildWorkload(storage: Storage, round: number, random: Random): Promise<never> {
  const logs = openCrashLogs(storage)
  for (let seq = 0; ; seq++) {
    const count = random.range(1, 50)
    const partition = random.int(CRASH_PARTITIONS)
    const log = logs[partition] as PartitionLog
    // Mostly as an acks=all produce appends (`willSync`: a journaling storage also journals the
    // batch), sometimes without the hint (the log's own files are flushed): both must survive.
    const info = log.append(makeCrashBatch(round, seq, count), random.int(4) === 0 ? NO_HINT : WILL_SYNC)
    await log.sync()
    process.stdout.write(`ack ${CRASH_TOPIC} ${partition} ${info.baseOffset} ${count} ${seq}\n`)
  }
}

/** openCrashLogs opens every partition of the crash topic. */
export function openCrashLogs(storage: Storage): PartitionLog[] {
  return Array.from({ length: CRASH_PARTITIONS }, (_, partition) =>
    storage.partitionLog({ topic: CRASH_TOPIC, partition }, CRASH_LOG_CONFIG),
  )
}
