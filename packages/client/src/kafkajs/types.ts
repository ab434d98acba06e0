import type { ConnectionOptions } from 'node:tls'
import type { Tributary } from '../tributary'
import type { LogCreator, LogLevel } from './logger'

/**
 * The KafkaJS-shaped types of the facade: option names, string offsets and timestamps, and
 * payloads as KafkaJS 2.2.4 declares them. Fields Tributary cannot honour are still declared (a
 * KafkaJS program must compile unchanged); the README's table says what each one does here.
 */

/** RetryOptions are KafkaJS's retry settings (ms without a unit in the name, as in KafkaJS). */
export interface RetryOptions {
  maxRetryTime?: number
  initialRetryTime?: number
  factor?: number
  multiplier?: number
  retries?: number
  restartOnFailure?: (e: Error) => Promise<boolean>
}

/** SASLOptions are KafkaJS's SASL settings; Tributary passes them to a backend that supports them. */
export type SASLOptions =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'aws'; authorizationIdentity: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> }

/** BackendConnectOptions is what a `connect` backend receives to open one client's Tributary. */
export interface BackendConnectOptions {
  brokers: string[]
  clientId: string
  ssl?: ConnectionOptions | boolean
  sasl?: SASLOptions
  /** connectionTimeout, in ms. */
  connectTimeoutMs: number
  /** requestTimeout, in ms (undefined: the backend's default). */
  requestTimeoutMs?: number
  /** The client's maxInFlightRequests (undefined: the backend's default). */
  maxInFlightRequests?: number
  /** Which client asks: KafkaJS gives each its own connections. */
  client: 'producer' | 'consumer' | 'admin'
}

/**
 * KafkaConfig is `new Kafka(config)`. Exactly one of `tributary` (run on that Tributary, embedded or
 * connected) and `brokers` (open a connection per client with `connect`, by default
 * `Tributary.connect` to a Tributary cluster).
 */
export interface KafkaConfig {
  brokers?: string[] | (() => string[] | Promise<string[]>)
  /** A Tributary to run on (Tributary.open, or one already connected anywhere); the facade never closes it. */
  tributary?: Tributary
  /** How `brokers` are reached: returns a Tributary the facade closes on the client's disconnect. Default: Tributary.connect. */
  connect?: (options: BackendConnectOptions) => Promise<Tributary>
  ssl?: ConnectionOptions | boolean
  sasl?: SASLOptions
  clientId?: string
  connectionTimeout?: number
  authenticationTimeout?: number
  reauthenticationThreshold?: number
  requestTimeout?: number
  enforceRequestTimeout?: boolean
  retry?: RetryOptions
  socketFactory?: unknown
  logLevel?: LogLevel
  logCreator?: LogCreator
}

/** IHeaders are message headers, as KafkaJS takes and gives them. */
export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined
}

/** Message is one message to send; `timestamp` is a string of ms since the epoch. */
export interface Message {
  key?: Buffer | string | null
  value: Buffer | string | null
  partition?: number
  headers?: IHeaders
  timestamp?: string
}

/** PartitionMetadata is one partition as metadata and custom partitioners see it. */
export interface PartitionMetadata {
  partitionErrorCode: number
  partitionId: number
  leader: number
  replicas: number[]
  isr: number[]
  offlineReplicas?: number[]
}

/** PartitionerArgs is what a partitioner function receives per message. */
export interface PartitionerArgs {
  topic: string
  partitionMetadata: PartitionMetadata[]
  message: Message
}

/** ICustomPartitioner is KafkaJS's `createPartitioner`: it makes the per-producer partition function. */
export type ICustomPartitioner = () => (args: PartitionerArgs) => number

/** ProducerConfig is `kafka.producer(config)`. */
export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner
  retry?: RetryOptions
  metadataMaxAge?: number
  allowAutoTopicCreation?: boolean
  idempotent?: boolean
  transactionalId?: string
  transactionTimeout?: number
  maxInFlightRequests?: number
}

/** ProducerRecord is one `send`. `compression` is a CompressionTypes number. */
export interface ProducerRecord {
  topic: string
  messages: Message[]
  acks?: number
  timeout?: number
  compression?: number
}

