import { MAX_TIMER_MS, checkBool, checkInt, checkNumber, checkObject, checkOneOf, invalidConfig } from '@tributary/core/internal'
import {
  TributaryError,
  isLogLevel,
  isLoggerInput,
  resolveLogger,
  toCompressionType,
  type Acks,
  type Broker,
  type Clock,
  type CompressionId,
  type CompressionType,
  type Logger,
  type LoggerInput,
  type LogLevel,
  type Storage,
} from '@tributary/core'
import type { LocalBrokerOptions } from '@tributary/core'
import type { PartitionAssigner } from './assignors'

/**
 * Options of every client, resolved in one place: each interface documents its fields with unit
 * and default, each `DEFAULTS` object is frozen, and each `resolveX()` merges, range-checks,
 * rejects unknown keys and throws INVALID_CONFIG whose `details.path` names the bad option
 * (e.g. `consumer.sessionTimeoutMs`). Below the constructors only resolved objects travel.
 */

/** RetryOptions shape the exponential backoff of retried operations. */
export interface RetryOptions {
  /** Attempts after the first one. Default 5. */
  retries?: number
  /** Wait before the first retry, in ms. Default 300 (producer: 100). */
  initialRetryTimeMs?: number
  /** Upper bound on one wait, in ms. Default 30000 (producer: 1000). */
  maxRetryTimeMs?: number
  /** Growth of the wait per attempt. Default 2. */
  multiplier?: number
  /** Random jitter, as a fraction of the wait (±). Default 0.2. */
  factor?: number
}

/** ConsumerRetryOptions add what a consumer does once a handler's retries are exhausted. */
export interface ConsumerRetryOptions extends RetryOptions {
  /** Called with the error after a crash; resolve true to restart from the committed offsets, false to stop. Default: always restart. */
  restartOnFailure?: (error: Error) => Promise<boolean>
}

export type ResolvedRetry = Required<RetryOptions>
export type ResolvedConsumerRetry = Required<ConsumerRetryOptions>

/** BrokerOptions are the LocalBroker settings `Tributary.open` passes on when it opens the broker itself. */
export type BrokerOptions = Omit<LocalBrokerOptions, 'storage' | 'clock'>

/** TributaryOptions choose where data lives. At most one of `dir`, `storage`, `broker`. */
export interface TributaryOptions {
  /** Directory for the on-disk default (file storage). */
  dir?: string
  /** Any Storage; Tributary opens a LocalBroker over it and closes both on `close()`. */
  storage?: Storage
  /** Any Broker (local, cluster node, remote). Tributary does not close a broker it did not open. */
  broker?: Broker
  /** Settings for the LocalBroker Tributary opens (not with `broker`). */
  brokerOptions?: BrokerOptions
  /** Time source for timers (linger, heartbeats, backoff). Default the system clock. */
  clock?: Clock
  /** Name reported to the group coordinator. Default 'tributary'. */
  clientId?: string
  /**
   * Where this Tributary's log lines go (handler failures and retries, rebalances and assignments,
   * storage recovery): a Tributary-shaped, pino-style or KafkaJS logCreator logger, used as it is.
   * Default: lines at `logLevel` and above on stderr.
   */
  logger?: LoggerInput
  /** The least severe level logged: 'error', 'warn', 'info' or 'debug'. Default 'warn' (every level for a given logger). */
  logLevel?: LogLevel
}

/** ProducerOptions configure `tb.producer()`. */
export interface ProducerOptions {
  /** Default durability: 0, 1, -1 or 'all'. Default 'all'. */
  acks?: Acks | 'all'
  /** Idempotent delivery: a producer id and per-partition sequences so retries never duplicate. Default true. */
  idempotent?: boolean
  /** How long a batch waits for more messages, in ms. Default 0 (calls in the same tick still share a batch). */
  lingerMs?: number
  /** Target size of one partition's batch, in bytes of encoded records; a full batch is sent at once. Default 16384. */
  batchSizeBytes?: number
  /** Most bytes of messages waiting to be sent; `send` waits for room beyond it. Default 33554432 (32 MiB). */
  maxBufferedBytes?: number
  /**
   * Default compression of batches: 'none', 'gzip', 'snappy', 'lz4' or 'zstd', or Kafka's id
   * (`CompressionTypes.gzip` is 1). All five are built in. Default 'none'.
   */
  compression?: CompressionType | CompressionId
  /** Create unknown topics on first send. Default true. */
  allowAutoTopicCreation?: boolean
  /** How long the broker may take to reach `acks`, in ms. Default 30000. */
  timeoutMs?: number
  /** Cached topic metadata is refreshed after this age, in ms. Default 300000. */
  metadataMaxAgeMs?: number
  /** Backoff for retriable produce errors. Default { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 }. */
  retry?: RetryOptions
}

