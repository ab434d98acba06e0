import { TributaryError, type ErrorCode } from '@tributary/core'

/**
 * KafkaJS's error classes, with KafkaJS's names, fields and `retriable` flags, so that code which
 * checks `error.name`, `instanceof KafkaJSProtocolError`, `error.type` or `error.retriable` keeps
 * working. Errors that Tributary raised arrive wrapped: the TributaryError is the `cause`.
 */

/** ErrorInput is what every KafkaJS error constructor takes first: a message or an error. */
type ErrorInput = Error | string | { message?: string; helpUrl?: string }

function messageOf(e: ErrorInput): string {
  return typeof e === 'string' ? e : (e.message ?? String(e))
}

/** KafkaJSError is the base of every KafkaJS error; `retriable` defaults to true, as in KafkaJS. */
export class KafkaJSError extends Error {
  readonly retriable: boolean
  readonly helpUrl?: string
  override readonly cause?: Error

  constructor(e: ErrorInput, { retriable = true, cause }: { retriable?: boolean; cause?: unknown } = {}) {
    const error = cause === undefined || cause instanceof Error ? cause : new Error(String(cause))
    super(messageOf(e), error === undefined ? undefined : { cause: error })
    this.name = 'KafkaJSError'
    this.retriable = retriable
    this.helpUrl = typeof e === 'object' && 'helpUrl' in e ? e.helpUrl : undefined
    this.cause = error
  }
}

/** KafkaJSNonRetriableError is an error that retrying cannot fix. */
export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: ErrorInput, { cause }: { cause?: unknown } = {}) {
    super(e, { retriable: false, cause })
    this.name = 'KafkaJSNonRetriableError'
  }
}

/** KafkaJSProtocolError is a Kafka error code: `type` is KafkaJS's name for it, `code` its number. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly type: string
  readonly code: number

  constructor(
    e: ErrorInput & { type?: string; code?: number; retriable?: boolean },
    { retriable, cause }: { retriable?: boolean; cause?: unknown } = {},
  ) {
    const fields = typeof e === 'object' ? (e as { type?: string; code?: number; retriable?: boolean }) : {}
    super(e, { retriable: retriable ?? fields.retriable ?? true, cause })
    this.name = 'KafkaJSProtocolError'
    this.type = fields.type ?? 'UNKNOWN'
    this.code = fields.code ?? -1
  }
}

/** KafkaJSOffsetOutOfRange is OFFSET_OUT_OF_RANGE for one partition. */
export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  readonly topic?: string
  readonly partition?: number
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], { topic, partition, cause }: OffsetOutOfRangeInfo = {}) {
    super(e, { cause })
    this.name = 'KafkaJSOffsetOutOfRange'
    this.topic = topic
    this.partition = partition
  }
}
type OffsetOutOfRangeInfo = { topic?: string; partition?: number; cause?: unknown }

/** KafkaJSMemberIdRequired is MEMBER_ID_REQUIRED with the member id the coordinator handed out. */
export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  readonly memberId?: string
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], { memberId, cause }: { memberId?: string; cause?: unknown } = {}) {
    super(e, { cause })
    this.name = 'KafkaJSMemberIdRequired'
    this.memberId = memberId
  }
}

/** KafkaJSNumberOfRetriesExceeded is what a retried operation throws once its retries are used up; `cause` is the last error. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly retryCount: number
  readonly retryTime: number
  constructor(e: Error, { retryCount = 0, retryTime = 0 }: { retryCount?: number; retryTime?: number } = {}) {
    super(e, { cause: e })
    this.name = 'KafkaJSNumberOfRetriesExceeded'
    this.stack = `${this.name}\n  Caused by: ${e.stack ?? e.message}`
    this.retryCount = retryCount
    this.retryTime = retryTime
  }
}

/** KafkaJSConnectionError: a broker could not be reached or the connection was lost. */
export class KafkaJSConnectionError extends KafkaJSError {
  readonly broker?: string
  readonly code?: string
  constructor(e: ErrorInput, { broker, code, cause }: { broker?: string; code?: string; cause?: unknown } = {}) {
    super(e, { cause })
    this.name = 'KafkaJSConnectionError'
    this.broker = broker
    this.code = code
  }
}

