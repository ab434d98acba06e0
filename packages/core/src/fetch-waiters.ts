import type { FetchPartitionResult } from './broker'

/**
 * FetchWaiters lets long-polling fetches sleep until data arrives on one of their partitions,
 * instead of polling. A waiter is a callback registered under a partition key; `notify` wakes
 * every waiter of that partition once.
 */
export class FetchWaiters {
  private readonly waiters = new Map<string, Set<() => void>>()

  /** wait registers `wake` for each key and returns a function that unregisters it. */
  wait(keys: readonly string[], wake: () => void): () => void {
    for (const key of keys) {
      let set = this.waiters.get(key)
      if (!set) this.waiters.set(key, (set = new Set()))
      set.add(wake)
    }
    return () => {
      for (const key of keys) {
        const set = this.waiters.get(key)
        if (!set) continue
        set.delete(wake)
        if (set.size === 0) this.waiters.delete(key)
      }
    }
  }

  /** notify wakes every waiter registered under `key`. */
  notify(key: string): void {
    const set = this.waiters.get(key)
    if (!set) return
    for (const wake of [...set]) wake()
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
