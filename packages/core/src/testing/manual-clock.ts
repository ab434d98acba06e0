import type { Clock, TimerHandle } from '../clock'

/** One pending timer; `seq` breaks ties so timers due at the same time fire in creation order. */
interface PendingTimer {
  dueMs: number
  seq: number
  fn: () => void
}

/** The most timers `runAll` fires before it decides a timer is rescheduling itself forever. */
const RUN_ALL_LIMIT = 100_000

/**
 * ManualClock is a `Clock` whose time moves only when a test says so. `advance(ms)` fires every
 * timer that falls due, in time order, with `now()` set to each timer's due time while it runs —
 * including timers that fired timers schedule inside the window — so retention, linger and
 * session timeouts run deterministically and without real waiting.
 */
export class ManualClock implements Clock {
  private nowMs: number
  private nextSeq = 0
  /** Pending timers, kept sorted by (dueMs, seq). */
  private timers: PendingTimer[] = []

  /** Creates a clock reading `startMs` (default 0; use a realistic epoch when timestamps matter). */
  constructor(startMs = 0) {
    assertFinite(startMs, 'startMs')
    this.nowMs = startMs
  }

  /** now returns the clock's current time in ms. */
  now(): number {
    return this.nowMs
  }

  /** setTimeout schedules `fn` at `now() + delayMs` (negative or non-finite delays count as 0, as in Node). */
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const delay = Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0
    const timer: PendingTimer = { dueMs: this.nowMs + delay, seq: this.nextSeq++, fn }
    this.insert(timer)
    return { cancel: () => this.remove(timer) }
  }

  /** pendingTimers returns how many timers wait to fire. */
  pendingTimers(): number {
    return this.timers.length
  }

  /** nextDueMs returns when the next timer fires, or null when none is pending. */
  nextDueMs(): number | null {
    return this.timers[0]?.dueMs ?? null
  }

  /**
   * advance moves time forward by `ms`, firing due timers in order, and returns how many fired.
   * A timer that throws stops the advance at its due time; the error propagates.
   */
  advance(ms: number): number {
    assertFinite(ms, 'ms')
    if (ms < 0) throw new RangeError(`ManualClock.advance: ms must be ≥ 0, got ${ms}`)
    return this.advanceTo(this.nowMs + ms)
  }

  /** advanceTo moves time to `targetMs` (never backwards), firing due timers; returns how many fired. */
  advanceTo(targetMs: number): number {
    assertFinite(targetMs, 'targetMs')
    let fired = 0
    for (let timer = this.timers[0]; timer !== undefined && timer.dueMs <= targetMs; timer = this.timers[0]) {
      this.fire(timer)
      fired++
    }
    this.nowMs = Math.max(this.nowMs, targetMs)
    return fired
  }

  /**
   * advanceAsync is `advance` for code whose timers start promises: after each fired timer it
   * lets pending promise callbacks and I/O callbacks run (one macrotask turn) before the next.
   */
  async advanceAsync(ms: number): Promise<number> {
    assertFinite(ms, 'ms')
    const targetMs = this.nowMs + Math.max(0, ms)
    let fired = 0
    await flushMacrotask()
    for (let timer = this.timers[0]; timer !== undefined && timer.dueMs <= targetMs; timer = this.timers[0]) {
      this.fire(timer)
      fired++
      await flushMacrotask()
    }
    this.nowMs = Math.max(this.nowMs, targetMs)
    return fired
  }

  /**
   * runAll fires every pending timer (and those they schedule) until none is left, moving time
   * to each one's due time. Throws after `limit` firings, because a timer that always
   * reschedules itself would otherwise loop forever.
   */
  runAll(limit = RUN_ALL_LIMIT): number {
    let fired = 0
    for (let timer = this.timers[0]; timer !== undefined; timer = this.timers[0]) {
      if (fired >= limit) throw new Error(`ManualClock.runAll: still ${this.timers.length} timers after ${limit} firings`)
      this.fire(timer)
      fired++
    }
    return fired
  }

  private fire(timer: PendingTimer): void {
    this.timers.shift()
    this.nowMs = Math.max(this.nowMs, timer.dueMs)
    timer.fn()
  }

  private insert(timer: PendingTimer): void {
    // Binary search for the first timer due strictly later: equal due times keep creation order.
    let lo = 0
    let hi = this.timers.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.timers[mid] as PendingTimer).dueMs <= timer.dueMs) lo = mid + 1
      else hi = mid
    }
    this.timers.splice(lo, 0, timer)
  }

  private remove(timer: PendingTimer): void {
    const index = this.timers.indexOf(timer)
    if (index >= 0) this.timers.splice(index, 1)
  }
}

function assertFinite(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`ManualClock: ${name} must be a finite number, got ${String(value)}`)
  }
}

/** flushMacrotask waits one turn of the event loop, so promise chains started by a timer settle. */
function flushMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