/** KafkaJSConnectionClosedError: the connection closed under a request. */
export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  readonly host?: string
  readonly port?: number
  constructor(e: ErrorInput, { host, port, cause }: { host?: string; port?: number; cause?: unknown } = {}) {
    super(e, { broker: `${host}:${port}`, cause })
    this.name = 'KafkaJSConnectionClosedError'
    this.host = host
    this.port = port
  }
}

/** KafkaJSRequestTimeoutError: a request got no answer in time. */
export class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker?: string
  readonly correlationId?: number
  readonly createdAt?: number
  readonly sentAt?: number
  readonly pendingDuration?: number
  constructor(
    e: ErrorInput,
    info: { broker?: string; correlationId?: number; createdAt?: number; sentAt?: number; pendingDuration?: number; cause?: unknown } = {},
  ) {
    super(e, { cause: info.cause })
    this.name = 'KafkaJSRequestTimeoutError'
    this.broker = info.broker
    this.correlationId = info.correlationId
    this.createdAt = info.createdAt
    this.sentAt = info.sentAt
    this.pendingDuration = info.pendingDuration
  }
}

/** KafkaJSMetadataNotLoaded: metadata was needed before it was loaded. */
export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e: ErrorInput = 'Metadata not loaded', options?: { retriable?: boolean; cause?: unknown }) {
    super(e, options)
    this.name = 'KafkaJSMetadataNotLoaded'
  }
}

/** KafkaJSTopicMetadataNotLoaded: one topic's metadata was needed before it was loaded. */
export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  readonly topic?: string
  constructor(e: ErrorInput, { topic }: { topic?: string } = {}) {
    super(e)
    this.name = 'KafkaJSTopicMetadataNotLoaded'
    this.topic = topic
  }
}

/** KafkaJSStaleTopicMetadataAssignment: an assignment named partitions the metadata did not know. */
export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  readonly topic?: string
  readonly unknownPartitions?: unknown
  constructor(e: ErrorInput, { topic, unknownPartitions }: { topic?: string; unknownPartitions?: unknown } = {}) {
    super(e)
    this.name = 'KafkaJSStaleTopicMetadataAssignment'
    this.topic = topic
    this.unknownPartitions = unknownPartitions
  }
}

/** DeleteGroupsResult is one group's outcome in `admin.deleteGroups`. */
export interface DeleteGroupsResult {
  groupId: string
  errorCode?: number
  error?: KafkaJSProtocolError
}

/** KafkaJSDeleteGroupsError lists the groups that `admin.deleteGroups` could not delete. */
export class KafkaJSDeleteGroupsError extends KafkaJSError {
  readonly groups: DeleteGroupsResult[]
  constructor(e: ErrorInput, groups: DeleteGroupsResult[] = []) {
    super(e)
    this.name = 'KafkaJSDeleteGroupsError'
    this.groups = groups
  }
}

/** KafkaJSDeleteTopicRecordsError lists the partitions `admin.deleteTopicRecords` failed on; retriable when all of them are. */
export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  readonly topic?: string
  readonly partitions: Array<{ partition: number; offset: string; error: KafkaJSError }>
  constructor({ topic, partitions }: { topic?: string; partitions: Array<{ partition: number; offset: string; error: KafkaJSError }> }) {
    super('Error while deleting records', { retriable: partitions.every((p) => p.error.retriable) })
    this.name = 'KafkaJSDeleteTopicRecordsError'
    this.topic = topic
    this.partitions = partitions
  }
}