/** TopicMessages are one topic's messages in a `sendBatch`. */
export interface TopicMessages {
  topic: string
  messages: Message[]
}

/** ProducerBatch is one `sendBatch`. */
export interface ProducerBatch {
  acks?: number
  timeout?: number
  compression?: number
  topicMessages?: TopicMessages[]
}

/** RecordMetadata is one partition's result of a send, offsets and times as strings. */
export interface RecordMetadata {
  topicName: string
  partition: number
  errorCode: number
  offset?: string
  timestamp?: string
  baseOffset?: string
  logAppendTime?: string
  logStartOffset?: string
}

/** KafkaMessage is one consumed message: offset and timestamp are strings. */
export interface KafkaMessage {
  key: Buffer | null
  value: Buffer | null
  timestamp: string
  attributes: number
  offset: string
  headers: IHeaders
  magicByte: number
  isControlRecord: boolean
  size?: never
}

/** Batch is one partition's fetched messages, as eachBatch receives it. */
export interface Batch {
  topic: string
  partition: number
  highWatermark: string
  messages: KafkaMessage[]
  isEmpty(): boolean
  firstOffset(): string | null
  lastOffset(): string
  offsetLag(): string
  offsetLagLow(): string
}

/** PartitionOffset is one partition's offset as a string. */
export interface PartitionOffset {
  partition: number
  offset: string
}

/** TopicOffsets are a topic's partition offsets. */
export interface TopicOffsets {
  topic: string
  partitions: PartitionOffset[]
}

/** Offsets are offsets by topic (eachBatch's commitOffsetsIfNecessary argument). */
export interface Offsets {
  topics: TopicOffsets[]
}

/** EachMessagePayload is what eachMessage receives. */
export interface EachMessagePayload {
  topic: string
  partition: number
  message: KafkaMessage
  heartbeat(): Promise<void>
  pause(): () => void
}

/** EachBatchPayload is what eachBatch receives. */
export interface EachBatchPayload {
  batch: Batch
  resolveOffset(offset: string): void
  heartbeat(): Promise<void>
  pause(): () => void
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>
  uncommittedOffsets(): { topics: TopicOffsets[] }
  isRunning(): boolean
  isStale(): boolean
}

/** ConsumerRunConfig is `consumer.run(config)`. `autoCommitInterval` is in ms. */
export interface ConsumerRunConfig {
  autoCommit?: boolean
  autoCommitInterval?: number | null
  autoCommitThreshold?: number | null
  eachBatchAutoResolve?: boolean
  partitionsConsumedConcurrently?: number
  eachBatch?: (payload: EachBatchPayload) => Promise<void>
  eachMessage?: (payload: EachMessagePayload) => Promise<void>
}

/** A subscription: one topic (deprecated in KafkaJS but supported) or several; names or RegExps. */
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean }
export type ConsumerSubscribeTopic = { topic: string | RegExp; fromBeginning?: boolean }

/** TopicPartitionOffsetAndMetadata is one offset to commit. */
export interface TopicPartitionOffsetAndMetadata {
  topic: string
  partition: number
  offset: string
  metadata?: string | null
}

/** MemberDescription is a group member as describeGroup(s) report it; metadata and assignment are Kafka's consumer protocol bytes. */
export interface MemberDescription {
  clientHost: string
  clientId: string
  memberId: string
  memberAssignment: Buffer
  memberMetadata: Buffer
}

/** GroupDescription is one group, as describeGroup(s) report it. */
export interface GroupDescription {
  errorCode?: number
  groupId: string
  members: MemberDescription[]
  protocol: string
  protocolType: string
  state: 'Unknown' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Empty'
}

/** InstrumentationEvent is what every event listener receives. */
export interface InstrumentationEvent<T> {
  /** A number, as KafkaJS's runtime gives it (its type declarations say string). */
  id: number
  type: string
  timestamp: number
  payload: T
}

/**
 * InstrumentationListener receives events. The event is typed loosely, as KafkaJS's own overloads
 * are wide: a listener typed for KafkaJS's declarations (whose `id` is a string, though KafkaJS
 * gives a number at run time, as the facade does) must be accepted unchanged.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; a narrower type would reject listeners typed with KafkaJS's declarations.
export type InstrumentationListener = (event: any) => void