export type ResolvedProducerOptions = Required<Omit<ProducerOptions, 'retry' | 'acks' | 'compression'>> & {
  acks: Acks
  compression: CompressionType
  retry: ResolvedRetry
}

/** AssignerRef names a built-in assignor ('range', 'roundRobin', 'sticky') or is one. */
export type AssignerRef = string | PartitionAssigner

/** OffsetReset says where a group with no valid committed offset starts. */
export type OffsetReset = 'earliest' | 'latest' | 'none'

/** ConsumerOptions configure `tb.consumer()`. */
export interface ConsumerOptions {
  /** The consumer group. Required. */
  groupId: string
  /** The coordinator evicts a member not heard from for this long, in ms. Default 30000. */
  sessionTimeoutMs?: number
  /** Heartbeat period, in ms; must be below sessionTimeoutMs. Default 3000. */
  heartbeatIntervalMs?: number
  /** How long the coordinator waits for members to rejoin in a rebalance, in ms. Default 60000. */
  rebalanceTimeoutMs?: number
  /** Assignors in order of preference. Default ['range', 'sticky'] (as Java's [Range, CooperativeSticky], eager here). */
  partitionAssigners?: AssignerRef[]
  /** Start for partitions without a committed offset; `subscribe({ fromBeginning })` overrides. Default 'latest'. */
  autoOffsetReset?: OffsetReset
  /** Most bytes fetched per partition per request (an integer ≥ 1, else INVALID_ARGUMENT). Default 1048576 (1 MiB). */
  maxBytesPerPartition?: number
  /** Most bytes fetched per request, also bounding prefetched data (an integer ≥ 1, else INVALID_ARGUMENT). Default 10485760 (10 MiB). */
  maxBytes?: number
  /** Least bytes a fetch waits for. Default 1. */
  minBytes?: number
  /** Longest a fetch waits for data, in ms (stop and rebalances cut it short). Default 5000. */
  maxWaitMs?: number
  /** Static membership id (KIP-345): a restart within the session timeout keeps the assignment. Default null. */
  groupInstanceId?: string | null
  /** Client id this member reports to the group coordinator (describeGroups shows it). Default: the Tributary's clientId. */
  clientId?: string | null
  /** Create unknown subscribed topics. Default true. */
  allowAutoTopicCreation?: boolean
  /**
   * How often the group leader reads the subscribed topics' partition counts again, in ms; when
   * one changed it rejoins so that the group is rebalanced (sooner, on the retry backoff, while a
   * subscribed topic is unknown). Default 300000.
   */
  metadataMaxAgeMs?: number
  /** Backoff for failed handlers and retriable errors. Default { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30000 }. */
  retry?: ConsumerRetryOptions
}

export type ResolvedConsumerOptions = Required<Omit<ConsumerOptions, 'retry' | 'groupInstanceId' | 'clientId'>> & {
  groupInstanceId: string | null
  clientId: string | null
  retry: ResolvedConsumerRetry
}

export const RETRY_DEFAULTS: Readonly<ResolvedRetry> = Object.freeze({
  retries: 5,
  initialRetryTimeMs: 300,
  maxRetryTimeMs: 30_000,
  multiplier: 2,
  factor: 0.2,
})

export const PRODUCER_DEFAULTS = Object.freeze({
  acks: -1 as Acks,
  idempotent: true,
  lingerMs: 0,
  batchSizeBytes: 16_384,
  maxBufferedBytes: 33_554_432,
  compression: 'none' as CompressionType,
  allowAutoTopicCreation: true,
  timeoutMs: 30_000,
  metadataMaxAgeMs: 300_000,
  retry: Object.freeze({ ...RETRY_DEFAULTS, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 }),
})

export const CONSUMER_DEFAULTS = Object.freeze({
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  partitionAssigners: Object.freeze(['range', 'sticky']) as readonly AssignerRef[],
  autoOffsetReset: 'latest' as OffsetReset,
  maxBytesPerPartition: 1_048_576,
  maxBytes: 10_485_760,
  minBytes: 1,
  maxWaitMs: 5_000,
  groupInstanceId: null,
  clientId: null,
  allowAutoTopicCreation: true,
  metadataMaxAgeMs: 300_000,
  retry: Object.freeze({ ...RETRY_DEFAULTS, restartOnFailure: async () => true }),
})