/** KafkaJSServerDoesNotSupportApiKey: the broker lacks an API the call needs. */
export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  readonly apiKey?: number
  readonly apiName?: string
  constructor(e: ErrorInput, { apiKey, apiName, cause }: { apiKey?: number; apiName?: string; cause?: unknown } = {}) {
    super(e, { cause })
    this.name = 'KafkaJSServerDoesNotSupportApiKey'
    this.apiKey = apiKey
    this.apiName = apiName
  }
}

/** KafkaJSCreateTopicError: creating one topic failed. */
export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  readonly topic?: string
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], topic?: string) {
    super(e)
    this.name = 'KafkaJSCreateTopicError'
    this.topic = topic
  }
}

/** KafkaJSAlterPartitionReassignmentsError: moving one partition's replicas failed. */
export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  readonly topic?: string
  readonly partition?: number
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], topic?: string, partition?: number) {
    super(e)
    this.name = 'KafkaJSAlterPartitionReassignmentsError'
    this.topic = topic
    this.partition = partition
  }
}

/** KafkaJSAggregateError carries several errors (it is not a KafkaJSError, as in KafkaJS). */
export class KafkaJSAggregateError extends Error {
  readonly errors: Array<Error | string>
  constructor(message: string, errors: Array<Error | string>) {
    super(message)
    this.name = 'KafkaJSAggregateError'
    this.errors = errors
  }
}

/** Defines a KafkaJS error class that adds nothing but its name (and, for non-retriable ones, retriable false). */
function named<B extends typeof KafkaJSError | typeof KafkaJSNonRetriableError>(base: B, name: string): B {
  const cls = class extends (base as typeof KafkaJSError) {
    constructor(e: ErrorInput = name, options?: { retriable?: boolean; cause?: unknown }) {
      super(e, options)
      this.name = name
    }
  }
  Object.defineProperty(cls, 'name', { value: name })
  return cls as unknown as B
}

export const KafkaJSBrokerNotFound = named(KafkaJSError, 'KafkaJSBrokerNotFound')
export const KafkaJSPartialMessageError = named(KafkaJSNonRetriableError, 'KafkaJSPartialMessageError')
export const KafkaJSSASLAuthenticationError = named(KafkaJSNonRetriableError, 'KafkaJSSASLAuthenticationError')
export const KafkaJSGroupCoordinatorNotFound = named(KafkaJSNonRetriableError, 'KafkaJSGroupCoordinatorNotFound')
export const KafkaJSNotImplemented = named(KafkaJSNonRetriableError, 'KafkaJSNotImplemented')
export const KafkaJSTimeout = named(KafkaJSNonRetriableError, 'KafkaJSTimeout')
export const KafkaJSLockTimeout = named(KafkaJSTimeout, 'KafkaJSLockTimeout')
export const KafkaJSUnsupportedMagicByteInMessageSet = named(KafkaJSNonRetriableError, 'KafkaJSUnsupportedMagicByteInMessageSet')
export const KafkaJSInvariantViolation = named(KafkaJSNonRetriableError, 'KafkaJSInvariantViolation')
export const KafkaJSInvalidVarIntError = named(KafkaJSNonRetriableError, 'KafkaJSNonRetriableError')
export const KafkaJSInvalidLongError = named(KafkaJSNonRetriableError, 'KafkaJSNonRetriableError')
export const KafkaJSNoBrokerAvailableError = named(KafkaJSError, 'KafkaJSNoBrokerAvailableError')
/** KafkaJSFetcherRebalanceError is internal to KafkaJS's fetcher; exported because KafkaJS exports it. */
export class KafkaJSFetcherRebalanceError extends Error {}

/**
 * KAFKAJS_TYPE_NAMES are the codes whose KafkaJS `type` differs from Kafka's current name (KafkaJS
 * kept the names of older Kafka releases). Every other code's type is its Tributary code.
 */
