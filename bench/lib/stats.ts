/**
 * Small statistics helpers: medians of repeated runs and percentiles of latency samples.
 */

/** median returns the middle value (the lower middle for an even count); null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/** percentile returns the value at rank `p` (0..1) of already sorted samples (nearest rank). */
export function percentile(sorted: Float64Array | readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  return sorted[rank]!
}

/**
 * LatencySamples collects latencies in milliseconds up to a fixed capacity (samples past it are
 * counted but not stored, so memory is bounded) and reports p50/p99/p999.
 */
export class LatencySamples {
  private readonly samplesMs: Float64Array
  private stored = 0
  /** dropped counts samples that arrived after the buffer was full. */
  dropped = 0

  constructor(capacity: number) {
    this.samplesMs = new Float64Array(capacity)
  }

  add(latencyMs: number): void {
    if (this.stored < this.samplesMs.length) this.samplesMs[this.stored++] = latencyMs
    else this.dropped++
  }

  get count(): number {
    return this.stored
  }

  /** summary sorts the stored samples and returns the percentiles (null when empty). */
  summary(): { p50Ms: number | null; p99Ms: number | null; p999Ms: number | null } {
    const sorted = this.samplesMs.subarray(0, this.stored).sort()
    return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), p999Ms: percentile(sorted, 0.999) }
  }
}

/** nowMs is a monotonic clock in milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.now()
}
