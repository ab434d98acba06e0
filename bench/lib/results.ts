import { median } from './stats'
import type { Measurement, Result, Task } from './types'

/** RunSample is one successful run of a task: its measurement and the child's peak RSS. */
export interface RunSample {
  measurement: Measurement
  peakRssBytes: number
}

function rate(amount: number, elapsedMs: number): number | null {
  return amount > 0 && elapsedMs > 0 ? (amount * 1000) / elapsedMs : null
}

function medianOf(samples: readonly RunSample[], pick: (s: RunSample) => number | null | undefined): number | null {
  return median(samples.map(pick).filter((v): v is number => typeof v === 'number'))
}

/**
 * toResult summarises the runs of one task: every number is the median of its runs (taken
 * separately, so p99 is the median p99, not the p99 of the run with the median rate). Extra
 * fields come from the run with the median rate.
 */
export function toResult(task: Task, samples: readonly RunSample[]): Result {
  const msgsPerSec = medianOf(samples, (s) => rate(s.measurement.messages, s.measurement.elapsedMs))
  const bytesPerSec = medianOf(samples, (s) => rate(s.measurement.payloadBytes, s.measurement.elapsedMs))
  const ranked = [...samples].sort((a, b) => a.measurement.elapsedMs - b.measurement.elapsedMs)
  const middle = ranked[Math.floor((ranked.length - 1) / 2)]!
  return {
    workload: task.workload,
    system: task.system,
    label: task.label,
    params: task.params,
    messages: medianOf(samples, (s) => s.measurement.messages) ?? 0,
    msgsPerSec,
    mbPerSec: bytesPerSec === null ? null : bytesPerSec / 1e6,
    p50Ms: medianOf(samples, (s) => s.measurement.p50Ms),
    p99Ms: medianOf(samples, (s) => s.measurement.p99Ms),
    p999Ms: medianOf(samples, (s) => s.measurement.p999Ms),
    peakRssBytes: medianOf(samples, (s) => s.peakRssBytes),
    runs: samples.length,
    baseline: task.baseline ?? null,
    ratio: null,
    baselineMsgsPerSec: medianOf(samples, (s) => s.measurement.baselineMsgsPerSec),
    extra: middle.measurement.extra ?? {},
  }
}

/**
 * withRatios fills each row's ratio: its msgs/s over its baseline's (the rate its own child
 * measured, else the baseline row's; MB/s where a row has no message rate, as for CRC). A
 * baseline that did not run leaves the ratio empty.
 */
export function withRatios(results: readonly Result[]): Result[] {
  return results.map((result) => {
    if (result.baselineMsgsPerSec && result.msgsPerSec !== null) return { ...result, ratio: result.msgsPerSec / result.baselineMsgsPerSec }
    if (!result.baseline) return result
    const base = results.find((r) => r.workload === result.workload && r.label === result.baseline)
    if (!base) return { ...result, ratio: null }
    const ratio =
      result.msgsPerSec !== null && base.msgsPerSec
        ? result.msgsPerSec / base.msgsPerSec
        : result.mbPerSec !== null && base.mbPerSec
          ? result.mbPerSec / base.mbPerSec
          : null
    return { ...result, ratio }
  })
}
