/**
 * Clock is how every part of Tributary reads time and waits. Production code uses
 * `systemClock`; tests inject a `ManualClock` (see `@tributary/core/testing`) so that retention,
 * session timeouts and lingering run without real waiting.
 */
export interface Clock {
  /** now returns milliseconds since the epoch. */
  now(): number
  /** setTimeout calls `fn` after `delayMs` of this clock's time; the returned handle cancels it. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle
}

/** TimerHandle cancels a timer created by a `Clock`. */
export interface TimerHandle {
  cancel(): void
}

/** systemClock is the real clock: `Date.now` and the Node timers (unref'd, so they never hold a process open). */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const timer = globalThis.setTimeout(fn, Math.max(0, delayMs))
    ;(timer as { unref?: () => void }).unref?.()
    return { cancel: () => globalThis.clearTimeout(timer) }
  },
})
