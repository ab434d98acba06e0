import { deferred, type Deferred } from '@tributary/core/internal'

export { deferred, type Deferred }

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
