import { deferred, type Deferred } from '@tributary/core/internal'

export { deferred, type Deferred }

/**
 * Notifier wakes a loop that sleeps until "something changed": `wait()` resolves at the next
 * `notify()`. A notify with nobody waiting is remembered once, so a change between a loop's check
 * and its wait is never lost.
 */
export class Notifier {
  /** The promise the waiter holds and its resolve: no Deferred (and no rejection guard), since it never rejects. */
  private waiting: Promise<void> | null = null
  private wakeWaiter: (() => void) | null = null
  private pending = false
  /** Made once: the runner's loop waits again after nearly every message. */
  private readonly capture = (resolve: () => void): void => {
    this.wakeWaiter = resolve
  }

  /** wait resolves at the next notify (at once if one came since the last wait). */
  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false
      return Promise.resolve()
    }
    this.waiting ??= new Promise<void>(this.capture)
    return this.waiting
  }

  /** notify wakes the waiter, or remembers the change for the next wait. */
  notify(): void {
    const wake = this.wakeWaiter
    if (wake !== null) {
      this.waiting = null
      this.wakeWaiter = null
      wake()
    } else {
      this.pending = true
    }
  }
}
