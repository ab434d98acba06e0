import { nonRetriable } from './errors'

/** KafkaJS's special offsets: -1 is the log end (latest), -2 the log start (earliest). */
export const LATEST_OFFSET = -1
export const EARLIEST_OFFSET = -2

/**
 * parseOffset reads a KafkaJS offset (a string, or a number or bigint as Long.fromValue accepts) as
 * a number. Offsets beyond 2^53 cannot be represented by Tributary and are refused, as are
 * non-integers; negative offsets only where `special` allows -1 and -2. Throws KafkaJSNonRetriableError.
 */
export function parseOffset(value: unknown, what: string, special = false): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw nonRetriable(`Invalid ${what}, expected a long received ${String(value)}`)
  if (n < 0 && !(special && (n === LATEST_OFFSET || n === EARLIEST_OFFSET))) throw nonRetriable(`${what} must not be a negative number`)
  return n
}

/** parseTimestamp reads a message timestamp given as a string (or number) of ms since the epoch. */
export function parseTimestamp(value: unknown, where: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw nonRetriable(`Invalid timestamp ${JSON.stringify(value)} at ${where}: expected a string of milliseconds since the epoch`)
  }
  return n
}
