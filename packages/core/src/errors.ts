/**
 * ErrorCodes maps each Kafka error name to its numeric protocol code and whether a client may
 * retry it. Names and numbers follow Kafka's `Errors.java`; `retriable` follows whether the Java
 * exception extends `RetriableException`. A few codes that Kafka has no name for (a closed client,
 * a locked storage directory) use negative numbers of our own.
 */
export const ErrorCodes = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, retriable: true },
  BROKER_NOT_AVAILABLE: { code: 8, retriable: false },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true },
  NOT_COORDINATOR: { code: 16, retriable: true },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  ILLEGAL_GENERATION: { code: 22, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false },
  INVALID_GROUP_ID: { code: 24, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false },
  INVALID_TIMESTAMP: { code: 32, retriable: false },
  UNSUPPORTED_VERSION: { code: 35, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false },
  INVALID_PARTITIONS: { code: 37, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false },
  INVALID_CONFIG: { code: 40, retriable: false },
  INVALID_REQUEST: { code: 42, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false },
  INVALID_TXN_STATE: { code: 48, retriable: false },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false },
  CONCURRENT_TRANSACTIONS: { code: 51, retriable: true },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false },
  REASSIGNMENT_IN_PROGRESS: { code: 60, retriable: false },
  NON_EMPTY_GROUP: { code: 68, retriable: false },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false },
  TOPIC_DELETION_DISABLED: { code: 73, retriable: false },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true },
  UNSUPPORTED_COMPRESSION_TYPE: { code: 76, retriable: false },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false },
  NO_REASSIGNMENT_IN_PROGRESS: { code: 85, retriable: false },
  GROUP_MAX_SIZE_REACHED: { code: 81, retriable: false },
  FENCED_INSTANCE_ID: { code: 82, retriable: false },
  INVALID_RECORD: { code: 87, retriable: false },
  PRODUCER_FENCED: { code: 90, retriable: false },
  UNKNOWN_TOPIC_ID: { code: 100, retriable: true },
  // Codes of our own, for conditions an embedded library has and a Kafka broker does not.
  CLIENT_CLOSED: { code: -100, retriable: false },
  STORAGE_LOCKED: { code: -101, retriable: false },
  INVALID_ARGUMENT: { code: -102, retriable: false },
} as const

/** ErrorCode is the name of one of Kafka's error conditions, as in `ErrorCodes`. */
export type ErrorCode = keyof typeof ErrorCodes

/** TributaryErrorOptions carries the optional parts of an error: its cause and details. */
export interface TributaryErrorOptions {
  cause?: unknown
  /** Structured context, e.g. the leader to retry against or the option path that was bad. */
  details?: Readonly<Record<string, unknown>>
  /** Overrides the code's default retriability where the context knows better. */
  retriable?: boolean
}

/**
 * TributaryError is every error Tributary throws on purpose: `code` is the Kafka error name,
 * `errorCode` its protocol number and `retriable` tells whether the same call may succeed later.
 */
export class TributaryError extends Error {
  readonly code: ErrorCode
  readonly errorCode: number
  readonly retriable: boolean
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TributaryError'
    this.code = code
    this.errorCode = ErrorCodes[code].code
    this.retriable = options.retriable ?? ErrorCodes[code].retriable
    this.details = Object.freeze({ ...options.details })
  }

  /** toJSON keeps the code and details when an error crosses a process boundary as JSON. */
  toJSON(): { code: ErrorCode; message: string; retriable: boolean; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, retriable: this.retriable, details: { ...this.details } }
  }
}

/** isTributaryError tells whether `err` is a TributaryError, optionally of one code. */
export function isTributaryError(err: unknown, code?: ErrorCode): err is TributaryError {
  return err instanceof TributaryError && (code === undefined || err.code === code)
}

/** errorFromJSON rebuilds a TributaryError from `toJSON()` output (used by transports). */
export function errorFromJSON(json: {
  code: string
  message: string
  retriable?: boolean
  details?: Record<string, unknown>
}): TributaryError {
  const code = (json.code in ErrorCodes ? json.code : 'UNKNOWN_SERVER_ERROR') as ErrorCode
  return new TributaryError(code, json.message, { retriable: json.retriable, details: json.details })
}

/** errorFromCode maps a Kafka protocol error number back to its name. */
export function errorNameForCode(errorCode: number): ErrorCode {
  for (const [name, entry] of Object.entries(ErrorCodes)) if (entry.code === errorCode) return name as ErrorCode
  return 'UNKNOWN_SERVER_ERROR'
}

/**
 * wrapStorageError wraps a foreign failure (fs, SQLite) as KAFKA_STORAGE_ERROR with its cause,
 * leaving a TributaryError as it is.
 */
export function wrapStorageError(err: unknown, what: string): TributaryError {
  if (err instanceof TributaryError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new TributaryError('KAFKA_STORAGE_ERROR', `${what}: ${message}`, { cause: err, retriable: false })
}
