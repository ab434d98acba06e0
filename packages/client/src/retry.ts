import { TributaryError, type Clock } from '@tributary/core'
import type { ResolvedRetry } from './options'

/**
 * backoffMs returns the wait before retry number `attempt` (0-based): exponential growth from
 * `initialRetryTimeMs` by `multiplier`, capped at `maxRetryTimeMs`, with ±`factor` jitter so that
 * many clients failing together do not retry in lockstep.
 */
export function backoffMs(retry: ResolvedRetry, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(retry.maxRetryTimeMs, retry.initialRetryTimeMs * retry.multiplier ** attempt)
  const jitter = base * retry.factor * (random() * 2 - 1)
  return Math.max(0, Math.min(retry.maxRetryTimeMs, Math.round(base + jitter)))
}

/**
 * sleep waits `ms` on `clock`. An abort ends the wait early (resolving, not rejecting), because
 * every caller re-checks its own state after waking and a stop is not an error.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      timer.cancel()
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = clock.setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })
}

/** isRetriable tells whether an error may succeed if the same call is made again. */
export function isRetriable(error: unknown): boolean {
  return error instanceof TributaryError && error.retriable
}

/**
 * withRetry runs `fn`, retrying retriable TributaryErrors with backoff up to `retry.retries`
 * times; anything else, the last error, or an abort ends it.
 */
export async function withRetry<T>(clock: Clock, retry: ResolvedRetry, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (!isRetriable(error) || attempt >= retry.retries || signal?.aborted) throw error
      await sleep(clock, backoffMs(retry, attempt), signal)
    }
  }
}

/** toError turns anything thrown into an Error, so events and crash handlers always get one. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown))
}
