import { TributaryError } from '@tributary/core'
import { checkBool, checkInt, checkObject, invalidConfig } from '../options'

/** KafkaMessage is one record as handlers receive it: number offsets and timestamps. */
export interface KafkaMessage {
  key: Buffer | null
  value: Buffer | null
  /** Header values by name; a name that occurs more than once maps to an array. */
  headers: Record<string, Buffer | null | Array<Buffer | null>>
  /** Milliseconds since the epoch. */
  timestamp: number
  offset: number
}

/** EachMessagePayload is what `eachMessage` receives. */
export interface EachMessagePayload {
  topic: string
  partition: number
  message: KafkaMessage
  /** Heartbeats run on their own timer; kept for KafkaJS compatibility, it resolves at once. */
  heartbeat(): Promise<void>
  /** pause stops this partition after the current message and returns a function that resumes it. */
  pause(): () => void
}

/** Batch is one partition's run of fetched messages, as `eachBatch` receives it. */
export interface Batch {
  topic: string
  partition: number
  /** One past the last offset in the partition when the batch was fetched. */
  highWatermark: number
  messages: KafkaMessage[]
  isEmpty(): boolean
  firstOffset(): number | null
  lastOffset(): number
  /** Messages after this batch's last one, up to the high watermark. */
  offsetLag(): number
  /** Messages from this batch's first one to the high watermark. */
  offsetLagLow(): number
}

/** EachBatchPayload is what `eachBatch` receives. */
export interface EachBatchPayload {
  batch: Batch
  /** resolveOffset marks `offset` processed: the next commit covers it. */
  resolveOffset(offset: number): void
  heartbeat(): Promise<void>
  pause(): () => void
  /** commitOffsetsIfNecessary commits resolved offsets when the autoCommit policy says so (always, with autoCommit off it does nothing). */
  commitOffsetsIfNecessary(): Promise<void>
  /** uncommittedOffsets lists resolved-but-uncommitted offsets. */
  uncommittedOffsets(): { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }> }
  isRunning(): boolean
  /** isStale tells whether the rest of this batch should be abandoned (rebalance, seek, stop). */
  isStale(): boolean
}

/** RunOptions configure `consumer.run()`. Exactly one of eachMessage and eachBatch. */
export interface RunOptions {
  eachMessage?: (payload: EachMessagePayload) => Promise<void>
  eachBatch?: (payload: EachBatchPayload) => Promise<void>
  /** Commit processed offsets automatically. Default true. */
  autoCommit?: boolean
  /** Commit at most this often, in ms; null commits after every batch. Default null. */
  autoCommitIntervalMs?: number | null
  /** Commit once this many messages are processed; null: no threshold. Default null. */
  autoCommitThreshold?: number | null
  /** eachBatch: resolve the whole batch when the handler returns. Default true. */
  eachBatchAutoResolve?: boolean
  /** How many partitions are handled at once (each partition stays in order). Default 1. */
  partitionsConsumedConcurrently?: number
}

export type ResolvedRunOptions = Required<
  Omit<RunOptions, 'eachMessage' | 'eachBatch' | 'autoCommitIntervalMs' | 'autoCommitThreshold'>
> & {
  eachMessage: RunOptions['eachMessage'] | null
  eachBatch: RunOptions['eachBatch'] | null
  autoCommitIntervalMs: number | null
  autoCommitThreshold: number | null
}

const RUN_DEFAULTS = Object.freeze({
  autoCommit: true,
  autoCommitIntervalMs: null,
  autoCommitThreshold: null,
  eachBatchAutoResolve: true,
  partitionsConsumedConcurrently: 1,
})

/** resolveRunOptions checks `run()` options. Throws INVALID_CONFIG naming e.g. `run.partitionsConsumedConcurrently`. */
export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  const o = checkObject(options, 'run', ['eachMessage', 'eachBatch', ...Object.keys(RUN_DEFAULTS)])
  const r = { eachMessage: null, eachBatch: null, ...RUN_DEFAULTS, ...o } as ResolvedRunOptions
  if ((r.eachMessage === null) === (r.eachBatch === null))
    throw invalidConfig('run.eachMessage', 'or run.eachBatch is required (exactly one)')
  if (r.eachMessage !== null && typeof r.eachMessage !== 'function') throw invalidConfig('run.eachMessage', 'must be a function')
  if (r.eachBatch !== null && typeof r.eachBatch !== 'function') throw invalidConfig('run.eachBatch', 'must be a function')
  checkBool(r.autoCommit, 'run.autoCommit')
  checkBool(r.eachBatchAutoResolve, 'run.eachBatchAutoResolve')
  if (r.autoCommitIntervalMs !== null) checkInt(r.autoCommitIntervalMs, 'run.autoCommitIntervalMs', 0, 2_147_483_647)
  if (r.autoCommitThreshold !== null) checkInt(r.autoCommitThreshold, 'run.autoCommitThreshold', 1)
  checkInt(r.partitionsConsumedConcurrently, 'run.partitionsConsumedConcurrently', 1, 10_000)
  return r
}

/** toKafkaHeaders turns decoded headers into KafkaJS's object shape (repeated names become arrays). */
export function toKafkaHeaders(headers: ReadonlyArray<{ key: string; value: Buffer | null }>): KafkaMessage['headers'] {
  const out: KafkaMessage['headers'] = {}
  for (const { key, value } of headers) {
    const prev = out[key]
    if (prev === undefined) out[key] = value
    else if (Array.isArray(prev)) prev.push(value)
    else out[key] = [prev, value]
  }
  return out
}

/** notRunning is the error for calls that need `run()` first, as KafkaJS's. */
export function notRunning(what: string): TributaryError {
  return new TributaryError('INVALID_ARGUMENT', `${what} requires a running consumer: call run() first`)
}
