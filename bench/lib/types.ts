/**
 * The shapes the bench passes around: a Task is one measurement to make (one system under one
 * workload), a Measurement is what a child process reports for one run of it, and a Result is
 * one row of the results file (the median of the runs).
 */

/** Mode: `quick` (the default, smaller counts, one run) or `full` (issue counts, three runs). */
export type Mode = 'quick' | 'full'

/** WORKLOAD_NAMES lists the workloads in the order they run. */
export const WORKLOAD_NAMES = [
  'produce',
  'consume',
  'produce-acks-all',
  'latency',
  'partitions-10k',
  'backlog',
  'codec',
  'cluster',
  'raft-catch-up',
] as const
export type WorkloadName = (typeof WORKLOAD_NAMES)[number]

export type Params = Record<string, number | string | boolean>

/** Task is one measurement: one system under one workload with its parameters. */
export interface Task {
  workload: WorkloadName
  system: string
  /** label names the row in the table, e.g. `tributary-file ×64`; unique within a workload. */
  label: string
  /** messages is how many messages a run handles (the load loop also stops at `timeLimitMs`). */
  messages: number
  /** timeLimitMs bounds one run; the child is killed past it plus a grace period. */
  timeLimitMs: number
  params: Params
  /** baseline is the label of the row (same workload) this row's rate is divided by. */
  baseline?: string
}

/** Measurement is what one run of a task reports. */
export interface Measurement {
  /** messages actually handled (fewer than planned when the time limit stopped the loop). */
  messages: number
  elapsedMs: number
  /** payloadBytes is the key and value bytes handled, for MB/s. */
  payloadBytes: number
  p50Ms?: number | null
  p99Ms?: number | null
  p999Ms?: number | null
  /** serverRssBytes is the peak RSS of a peer's server process, added to the client's. */
  serverRssBytes?: number
  /**
   * baselineMsgsPerSec is the rate of this row's baseline when the child measured it itself, just
   * around the run (as the ideal group commit from an fsync probe); it is used for the ratio
   * instead of the baseline row's.
   */
  baselineMsgsPerSec?: number
  /** extra holds workload-specific numbers (recovery time, open descriptors, …). */
  extra?: Record<string, number | string>
}

/** Result is one row of the results file. */
export interface Result {
  workload: WorkloadName
  system: string
  label: string
  params: Params
  messages: number
  msgsPerSec: number | null
  mbPerSec: number | null
  p50Ms: number | null
  p99Ms: number | null
  p999Ms: number | null
  /** peakRssBytes is the child process's peak RSS plus its server's, when it ran one. */
  peakRssBytes: number | null
  /** runs is how many runs the medians are taken over. */
  runs: number
  baseline: string | null
  /** ratio is msgsPerSec divided by the baseline's msgsPerSec (measured in the same child, or the baseline row's). */
  ratio: number | null
  /** baselineMsgsPerSec is the median baseline rate measured by the row's own child, if it did. */
  baselineMsgsPerSec: number | null
  extra: Record<string, number | string>
}

/** Skipped records a task that could not run here, and why. */
export interface Skipped {
  workload: WorkloadName
  system: string
  label: string
  reason: string
  /** failed is true for an error or a timeout, false for a missing peer or API. */
  failed: boolean
}

/** SkipError is thrown by a child when its system cannot run here (a missing binary or API). */
export class SkipError extends Error {
  override readonly name = 'SkipError'
}
