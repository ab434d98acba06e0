import { checkInt, checkMs, checkObject } from './option-checks'

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
 * bad ranges (durations must fit a Node timer) with INVALID_CONFIG naming the option under `path`.
 */
export function resolveGroupCoordinatorOptions(
  options: Partial<GroupCoordinatorOptions> = {},
  path = 'groupCoordinator',
): Readonly<GroupCoordinatorOptions> {
  const given = checkObject(options, path, Object.keys(GROUP_COORDINATOR_DEFAULTS))
  const resolved: GroupCoordinatorOptions = { ...GROUP_COORDINATOR_DEFAULTS, ...given }
  checkMs(resolved.minSessionTimeoutMs, `${path}.minSessionTimeoutMs`, 1)
  checkMs(resolved.maxSessionTimeoutMs, `${path}.maxSessionTimeoutMs`, resolved.minSessionTimeoutMs)
  checkMs(resolved.initialRebalanceDelayMs, `${path}.initialRebalanceDelayMs`, 0)
  if (resolved.maxGroupSize !== Number.POSITIVE_INFINITY) checkInt(resolved.maxGroupSize, `${path}.maxGroupSize`, 1)
  return Object.freeze(resolved)
}
