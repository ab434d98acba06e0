import { type ErrorCode, ErrorCodes, TributaryError, errorNameForCode } from '@tributary/core'

/*
 * Kafka's error codes on the wire, both ways, over core's ErrorCodes table (Kafka's Errors.java):
 * a server handler turns a thrown error into the errorCode of its response, and the Kafka client
 * backend turns a response's errorCode back into a TributaryError.
 */

/** NO_ERROR is Kafka's error code 0 (NONE). */
export const NO_ERROR = 0

/** Our own negative codes are not Kafka's: this is what each one travels as. */
const OWN_CODES_ON_THE_WIRE: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: ErrorCodes.INVALID_REQUEST.code,
  STORAGE_LOCKED: ErrorCodes.KAFKA_STORAGE_ERROR.code,
}

/** kafkaErrorName names a protocol error code: 'NONE' for 0, UNKNOWN_SERVER_ERROR for a number Kafka does not define. */
export function kafkaErrorName(errorCode: number): ErrorCode | 'NONE' {
  return errorCode === NO_ERROR ? 'NONE' : errorNameForCode(errorCode)
}

/**
 * errorCodeOf is the protocol error code a response carries for `err`: a TributaryError's own
 * code (ours mapped to Kafka's nearest), UNKNOWN_SERVER_ERROR (-1) for anything else.
 */
export function errorCodeOf(err: unknown): number {
  if (!(err instanceof TributaryError)) return ErrorCodes.UNKNOWN_SERVER_ERROR.code
  if (err.errorCode >= -1) return err.errorCode
  return OWN_CODES_ON_THE_WIRE[err.code] ?? ErrorCodes.UNKNOWN_SERVER_ERROR.code
}

/**
 * errorFromKafkaCode turns a response's error code into a TributaryError (null for 0), with the
 * broker's error message when the response has one.
 */
export function errorFromKafkaCode(errorCode: number, message?: string | null, details?: Record<string, unknown>): TributaryError | null {
  if (errorCode === NO_ERROR) return null
  const name = errorNameForCode(errorCode)
  const text = message ? message : `Kafka error ${name} (${errorCode})`
  return new TributaryError(name, text, { details: { ...details, kafkaErrorCode: errorCode } })
}
