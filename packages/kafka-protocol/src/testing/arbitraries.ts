import fc from 'fast-check'
import { defaultValueOf } from '../codec/compiler'
import type { Field, MessageSpec, ScalarKind } from '../codec/schema'
import { ZERO_UUID } from '../codec/uuid'
import { inVersions } from '../codec/versions'

/*
 * fast-check arbitraries generated from the message descriptions: `bodyArbitrary(spec, version)`
 * yields decoded-form bodies of that version (every field present; a field the version lacks at
 * its default; null only where the version allows it), so `decode(encode(body))` must equal body.
 * Test-only: not exported from the package.
 */

/** ArbitraryLimits keep generated bodies small enough for many runs. */
export interface ArbitraryLimits {
  maxArrayLength: number
  maxStringLength: number
  maxBytesLength: number
}

const LIMITS: ArbitraryLimits = { maxArrayLength: 3, maxStringLength: 12, maxBytesLength: 24 }

const int = (bits: number) => fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 })

function scalarArbitrary(kind: ScalarKind, limits: ArbitraryLimits): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'int8':
      return int(8)
    case 'int16':
      return int(16)
    case 'int32':
      return fc.oneof(int(32), fc.constantFrom(-1, 0, 2147483647, -2147483648))
    case 'int64':
      return fc.oneof(fc.maxSafeInteger(), fc.constantFrom(-1, 0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER))
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff })
    case 'uint32':
      return fc.integer({ min: 0, max: 0xffffffff })
    case 'float64':
      return fc.double({ noNaN: true })
    case 'bool':
      return fc.boolean()
    case 'uuid':
      return fc.oneof(fc.constant(ZERO_UUID), fc.uuid())
    case 'string':
      return fc.string({ unit: 'binary', maxLength: limits.maxStringLength })
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: limits.maxBytesLength }).map((a) => Buffer.from(a))
  }
}

function fieldArbitrary(fd: Field, version: number, limits: ArbitraryLimits): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>
  if (fd.kind === 'struct') arb = structArbitrary(fd.fields, version, limits)
  else if (fd.kind === 'array') {
    const el = fd.element
    const elem = typeof el === 'string' ? scalarArbitrary(el, limits) : structArbitrary(el, version, limits)
    arb = fc.array(elem, { maxLength: limits.maxArrayLength })
  } else arb = scalarArbitrary(fd.kind, limits)
  if (inVersions(fd.nullableVersions, version)) arb = fc.oneof(fc.constant(null), arb)
  // Defaults deserve extra weight: they decide whether a tagged field is written at all.
  return fc.oneof({ arbitrary: arb, weight: 4 }, { arbitrary: fc.constant(null).map(() => defaultValueOf(fd)), weight: 1 })
}

/** structArbitrary generates structs of `fields` as decoded at `version`. */
export function structArbitrary(
  fields: readonly Field[],
  version: number,
  limits: ArbitraryLimits = LIMITS,
): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {}
  for (const fd of fields) {
    parts[fd.name] = inVersions(fd.versions, version)
      ? fieldArbitrary(fd, version, limits)
      : fc.constant(null).map(() => defaultValueOf(fd))
  }
  return fc.record(parts) as fc.Arbitrary<Record<string, unknown>>
}

/** bodyArbitrary generates bodies of `spec` as decoded at `version`. */
export function bodyArbitrary(spec: MessageSpec, version: number, limits: ArbitraryLimits = LIMITS): fc.Arbitrary<Record<string, unknown>> {
  return structArbitrary(spec.fields, version, limits)
}

/** versionsOf lists every version `spec` describes. */
export function versionsOf(lowest: number, highest: number): number[] {
  return Array.from({ length: highest - lowest + 1 }, (_, i) => lowest + i)
}
