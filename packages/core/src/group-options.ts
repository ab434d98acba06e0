import { TributaryError } from './errors'

/** GroupCoordinatorOptions configures the consumer-group coordinator. Every duration is in ms. */
export interface GroupCoordinatorOptions {
  /**
   * Smallest `sessionTimeoutMs` a member may ask for (Kafka's `group.min.session.timeout.ms`);
   * default 6,000. Tests lower it to run short sessions.
   */
  minSessionTimeoutMs: number
  /** Largest `sessionTimeoutMs` a member may ask for (`group.max.session.timeout.ms`); default 1,800,000. */
  maxSessionTimeoutMs: number
  /**
   * How long the first rebalance of an empty group waits for more members to arrive
   * (`group.initial.rebalance.delay.ms`); default 0. Kafka waits 3,000 ms so that a fleet of
   * consumers starting together rebalances once rather than once per arrival; an embedded
   * library's consumers usually start in one process within a tick, and a 3 s pause before the
   * first message would surprise every quickstart, so the default is no delay. Unlike Kafka's,
   * the delay is fixed: it is not extended by each member arriving during it.
   */
  initialRebalanceDelayMs: number
  /** Most members one group may have (`group.max.size`); default unlimited. */
  maxGroupSize: number
}

/** GROUP_COORDINATOR_DEFAULTS holds the default of every coordinator option. */
export const GROUP_COORDINATOR_DEFAULTS: Readonly<GroupCoordinatorOptions> = Object.freeze({
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  maxGroupSize: Number.POSITIVE_INFINITY,
})

/**
 * resolveGroupCoordinatorOptions merges `options` over the defaults, rejecting unknown keys and
 * bad ranges with INVALID_CONFIG naming the option.
 */
export function resolveGroupCoordinatorOptions(options: Partial<GroupCoordinatorOptions> = {}): Readonly<GroupCoordinatorOptions> {
  if (options === null || typeof options !== 'object') throw invalid('groupCoordinator', 'must be an object')
  for (const key of Object.keys(options)) {
    if (!(key in GROUP_COORDINATOR_DEFAULTS)) throw invalid(`groupCoordinator.${key}`, 'is not a known option')
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
  const resolved: GroupCoordinatorOptions = { ...GROUP_COORDINATOR_DEFAULTS, ...defined }
  integerAtLeast(resolved.minSessionTimeoutMs, 1, 'minSessionTimeoutMs')
  integerAtLeast(resolved.maxSessionTimeoutMs, resolved.minSessionTimeoutMs, 'maxSessionTimeoutMs')
  integerAtLeast(resolved.initialRebalanceDelayMs, 0, 'initialRebalanceDelayMs')
  if (resolved.maxGroupSize !== Number.POSITIVE_INFINITY) integerAtLeast(resolved.maxGroupSize, 1, 'maxGroupSize')
  return Object.freeze(resolved)
}

function integerAtLeast(value: unknown, min: number, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`groupCoordinator.${name}`, `must be an integer ≥ ${min}, got ${String(value)}`)
  }
}

function invalid(path: string, problem: string): TributaryError {
  return new TributaryError('INVALID_CONFIG', `${path} ${problem}`, { details: { option: path } })
}
