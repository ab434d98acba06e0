/**
 * GroupCommit turns many `sync()` calls into few flushes. Each write bumps a counter; a flush
 * covers every write counted when it started. A `sync()` that finds a flush running which
 * already covers its writes joins it; any other joins the single next flush. So under load there
 * is at most one flush running and one waiting, however many callers there are, and all callers
 * covered by a flush resolve together.
 *
 * The next flush starts when the running one ends, or, when none is running, one turn of the
 * event loop after the first `sync()` that asked for it (`defer`, setImmediate by default). That
 * turn is the gathering window: the writes of every request handled in it (a producer's second
 * batch of a partition, other producers' sends, other partitions' syncs) share the flush instead
 * of each waiting for a flush of its own, for a few microseconds of latency against an fdatasync's
 * hundred or more.
 *
 * After a failed flush every later `sync()` fails too: once fdatasync has reported an error,
 * Linux may have dropped the dirty pages, so nothing written before can be promised durable.
 */
export class GroupCommit {
  private written = 0
  private durable = 0
  /** The flush running: the writes it covers, and the syncs waiting for it. */
  private running: { target: number; waiting: Waiting } | null = null
  /** The flush after the running one (or the first, gathering), shared by every sync it must cover. */
  private next: Waiting | null = null
  private failure: unknown = null
  /** Made once: a closure per flush is measurable when every message is flushed on its own. */
  private readonly startNextLater = (): void => this.startNext()
  private readonly onFlushed = (): void => this.finished(true, null)
  private readonly onFlushFailed = (err: unknown): void => this.finished(false, err)

  constructor(
    private readonly flush: () => Promise<void>,
    private readonly defer: (start: () => void) => void = setImmediate,
  ) {}

  /** noteWrite records a write that the next flush must cover. */
  noteWrite(): void {
    this.written++
  }

  /** writtenCount is how many writes were noted so far. */
  writtenCount(): number {
    return this.written
  }

  /** isDurable tells whether a finished flush covers the first `count` writes noted. */
  isDurable(count: number): boolean {
    return this.durable >= count
  }

  /** hasPending tells whether some write is not yet covered by a finished flush. */
  hasPending(): boolean {
    return this.written > this.durable
  }

  /** sync resolves once every write noted before the call is covered by a finished flush. */
  sync(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure)
    const target = this.written
    if (this.durable >= target) return Promise.resolve()
    if (this.running !== null && this.running.target >= target) return this.running.waiting.promise
    if (this.next === null) {
      this.next = waiting()
      if (this.running === null) this.defer(this.startNextLater)
    }
    return this.next.promise
  }

  /** startNext starts the waiting flush (unless one is running: its end starts it). */
  private startNext(): void {
    const next = this.next
    if (next === null || this.running !== null) return
    this.next = null
    if (this.failure !== null) return next.reject(this.failure)
    this.running = { target: this.written, waiting: next }
    this.flush().then(this.onFlushed, this.onFlushFailed)
  }

  private finished(ok: boolean, err: unknown): void {
    const running = this.running as { target: number; waiting: Waiting }
    this.running = null
    if (ok) {
      if (running.target > this.durable) this.durable = running.target
      running.waiting.resolve()
    } else {
      this.failure ??= err
      running.waiting.reject(err)
    }
    // Writes that arrived during the flush were gathering all along: their flush starts now.
    if (this.next !== null) this.startNext()
  }
}

interface Waiting {
  promise: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
}

function waiting(): Waiting {
  let resolve!: () => void
  let reject!: (err: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
