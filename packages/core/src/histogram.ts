/*
 * Histograms for metrics: fixed bucket bounds chosen once, counts kept in a typed array, so an
 * observation is a short loop and two additions, with no allocation. Prometheus reads them as
 * cumulative buckets (`le`), a sum and a count; `tb.metrics()` returns the same snapshot.
 */

/** LATENCY_BUCKETS_SECONDS are the bounds of latency histograms, from 0.1 ms to 10 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
])

/** BATCH_RECORDS_BUCKETS are the bounds of records-per-batch histograms. */
export const BATCH_RECORDS_BUCKETS: readonly number[] = Object.freeze([1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000])

/** BATCH_BYTES_BUCKETS are the bounds of bytes-per-batch histograms, from 128 B to 4 MiB. */
export const BATCH_BYTES_BUCKETS: readonly number[] = Object.freeze([128, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304])

/** HistogramSnapshot is a histogram at one instant: cumulative counts per upper bound (the last is +Inf), the sum and the count. */
export interface HistogramSnapshot {
  /** Cumulative: `count` observations were ≤ `le`; the last entry's `le` is Infinity. */
  buckets: Array<{ le: number; count: number }>
  sum: number
  count: number
}

/** Histogram counts observations into fixed buckets. */
export class Histogram {
  private readonly counts: Float64Array
  private total = 0
  private n = 0

  /** `bounds` must ascend; an observation above the last goes to the +Inf bucket. */
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  /** observe records one value. */
  observe(value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.total += value
    this.n++
  }

  /** count is how many values were observed. */
  get count(): number {
    return this.n
  }

  /** snapshot returns cumulative buckets, the sum and the count. */
  snapshot(): HistogramSnapshot {
    const buckets: HistogramSnapshot['buckets'] = []
    let running = 0
    for (let i = 0; i <= this.bounds.length; i++) {
      running += this.counts[i] as number
      buckets.push({ le: i < this.bounds.length ? (this.bounds[i] as number) : Number.POSITIVE_INFINITY, count: running })
    }
    return { buckets, sum: this.total, count: this.n }
  }
}