/** normalizeAcks maps 'all' to -1 and rejects anything but 0, 1, -1 with INVALID_REQUIRED_ACKS. */
export function normalizeAcks(value: unknown, path: string): Acks {
  if (value === 'all' || value === -1) return -1
  if (value === 0 || value === 1) return value
  throw new TributaryError('INVALID_REQUIRED_ACKS', `${path} must be 0, 1, -1 or 'all', got ${String(value)}`, { details: { path } })
}

/** resolveRetry merges and checks retry options. */
export function resolveRetry(value: unknown, path: string, defaults: ResolvedRetry): ResolvedRetry {
  const o = checkObject(value, path, Object.keys(RETRY_DEFAULTS))
  const r = { ...defaults, ...o }
  checkInt(r.retries, `${path}.retries`, 0)
  checkInt(r.initialRetryTimeMs, `${path}.initialRetryTimeMs`, 0, MAX_TIMER_MS)
  checkInt(r.maxRetryTimeMs, `${path}.maxRetryTimeMs`, r.initialRetryTimeMs, MAX_TIMER_MS)
  checkNumber(r.multiplier, `${path}.multiplier`, 1, 100)
  checkNumber(r.factor, `${path}.factor`, 0, 1)
  return r
}

/** resolveProducerOptions applies defaults to `tb.producer()` options. Throws INVALID_CONFIG / INVALID_REQUIRED_ACKS. */
export function resolveProducerOptions(options: ProducerOptions | undefined): ResolvedProducerOptions {
  const o = checkObject(options, 'producer', Object.keys(PRODUCER_DEFAULTS))
  const r = { ...PRODUCER_DEFAULTS, ...o } as ResolvedProducerOptions & { acks: unknown; compression: unknown }
  r.acks = normalizeAcks(r.acks, 'producer.acks')
  r.compression = toCompressionType(r.compression, 'producer.compression')
  checkBool(r.idempotent, 'producer.idempotent')
  checkInt(r.lingerMs, 'producer.lingerMs', 0, MAX_TIMER_MS)
  checkInt(r.batchSizeBytes, 'producer.batchSizeBytes', 1)
  checkInt(r.maxBufferedBytes, 'producer.maxBufferedBytes', r.batchSizeBytes)
  checkBool(r.allowAutoTopicCreation, 'producer.allowAutoTopicCreation')
  checkInt(r.timeoutMs, 'producer.timeoutMs', 0, MAX_TIMER_MS)
  checkInt(r.metadataMaxAgeMs, 'producer.metadataMaxAgeMs', 0, MAX_TIMER_MS)
  r.retry = resolveRetry(o.retry, 'producer.retry', PRODUCER_DEFAULTS.retry)
  return r as ResolvedProducerOptions
}

/**
 * checkFetchBytes checks a consumer's fetch byte budget. Like the broker's fetch (whose maxBytes
 * it becomes), a budget that is not a positive integer is INVALID_ARGUMENT (naming the option in
 * `details.path`), not INVALID_CONFIG: the same value gets the same error wherever it is given.
 */
function checkFetchBytes(value: unknown, path: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new TributaryError('INVALID_ARGUMENT', `${path} must be an integer ≥ 1 (bytes), got ${String(value)}`, { details: { path } })
}

