/**
 * RequestBudget bounds the bytes of requests a whole server holds (received complete and not yet
 * answered, over every connection), as Kafka's queued.max.request.bytes does: while it is spent,
 * connections stop reading, and they resume as answers free it. Requests already held always
 * finish (a fetch waits at most its capped maxWaitMs), so the budget cannot deadlock; partial
 * frames are bounded per connection by maxRequestBytes.
 */
export class RequestBudget {
  private held = 0
  private readonly waiting = new Set<() => void>()

  constructor(readonly maxBytes: number) {}

  /** heldBytes is what the server holds now. */
  get heldBytes(): number {
    return this.held
  }

  /** exhausted tells whether connections should stop reading. */
  get exhausted(): boolean {
    return this.held >= this.maxBytes
  }

  /** take counts a received request. */
  take(bytes: number): void {
    this.held += bytes
  }

  /** release frees an answered (or dropped) request and wakes connections that wait for room. */
  release(bytes: number): void {
    this.held -= bytes
    if (this.held < this.maxBytes && this.waiting.size > 0) {
      const wake = [...this.waiting]
      this.waiting.clear()
      for (const w of wake) w()
    }
  }

  /** whenFree calls `wake` once there is room again (a connection paused by the budget). */
  whenFree(wake: () => void): void {
    this.waiting.add(wake)
  }

  /** forget drops a closed connection's wake-up. */
  forget(wake: () => void): void {
    this.waiting.delete(wake)
  }
}
