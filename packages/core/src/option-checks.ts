import { TributaryError } from './errors'

/**
 * Checks shared by every package's `options.ts`: each throws INVALID_CONFIG whose message and
 * `details.path` name the option (e.g. `consumer.sessionTimeoutMs`), and returns the checked value.
 */

/**
 * MAX_TIMER_MS is the longest delay a Node timer keeps: above 2^31-1 ms, `setTimeout` fires at
 * once (with a warning). Every duration that ends up in a timer is checked against it.
 */
export const MAX_TIMER_MS = 2_147_483_647

/** invalidConfig builds the INVALID_CONFIG error for one option path. */
export function invalidConfig(path: string, why: string): TributaryError {
  return new TributaryError('INVALID_CONFIG', `${path} ${why}`, { details: { path } })
}

/**
 * checkObject asserts `value` is a plain options object whose keys are all in `known`, and returns
 * its defined entries (undefined means "use the default"). `undefined` itself is an empty object.
 */
export function checkObject(value: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidConfig(path, 'must be an object')
  for (const key of Object.keys(value)) if (!known.includes(key)) throw invalidConfig(`${path}.${key}`, 'is not a known option')
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined))
}

/** checkInt asserts a safe integer in [min, max]. */
export function checkInt(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidConfig(path, `must be an integer in [${min}, ${max}], got ${String(value)}`)
  }
  return value
}

/** checkMs asserts a duration in ms that a Node timer can hold: an integer in [min, MAX_TIMER_MS]. */
export function checkMs(value: unknown, path: string, min = 0): number {
  return checkInt(value, path, min, MAX_TIMER_MS)
}

/** checkNumber asserts a finite number in [min, max]. */
export function checkNumber(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidConfig(path, `must be a number in [${min}, ${max}], got ${String(value)}`)
  }
  return value
}

/** checkBool asserts a boolean. */
export function checkBool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalidConfig(path, `must be a boolean, got ${String(value)}`)
  return value
}

/** checkOneOf asserts one of the allowed strings. */
export function checkOneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value))
    throw invalidConfig(path, `must be one of ${allowed.join(', ')}, got ${String(value)}`)
  return value as T
}

/**
 * stripUndefined drops the keys whose value is undefined, so that spreading options over their
 * defaults keeps a default where the caller passed `undefined` ("use the default").
 */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * parseHostPort splits a 'host:port' address (an IPv6 host may be bracketed: '[::1]:9092').
 * Port 0 (an ephemeral port) is accepted only with `allowPortZero`, for listen addresses.
 */
export function parseHostPort(address: unknown, path: string, { allowPortZero = false } = {}): { host: string; port: number } {
  const m = typeof address === 'string' ? /^(.+):(\d+)$/.exec(address) : null
  const port = Number(m?.[2])
  if (!m || !Number.isInteger(port) || port < (allowPortZero ? 0 : 1) || port > 65535)
    throw invalidConfig(path, `must be 'host:port', got ${String(address)}`)
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port }
}
