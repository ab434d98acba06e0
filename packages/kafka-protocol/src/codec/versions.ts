import { InvariantError } from '@tributary/core/internal'
import type { VersionSpec } from './schema'

/** VersionRange is a parsed VersionSpec: `[lowest, highest]`, inclusive; `none` is empty. */
export interface VersionRange {
  readonly lowest: number
  /** Infinity for an open range such as `"3+"`. */
  readonly highest: number
}

/** NO_VERSIONS is the empty range (`"none"`). */
export const NO_VERSIONS: VersionRange = Object.freeze({ lowest: 1, highest: 0 })

const cache = new Map<string, VersionRange>()

/**
 * parseVersions reads Kafka's version notation: `"3+"` (3 and later), `"0-4"`, `"5"` or `"none"`.
 * Descriptions are our own source code, so a malformed spec is a programmer error.
 */
export function parseVersions(spec: VersionSpec): VersionRange {
  const cached = cache.get(spec)
  if (cached) return cached
  let range: VersionRange
  if (spec === 'none') range = NO_VERSIONS
  else {
    const m = /^(\d+)(?:(\+)|-(\d+))?$/.exec(spec)
    if (!m) throw new InvariantError(`bad version spec ${JSON.stringify(spec)}`)
    const lowest = Number(m[1])
    const highest = m[2] ? Number.POSITIVE_INFINITY : m[3] !== undefined ? Number(m[3]) : lowest
    if (highest < lowest) throw new InvariantError(`bad version spec ${JSON.stringify(spec)}`)
    range = Object.freeze({ lowest, highest })
  }
  cache.set(spec, range)
  return range
}

/** inVersions tells whether `version` lies in `spec` (an absent spec means no version). */
export function inVersions(spec: VersionSpec | undefined, version: number): boolean {
  if (spec === undefined) return false
  const r = parseVersions(spec)
  return version >= r.lowest && version <= r.highest
}
