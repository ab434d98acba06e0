import { TributaryError } from '@tributary/core'

/**
 * EXIT_CODES are the `tributary` command's exit statuses (documented in the README and `--help`):
 *
 * | code | meaning                                                                                   |
 * | ---- | ----------------------------------------------------------------------------------------- |
 * | 0    | success (verify: no damage)                                                                |
 * | 1    | the command failed: an error from the broker or storage, or verify found damage            |
 * | 2    | bad usage: an unknown command or option, a missing or malformed argument                   |
 * | 3    | the target is unavailable: the storage is locked by a live process, or no broker answered  |
 */
export const EXIT_CODES = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2, UNAVAILABLE: 3 } as const)

/** EXIT_CODES_HELP is the exit-code table as `--help` prints it. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success (verify: no damage found)
  1  the command failed (a broker or storage error; verify found damage)
  2  bad usage (unknown command or option, missing or malformed argument)
  3  target unavailable (storage locked by a live process, no broker reachable)`

const UNAVAILABLE_CODES = new Set([
  'STORAGE_LOCKED',
  'NETWORK_EXCEPTION',
  'LEADER_NOT_AVAILABLE',
  'BROKER_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
])

/** UsageError is a bad command line: exit 2. */
export class UsageError extends Error {}

/** exitCodeFor maps a failure to its exit status. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT_CODES.USAGE
  if (error instanceof TributaryError) {
    if (error.code === 'INVALID_CONFIG' || error.code === 'INVALID_ARGUMENT') return EXIT_CODES.USAGE
    if (UNAVAILABLE_CODES.has(error.code)) return EXIT_CODES.UNAVAILABLE
  }
  return EXIT_CODES.FAILED
}