const KAFKAJS_TYPE_NAMES: Partial<Record<ErrorCode, string>> = {
  UNKNOWN_SERVER_ERROR: 'UNKNOWN',
  NOT_LEADER_OR_FOLLOWER: 'NOT_LEADER_FOR_PARTITION',
  COORDINATOR_LOAD_IN_PROGRESS: 'GROUP_LOAD_IN_PROGRESS',
  COORDINATOR_NOT_AVAILABLE: 'GROUP_COORDINATOR_NOT_AVAILABLE',
  NOT_COORDINATOR: 'NOT_COORDINATOR_FOR_GROUP',
}

/** kafkaJSType is KafkaJS's `type` for a Tributary error code. */
export function kafkaJSType(code: ErrorCode): string {
  return KAFKAJS_TYPE_NAMES[code] ?? code
}

/** Codes of Tributary's own (no Kafka number): they become KafkaJSNonRetriableError, as KafkaJS's client-side checks do. */
const CLIENT_SIDE_CODES = new Set<ErrorCode>(['CLIENT_CLOSED', 'STORAGE_LOCKED', 'INVALID_ARGUMENT'])

/**
 * toKafkaJSError turns what Tributary threw into the KafkaJS error a KafkaJS program expects,
 * keeping the original as `cause`: a Kafka error code becomes KafkaJSProtocolError (`type` its
 * KafkaJS name), a bad option or argument KafkaJSNonRetriableError, an unreachable broker
 * KafkaJSConnectionError, an unanswered request KafkaJSRequestTimeoutError. KafkaJS errors and
 * foreign errors (a handler's own) are returned as they are.
 */
export function toKafkaJSError(error: unknown): Error {
  if (error instanceof KafkaJSError || error instanceof KafkaJSAggregateError) return error
  if (!(error instanceof TributaryError)) return error instanceof Error ? error : new KafkaJSError(String(error))
  const { code, details } = error
  const cause = error
  if (CLIENT_SIDE_CODES.has(code) || (code === 'INVALID_CONFIG' && typeof details.path === 'string')) {
    return new KafkaJSNonRetriableError(error.message, { cause })
  }
  const broker = typeof details.broker === 'string' ? details.broker : typeof details.brokers === 'string' ? details.brokers : undefined
  if (code === 'LEADER_NOT_AVAILABLE' && broker !== undefined) return new KafkaJSConnectionError(error.message, { broker, cause })
  if (code === 'REQUEST_TIMED_OUT' && broker !== undefined) return new KafkaJSRequestTimeoutError(error.message, { broker, cause })
  const protocol = { message: error.message, type: kafkaJSType(code), code: error.errorCode, retriable: error.retriable }
  if (code === 'OFFSET_OUT_OF_RANGE') {
    const topic = typeof details.topic === 'string' ? details.topic : undefined
    const partition = typeof details.partition === 'number' ? details.partition : undefined
    return new KafkaJSOffsetOutOfRange(protocol, { topic, partition, cause })
  }
  return new KafkaJSProtocolError(protocol, { cause })
}

/**
 * afterRetries is toKafkaJSError for an operation that already retried: a retriable error
 * surfaces as KafkaJSNumberOfRetriesExceeded around its KafkaJS form, as KafkaJS's retrier does.
 */
export function afterRetries(error: unknown, retryCount: number): Error {
  const converted = toKafkaJSError(error)
  if (converted instanceof KafkaJSError && converted.retriable) return new KafkaJSNumberOfRetriesExceeded(converted, { retryCount })
  return converted
}

/** notImplemented is the error for a KafkaJS feature Tributary does not have (the TributaryError UNSUPPORTED_VERSION is its cause). */
export function notImplemented(what: string): KafkaJSError {
  return new KafkaJSNotImplemented(what, { cause: new TributaryError('UNSUPPORTED_VERSION', what) })
}

/** nonRetriable is the error for bad input found by the facade itself (INVALID_ARGUMENT is its cause). */
export function nonRetriable(message: string): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(message, { cause: new TributaryError('INVALID_ARGUMENT', message) })
}
