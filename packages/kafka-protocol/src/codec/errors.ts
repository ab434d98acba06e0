import { type ErrorCode, TributaryError } from '@tributary/core'

/** KafkaProtocolErrorDetails locates a protocol error in a message. */
export interface KafkaProtocolErrorDetails {
  /** The field path, e.g. `topicData[].partitionData[].records`; empty for framing errors. */
  path?: string
  /** Byte offset in the buffer being decoded where the problem was found. */
  offset?: number
  apiKey?: number
  apiVersion?: number
  correlationId?: number
  [key: string]: unknown
}

/**
 * KafkaProtocolError is every error of the Kafka codec: a malformed, truncated or oversized frame
 * (`INVALID_REQUEST` for requests, `CORRUPT_MESSAGE` for responses), an API key or version the
 * codec does not know (`UNSUPPORTED_VERSION`), or a body that cannot be encoded
 * (`INVALID_ARGUMENT`). `path` names the field, so a log line says where a frame went wrong.
 */
export class KafkaProtocolError extends TributaryError {
  /** The field path (`topics[].partitions[].records`), or '' when the error is not about a field. */
  readonly path: string

  constructor(code: ErrorCode, message: string, details: KafkaProtocolErrorDetails = {}, cause?: unknown) {
    super(code, details.path ? `${message} (at ${details.path})` : message, { details, cause })
    this.name = 'KafkaProtocolError'
    this.path = details.path ?? ''
  }
}

/** isKafkaProtocolError tells whether `err` is a KafkaProtocolError, optionally of one code. */
export function isKafkaProtocolError(err: unknown, code?: ErrorCode): err is KafkaProtocolError {
  return err instanceof KafkaProtocolError && (code === undefined || err.code === code)
}
