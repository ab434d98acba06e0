import type { FetchPartitionResult } from './broker'

/** DEFAULT_MAX_FETCH_WAITERS bounds the long-polling fetches one broker holds at once. */
export const DEFAULT_MAX_FETCH_WAITERS = 10_000

/**
 * FetchWaiters lets long-polling fetches sleep until data arrives on one of their partitions,
 * instead of polling. A waiter is a callback registered under a partition key; `notify` wakes
 * every waiter of that partition once.
 *
 * Bounded: at most `maxWaiters` fetches wait at once. Beyond that `wait` refuses (returns
 * undefined) and the fetch answers at once with what it has (less than its minBytes, as a fetch
 * whose wait ran out): memory never grows with the number of idle consumers.
 */
export class FetchWaiters {
  private readonly waiters = new Map<string, Set<() => void>>()
  private count = 0

  constructor(private readonly maxWaiters: number = DEFAULT_MAX_FETCH_WAITERS) {}

  /** size is how many fetches wait. */
  get size(): number {
    return this.count
  }

  /** wait registers `wake` for each key and returns a function that unregisters it, or undefined when full. */
  wait(keys: readonly string[], wake: () => void): (() => void) | undefined {
    if (this.count >= this.maxWaiters) return undefined
    this.count++
    let registered = true
    for (const key of keys) {
      let set = this.waiters.get(key)
      if (!set) this.waiters.set(key, (set = new Set()))
      set.add(wake)
    }
    return () => {
      if (!registered) return
      registered = false
      this.count--
      // An emptied Set stays for the partition's next waiter (one per partition waited on; a Set
      // and a Map entry made and dropped per long poll were measurable at one message per fetch).
      for (const key of keys) this.waiters.get(key)?.delete(wake)
    }
  }

  /** notify wakes every waiter registered under `key`. */
  notify(key: string): void {
    const set = this.waiters.get(key)
    if (!set || set.size === 0) return
    // A wake unregisters itself: the usual single waiter is woken without copying the set.
    if (set.size === 1) for (const wake of set) return wake()
    for (const wake of [...set]) wake()
  }

  /** forget drops a deleted partition's emptied Set (after its waiters were notified). */
  forget(key: string): void {
    if (this.waiters.get(key)?.size === 0) this.waiters.delete(key)
  }

  /** notifyAll wakes every waiter (on close). */
  notifyAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake()
  }
}

/** fetchHasEnough tells whether fetch results hold `minBytes` of batches, or an error to answer at once. */
export function fetchHasEnough(results: readonly FetchPartitionResult[], minBytes: number): boolean {
  let bytes = 0
  for (const r of results) {
    if (r.error) return true
    for (const b of r.batches) bytes += b.length
  }
  return bytes >= minBytes
}

/** partitionKey names a partition in maps: `topic/partition` ('/' cannot occur in topic names). */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`
}
