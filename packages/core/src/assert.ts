/**
 * InvariantError is a broken invariant: a bug in Tributary, never an operating error (those are
 * TributaryErrors with a code, and are handled). It is not meant to be caught.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError'
}

/**
 * assert crashes on a broken invariant (TigerBeetle's rule: programmer errors are assertions,
 * operating errors are handled). Every package's invariants use this one assert.
 * @throws InvariantError when `condition` is false.
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(`invariant violated: ${message}`)
}
