import { randomBytes } from 'node:crypto'
import { TributaryError } from '@tributary/core'

/** Helpers shared by the compression tests (not exported from the package). */

/** thrown runs `fn` and returns the TributaryError it threw; anything else (or no throw) fails. */
export function thrown(fn: () => unknown): TributaryError {
  let result: unknown
  try {
    result = fn()
  } catch (err) {
    if (err instanceof TributaryError) return err
    throw new Error(`expected a TributaryError, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`)
  }
  throw new Error(`expected a TributaryError, the call returned ${String(result)}`)
}

/** jsonRecords is `bytes` of newline-separated JSON events, as compressible as typical Kafka values. */
export function jsonRecords(bytes: number, seed = 1): Buffer {
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const n = (i * 2654435761 + seed) >>> 0
    const line = `{"id":${i},"user":"user-${n % 5000}","event":"${['click', 'view', 'buy', 'scroll'][n % 4]}","amountCents":${n % 100000},"at":${1_700_000_000_000 + i * 37},"ok":${n % 7 !== 0}}\n`
    lines.push(line)
    size += line.length
  }
  return Buffer.from(lines.join('')).subarray(0, bytes)
}

/** incompressible is `bytes` of random data. */
export function incompressible(bytes: number): Buffer {
  return randomBytes(bytes)
}