/** resolveConsumerOptions applies defaults to `tb.consumer()` options. Throws INVALID_CONFIG. */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const o = checkObject(options, 'consumer', ['groupId', ...Object.keys(CONSUMER_DEFAULTS)])
  const r = { ...CONSUMER_DEFAULTS, ...o } as unknown as ResolvedConsumerOptions
  if (typeof r.groupId !== 'string' || r.groupId.length === 0) throw invalidConfig('consumer.groupId', 'is required (a non-empty string)')
  checkInt(r.sessionTimeoutMs, 'consumer.sessionTimeoutMs', 1, MAX_TIMER_MS)
  checkInt(r.heartbeatIntervalMs, 'consumer.heartbeatIntervalMs', 1, MAX_TIMER_MS)
  if (r.heartbeatIntervalMs >= r.sessionTimeoutMs) throw invalidConfig('consumer.heartbeatIntervalMs', 'must be below sessionTimeoutMs')
  checkInt(r.rebalanceTimeoutMs, 'consumer.rebalanceTimeoutMs', 1, MAX_TIMER_MS)
  if (!Array.isArray(r.partitionAssigners) || r.partitionAssigners.length === 0) {
    throw invalidConfig('consumer.partitionAssigners', 'must be a non-empty array')
  }
  checkOneOf(r.autoOffsetReset, 'consumer.autoOffsetReset', ['earliest', 'latest', 'none'])
  checkFetchBytes(r.maxBytesPerPartition, 'consumer.maxBytesPerPartition')
  checkFetchBytes(r.maxBytes, 'consumer.maxBytes')
  checkInt(r.minBytes, 'consumer.minBytes', 1)
  checkInt(r.maxWaitMs, 'consumer.maxWaitMs', 0, MAX_TIMER_MS)
  if (r.groupInstanceId !== null && (typeof r.groupInstanceId !== 'string' || r.groupInstanceId.length === 0)) {
    throw invalidConfig('consumer.groupInstanceId', 'must be a non-empty string or null')
  }
  if (r.clientId !== null && (typeof r.clientId !== 'string' || r.clientId.length === 0)) {
    throw invalidConfig('consumer.clientId', 'must be a non-empty string or null')
  }
  checkBool(r.allowAutoTopicCreation, 'consumer.allowAutoTopicCreation')
  checkInt(r.metadataMaxAgeMs, 'consumer.metadataMaxAgeMs', 0, MAX_TIMER_MS)
  const retryIn = checkObject(o.retry, 'consumer.retry', [...Object.keys(RETRY_DEFAULTS), 'restartOnFailure'])
  const { restartOnFailure, ...backoff } = retryIn
  if (restartOnFailure !== undefined && typeof restartOnFailure !== 'function') {
    throw invalidConfig('consumer.retry.restartOnFailure', 'must be a function')
  }
  r.retry = {
    ...resolveRetry(backoff, 'consumer.retry', CONSUMER_DEFAULTS.retry),
    restartOnFailure: (restartOnFailure as ResolvedConsumerRetry['restartOnFailure']) ?? CONSUMER_DEFAULTS.retry.restartOnFailure,
  }
  return r
}

/** ResolvedTributaryOptions are the entry point's options after checking. */
export type ResolvedTributaryOptions = Omit<TributaryOptions, 'clientId' | 'logger' | 'logLevel'> & { clientId: string; logger: Logger }

/** resolveTributaryOptions checks `Tributary.open()` options. Throws INVALID_CONFIG. */
export function resolveTributaryOptions(options: TributaryOptions | undefined): ResolvedTributaryOptions {
  const o = checkObject(options, 'tributary', [
    'dir',
    'storage',
    'broker',
    'brokerOptions',
    'clock',
    'clientId',
    'logger',
    'logLevel',
  ]) as TributaryOptions
  const sources = (['dir', 'storage', 'broker'] as const).filter((k) => o[k] !== undefined)
  if (sources.length > 1) throw invalidConfig(`tributary.${sources[1]}`, `cannot be combined with ${sources[0]}`)
  if (o.dir !== undefined && (typeof o.dir !== 'string' || o.dir.length === 0))
    throw invalidConfig('tributary.dir', 'must be a non-empty string')
  if (o.storage !== undefined && typeof o.storage?.partitionLog !== 'function')
    throw invalidConfig('tributary.storage', 'must be a Storage')
  if (o.broker !== undefined && typeof o.broker?.produce !== 'function') throw invalidConfig('tributary.broker', 'must be a Broker')
  if (o.broker !== undefined && o.brokerOptions !== undefined)
    throw invalidConfig('tributary.brokerOptions', 'cannot be combined with broker')
  if (o.clock !== undefined && (typeof o.clock?.now !== 'function' || typeof o.clock.setTimeout !== 'function')) {
    throw invalidConfig('tributary.clock', 'must be a Clock')
  }
  const clientId = o.clientId ?? 'tributary'
  if (typeof clientId !== 'string' || clientId.length === 0) throw invalidConfig('tributary.clientId', 'must be a non-empty string')
  return { ...o, clientId, logger: checkLogger(o, 'tributary') }
}

/**
 * checkLogger checks and resolves a `{ logger, logLevel }` pair (see core's resolveLogger).
 * @throws TributaryError INVALID_CONFIG naming `<path>.logger` or `<path>.logLevel`.
 */
export function checkLogger(o: { logger?: unknown; logLevel?: unknown }, path: string): Logger {
  if (o.logLevel !== undefined && !isLogLevel(o.logLevel))
    throw invalidConfig(`${path}.logLevel`, "must be 'error', 'warn', 'info' or 'debug'")
  if (o.logger !== undefined && !isLoggerInput(o.logger))
    throw invalidConfig(`${path}.logger`, 'must have error, warn, info and debug methods, or be a KafkaJS logCreator')
  return resolveLogger({ logger: o.logger as LoggerInput | undefined, logLevel: o.logLevel as LogLevel | undefined })
}

export { checkBool, checkInt, checkObject, invalidConfig }
