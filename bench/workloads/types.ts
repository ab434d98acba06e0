import type { Measurement, Mode, Result, Task, WorkloadName } from '../lib/types'

/**
 * Workload is one of the fixed workloads. `plan` lists its tasks for a mode; the parent runs each
 * task in child processes (`prepare` first in a child of its own, when the workload has one,
 * then `run` once per repetition) and may add computed rows with `derive`.
 */
export interface Workload {
  readonly name: WorkloadName
  /** summary is one line for `--list` and the README. */
  readonly summary: string
  plan(mode: Mode): Task[]
  /** prepare fills `dir` with data for `run`, in a separate child so `run`'s RSS is its own. */
  prepare?(task: Task, dir: string): Promise<void>
  /** run makes one measurement of `task` with its data under `dir`. */
  run(task: Task, dir: string): Promise<Measurement>
  /** derive adds rows computed from the measured ones (e.g. ideal group commit). */
  derive?(results: readonly Result[]): Result[]
}
