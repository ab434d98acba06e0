import { TributaryError } from '@tributary/core'

/** corrupt builds the CORRUPT_MESSAGE error for bytes that `codec` cannot decode. */
export function corrupt(codec: string, why: string, cause?: unknown): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `Cannot decompress ${codec} records: ${why}`, cause === undefined ? {} : { cause })
}

/** tooLarge builds the CORRUPT_MESSAGE error for input that would inflate to more than `maxBytes`. */
export function tooLarge(codec: string, bytes: number | bigint, maxBytes: number): TributaryError {
  return corrupt(codec, `they would inflate to ${bytes} bytes or more, over the limit of ${maxBytes}`)
}

/**
 * nativeFailure wraps what a native compressor threw (a plain Error, often with code
 * 'GenericFailure') as CORRUPT_MESSAGE; a TributaryError (a missing addon) passes through.
 */
export function nativeFailure(codec: string, err: unknown): TributaryError {
  if (err instanceof TributaryError) return err
  return corrupt(codec, messageOf(err), err)
}

/** messageOf is an error's message; errors from native code or another realm fail `instanceof Error`. */
export function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : String(err)
}
