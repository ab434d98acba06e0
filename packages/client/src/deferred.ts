/** Deferred is a promise with its resolve and reject functions at hand. */
export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

/** deferred creates a Deferred. Its promise never causes an unhandled rejection by itself. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Rejections are delivered to whoever awaits the promise; nobody waiting is not a crash.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

/**
 * Notifier wakes a loop that sleeps until "something changed": `wait()` resolves at the next
 * `notify()`. A notify with nobody waiting is remembered once, so a change between a loop's check
 * and its wait is never lost.
 */
export class Notifier {
  private waiter: Deferred<void> | null = null
  private pending = false

  /** wait resolves at the next notify (at once if one came since the last wait). */
  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false
      return Promise.resolve()
    }
    this.waiter ??= deferred<void>()
    return this.waiter.promise
  }

  /** notify wakes the waiter, or remembers the change for the next wait. */
  notify(): void {
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w.resolve()
    } else {
      this.pending = true
    }
  }
}
