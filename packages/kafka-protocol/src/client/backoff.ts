import type { Clock } from '@tributary/core'
import type { ResolvedKafkaClientOptions } from './options'

/**
 * backoffMs is the wait before retry number `attempt` (0-based): exponential growth from
 * `initialRetryTimeMs` by `multiplier`, capped at `maxRetryTimeMs`, with ±`factor` jitter so that
 * many clients failing together do not retry in lockstep (the same curve as the client's retries).
 */
export function backoffMs(retry: ResolvedKafkaClientOptions['retry'], attempt: number, random: () => number = Math.random): number {
  const base = Math.min(retry.maxRetryTimeMs, retry.initialRetryTimeMs * retry.multiplier ** attempt)
  const jitter = base * retry.factor * (random() * 2 - 1)
  return Math.max(0, Math.min(retry.maxRetryTimeMs, Math.round(base + jitter)))
}

/** sleep waits `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
}
