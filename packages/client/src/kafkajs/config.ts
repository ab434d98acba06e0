import { TributaryError } from '@tributary/core'
import type { RetryOptions as TributaryRetry } from '../options'
import type { Backend } from './backend'
import { KafkaJSNonRetriableError } from './errors'
import type { Logger } from './logger'
import type { RetryOptions } from './types'

/**
 * Option translation: KafkaJS's names (ms without a unit suffix) to Tributary's (with one), and
 * Tributary's option errors back to KafkaJS's names, so that a bad option names what the program
 * wrote (`sessionTimeout`, not `sessionTimeoutMs`).
 */

/** FacadeContext is what a `Kafka` hands each client it makes. */
export interface FacadeContext {
  readonly backend: Backend
  readonly logger: Logger
  readonly clientId: string
  /** The Kafka-level `retry`; each client's own `retry` is merged over it, as in KafkaJS. */
  readonly retry: RetryOptions | undefined
}

/** KafkaJS's retry defaults (its retrier's), applied before any Kafka- or client-level setting. */
export const KAFKAJS_RETRY_DEFAULTS = Object.freeze({ maxRetryTime: 30_000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 })

/** mergeRetry is KafkaJS's `{ ...kafka.retry, ...client.retry }` over its defaults. */
export function mergeRetry(
  kafka: RetryOptions | undefined,
  client: RetryOptions | undefined,
): Required<Omit<RetryOptions, 'restartOnFailure'>> & {
  restartOnFailure?: RetryOptions['restartOnFailure']
} {
  const defined = (o: RetryOptions | undefined) => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined))
  return { ...KAFKAJS_RETRY_DEFAULTS, ...defined(kafka), ...defined(client) }
}

/** toTributaryRetry renames KafkaJS's retry fields to Tributary's. */
export function toTributaryRetry(r: ReturnType<typeof mergeRetry>): Required<TributaryRetry> {
  return {
    retries: r.retries,
    initialRetryTimeMs: r.initialRetryTime,
    maxRetryTimeMs: Math.max(r.maxRetryTime, r.initialRetryTime),
    multiplier: r.multiplier,
    factor: r.factor,
  }
}

/** Tributary option names → the KafkaJS names a program wrote. */
const KAFKAJS_NAMES: Readonly<Record<string, string>> = {
  sessionTimeoutMs: 'sessionTimeout',
  rebalanceTimeoutMs: 'rebalanceTimeout',
  heartbeatIntervalMs: 'heartbeatInterval',
  maxWaitMs: 'maxWaitTimeInMs',
  metadataMaxAgeMs: 'metadataMaxAge',
  initialRetryTimeMs: 'initialRetryTime',
  maxRetryTimeMs: 'maxRetryTime',
  autoCommitIntervalMs: 'autoCommitInterval',
  timeoutMs: 'timeout',
}

/**
 * optionError rewrites Tributary's INVALID_CONFIG for a translated option as KafkaJSNonRetriableError
 * naming the KafkaJS option (e.g. `consumer.sessionTimeout`); the TributaryError stays its cause.
 */
export function optionError(error: unknown): unknown {
  if (!(error instanceof TributaryError) || error.code !== 'INVALID_CONFIG') return error
  const path = typeof error.details.path === 'string' ? error.details.path : ''
  const renamed = path
    .split('.')
    .map((part) => KAFKAJS_NAMES[part] ?? part)
    .join('.')
  const message = path === '' ? error.message : error.message.split(path).join(renamed)
  return new KafkaJSNonRetriableError(`Invalid option: ${message}`, { cause: error })
}

/** warnIgnored logs, once per client, the KafkaJS options given that Tributary has no use for. */
export function warnIgnored(logger: Logger, client: string, given: Record<string, unknown>, names: readonly string[], why: string): void {
  const ignored = names.filter((n) => given[n] !== undefined)
  if (ignored.length > 0) logger.warn(`${client} options ${ignored.join(', ')} are accepted and ignored: ${why}`, { options: ignored })
}
