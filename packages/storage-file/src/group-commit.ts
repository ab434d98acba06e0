/**
 * GroupCommit turns many `sync()` calls into few flushes. Each write bumps a counter; a flush
 * covers every write counted when it started. A `sync()` that finds a flush running which
 * already covers its writes joins it; one that arrives too late for it joins the single next
 * flush, which starts when the running one ends. So under load there is at most one flush
 * running and one waiting, however many callers there are, and all callers covered by a flush
 * resolve together.
 *
 * After a failed flush every later `sync()` fails too: once fdatasync has reported an error,
 * Linux may have dropped the dirty pages, so nothing written before can be promised durable.
 */
export class GroupCommit {
  private written = 0
  private durable = 0
  private running: { target: number; promise: Promise<void> } | null = null
  private queued: Promise<void> | null = null
  private failure: unknown = null

  constructor(private readonly flush: () => Promise<void>) {}

  /** noteWrite records a write that the next flush must cover. */
  noteWrite(): void {
    this.written++
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
    if (this.running === null) return this.start()
    if (this.running.target >= target) return this.running.promise
    this.queued ??= this.running.promise.then(ignore, ignore).then(() => {
      this.queued = null
      return this.running !== null && this.running.target >= this.written ? this.running.promise : this.start()
    })
    return this.queued
  }

  private start(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure)
    const target = this.written
    const promise = this.flush().then(
      () => {
        if (target > this.durable) this.durable = target
        if (this.running?.promise === promise) this.running = null
      },
      (err: unknown) => {
        this.failure = err
        if (this.running?.promise === promise) this.running = null
        throw err
      },
    )
    this.running = { target, promise }
    return promise
  }
}

function ignore(): void {}
