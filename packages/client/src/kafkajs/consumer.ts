import { TributaryError } from '@tributary/core'
import type { Consumer } from '../consumer/consumer'
import { ConsumerEvents as TributaryConsumerEvents } from '../events'
import { resolveConsumerOptions, type ConsumerOptions } from '../options'
import { toTributaryAssigners } from './assigners'
import type { ClientLease } from './backend'
import { mergeRetry, optionError, toTributaryRetry, warnIgnored, type FacadeContext } from './config'
import { KafkaJSError, KafkaJSNumberOfRetriesExceeded, nonRetriable, toKafkaJSError } from './errors'
import { ConsumerEvents, InstrumentationEmitter } from './events'
import { toRunOptions } from './run-options'
import type { Logger } from './logger'
import { parseOffset } from './offsets'
import { stringOffsets, toKafkaBatchEvent, toKafkaGroup } from './payloads'
import type {
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  GroupDescription,
  InstrumentationListener,
  Offsets,
  RetryOptions,
  TopicPartitionOffsetAndMetadata,
} from './types'

/** ConsumerConfig is `kafka.consumer(config)`, with KafkaJS's names and defaults. */
export interface ConsumerConfig {
  groupId: string
  partitionAssigners?: unknown[]
  metadataMaxAge?: number
  sessionTimeout?: number
  rebalanceTimeout?: number
  heartbeatInterval?: number
  maxBytesPerPartition?: number
  minBytes?: number
  maxBytes?: number
  maxWaitTimeInMs?: number
  retry?: RetryOptions
  allowAutoTopicCreation?: boolean
  maxInFlightRequests?: number
  readUncommitted?: boolean
  rackId?: string
}

type TopicPartitions = Array<{ topic: string; partitions?: number[] }>

const NOT_RUNNING = 'Consumer group was not initialized, consumer#run must be called first'

/**
 * KafkaConsumer is `kafka.consumer()`: KafkaJS's consumer on a Tributary consumer. Options, checks,
 * payloads, events, crash restarts and errors follow KafkaJS; group membership, fetching and
 * commits are Tributary's (heartbeats on their own timer, at-least-once commits).
 */
export class KafkaConsumer {
  /** events names what `on()` accepts. */
  readonly events = ConsumerEvents
  private readonly log: Logger
  private readonly runnerLog: Logger
  private readonly emitter: InstrumentationEmitter<typeof ConsumerEvents>
  private readonly options: ConsumerOptions
  private readonly retries: number
  private readonly maxInFlightRequests: number | undefined
  private readonly subscriptions: Array<{ topics: Array<string | RegExp>; fromBeginning: boolean }> = []
  /** The KafkaJS error each crash was reported as, so restartOnFailure and the crash event see the same one. */
  private readonly crashErrors = new WeakMap<Error, Error>()
  private lease: ClientLease | null = null
  private consumer: Consumer | null = null
  private connecting: Promise<Consumer> | null = null
  private running = false

  /** Use `kafka.consumer(config)`. Throws KafkaJSNonRetriableError for a missing groupId or bad options. */
  constructor(
    private readonly ctx: FacadeContext,
    config: ConsumerConfig,
  ) {
    this.log = ctx.logger.namespace('Consumer')
    this.runnerLog = ctx.logger.namespace('Runner')
    this.emitter = new InstrumentationEmitter(ConsumerEvents, 'consumer', this.log)
    const c = config ?? ({} as ConsumerConfig)
    if (typeof c.groupId !== 'string' || c.groupId === '') throw nonRetriable('Consumer groupId must be a non-empty string.')
    const sessionTimeout = c.sessionTimeout ?? 30_000
    const heartbeatInterval = c.heartbeatInterval ?? 3_000
    if (heartbeatInterval >= sessionTimeout) {
      throw nonRetriable(
        `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
      )
    }
    const retry = mergeRetry(ctx.retry, c.retry ?? { retries: 5 })
    this.retries = retry.retries
    this.maxInFlightRequests = c.maxInFlightRequests ?? undefined
    const userRestart = retry.restartOnFailure
    this.options = {
      groupId: c.groupId,
      clientId: ctx.clientId,
      sessionTimeoutMs: sessionTimeout,
      heartbeatIntervalMs: heartbeatInterval,
      rebalanceTimeoutMs: c.rebalanceTimeout ?? 60_000,
      maxBytesPerPartition: c.maxBytesPerPartition ?? 1_048_576,
      minBytes: c.minBytes ?? 1,
      maxBytes: c.maxBytes ?? 10_485_760,
      maxWaitMs: c.maxWaitTimeInMs ?? 5_000,
      allowAutoTopicCreation: c.allowAutoTopicCreation ?? true,
      metadataMaxAgeMs: c.metadataMaxAge ?? 300_000,
      autoOffsetReset: 'latest',
      partitionAssigners: toTributaryAssigners(c.partitionAssigners),
      retry: { ...toTributaryRetry(retry), restartOnFailure: (error) => this.shouldRestart(error, userRestart) },
    }
    try {
      resolveConsumerOptions(this.options)
    } catch (error) {
      throw optionError(error)
    }
    warnIgnored(this.log, 'Consumer', { rackId: c.rackId || undefined }, ['rackId'], 'Tributary fetches from partition leaders only')
  }

  /** connect opens this consumer's Tributary and emits consumer.connect. */
  async connect(): Promise<void> {
    await this.ensureConnected()
    this.emitter.emit(ConsumerEvents.CONNECT)
  }

  /** disconnect stops the consumer (commit, leave the group), closes its Tributary if it owns one and emits consumer.disconnect. */
  async disconnect(): Promise<void> {
    await this.stop()
    const consumer = this.consumer
    const lease = this.lease
    this.consumer = null
    this.lease = null
    this.connecting = null
    try {
      await consumer?.disconnect()
      await lease?.release()
    } catch (error) {
      this.log.error(`Caught error when disconnecting the consumer: ${(error as Error).message}`, { groupId: this.options.groupId })
      throw toKafkaJSError(error)
    }
    this.emitter.emit(ConsumerEvents.DISCONNECT)
  }

  /**
   * subscribe adds topics, `{ topic }` or `{ topics }`, names or RegExps (matched against the
   * topics that exist now); `fromBeginning` (default false) says where partitions without a
   * committed offset start. Throws KafkaJSNonRetriableError while running or for a bad argument.
   */
  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.running) throw nonRetriable('Cannot subscribe to topic while consumer is running')
    const { topic, topics, fromBeginning = false } = (subscription ?? {}) as Partial<ConsumerSubscribeTopic & ConsumerSubscribeTopics>
    if (!topic && !topics) throw nonRetriable('Missing required argument "topics"')
    if (topics !== undefined && topics !== null && !Array.isArray(topics)) throw nonRetriable('Argument "topics" must be an array')
    const list = (topics ?? [topic]) as Array<string | RegExp>
    for (const t of list) {
      if (typeof t !== 'string' && !(t instanceof RegExp)) {
        throw nonRetriable(`Invalid topic ${String(t)} (${typeof t}), the topic name has to be a String or a RegExp`)
      }
    }
    const consumer = await this.ensureConnected()
    try {
      await consumer.subscribe({ topics: list, fromBeginning })
    } catch (error) {
      throw toKafkaJSError(error)
    }
    this.subscriptions.push({ topics: list, fromBeginning })
  }

  /**
   * run joins the group and starts handing messages to `eachBatch` (if given) or `eachMessage`; it
   * resolves once the first assignment is in place. A second call while running is logged and ignored, as in KafkaJS.
   */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.running) {
      this.log.warn('consumer#run was called, but the consumer is already running', { groupId: this.options.groupId })
      return
    }
    const options = toRunOptions(config, this.runnerLog, (offsets) => this.commitTopicOffsets(offsets))
    const consumer = await this.ensureConnected()
    this.log.info('Starting', { groupId: this.options.groupId })
    this.running = true
    try {
      await consumer.run(options)
    } catch (error) {
      this.running = false
      throw toKafkaJSError(error)
    }
  }

  /** stop stops consuming: handlers finish their current message, handled offsets are committed, the member leaves. */
  async stop(): Promise<void> {
    const wasRunning = this.running
    this.running = false
    try {
      await this.consumer?.stop()
    } catch (error) {
      throw toKafkaJSError(error)
    }
    if (wasRunning) this.log.info('Stopped', { groupId: this.options.groupId })
  }

  /** commitOffsets commits explicit offsets (strings, each the next offset to read). Needs run(). */
  async commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[] = []): Promise<void> {
    const offsets = topicPartitions.map(({ topic, partition, offset, metadata = null }) => {
      if (!topic) throw nonRetriable(`Invalid topic ${topic}`)
      if (!Number.isInteger(partition)) throw nonRetriable(`Invalid partition, expected a number received ${partition}`)
      if (metadata !== null && typeof metadata !== 'string')
        throw nonRetriable(`Invalid offset metadata, expected string or null, received ${String(metadata)}`)
      return { topic, partition, offset: parseOffset(offset, 'offset'), metadata }
    })
    const consumer = this.runningConsumer()
    try {
      await consumer.commitOffsets(offsets)
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  /**
   * seek moves a partition to `offset` (a string; '-1' the log end, '-2' the log start). Needs
   * run(); a partition not assigned yet is moved when it is. Throws KafkaJSNonRetriableError.
   */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    if (!topic) throw nonRetriable(`Invalid topic ${topic}`)
    if (!Number.isInteger(partition)) throw nonRetriable(`Invalid partition, expected a number received ${partition}`)
    const target = parseOffset(offset, 'offset', true)
    const consumer = this.runningConsumer()
    if (target >= 0) {
      consumer.seek({ topic, partition, offset: target })
      return
    }
    // The log end or start is looked up first; KafkaJS's seek returns at once too.
    const broker = (this.lease as ClientLease).tb.broker
    broker
      .listOffsets([{ topic, partition, timestamp: target }])
      .then(([found]) => {
        if (found?.error) throw found.error
        if (found && this.consumer === consumer && this.running) consumer.seek({ topic, partition, offset: found.offset })
      })
      .catch((error: unknown) => this.log.error(`Seek to offset ${offset} failed: ${(error as Error).message}`, { topic, partition }))
  }

  /** pause stops fetching the named partitions (all of a topic without `partitions`). Needs run(). */
  pause(topicPartitions: TopicPartitions = []): void {
    checkTopicPartitions(topicPartitions, 'pause')
    this.runningConsumer().pause(topicPartitions)
  }

  /** resume undoes pause. Needs run(). */
  resume(topicPartitions: TopicPartitions = []): void {
    checkTopicPartitions(topicPartitions, 'resume')
    this.runningConsumer().resume(topicPartitions)
  }

  /** paused lists the paused partitions ([] when not running). */
  paused(): Array<{ topic: string; partitions: number[] }> {
    return this.running && this.consumer ? this.consumer.paused() : []
  }

  /** describeGroup describes this consumer's group as KafkaJS does (member metadata and assignment as protocol bytes). */
  async describeGroup(): Promise<GroupDescription> {
    const consumer = await this.ensureConnected()
    try {
      return toKafkaGroup(await consumer.describeGroup())
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  /** on registers an instrumentation listener and returns its remover. */
  on(eventName: (typeof ConsumerEvents)[keyof typeof ConsumerEvents], listener: InstrumentationListener): () => void {
    return this.emitter.on(eventName, listener)
  }

  /** logger is this consumer's logger (namespace 'Consumer'). */
  logger(): Logger {
    return this.log
  }

  // ---- internals --------------------------------------------------------------------------------

  private runningConsumer(): Consumer {
    if (!this.running || this.consumer === null) throw nonRetriable(NOT_RUNNING)
    return this.consumer
  }

  /** ensureConnected opens the Tributary consumer once (KafkaJS connects lazily too) and replays earlier subscriptions after a reconnect. */
  private ensureConnected(): Promise<Consumer> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = null
      throw toKafkaJSError(error)
    })
    return this.connecting
  }

  private async open(): Promise<Consumer> {
    const lease = await this.ctx.backend.open('consumer', this.maxInFlightRequests)
    const consumer = lease.tb.consumer(this.options)
    this.lease = lease
    this.consumer = consumer
    this.forwardEvents(consumer, lease)
    for (const s of this.subscriptions) await consumer.subscribe(s)
    return consumer
  }

  private commitTopicOffsets(offsets: Offsets): Promise<void> {
    return this.commitOffsets(offsets.topics.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, ...p }))))
  }

  /**
   * shouldRestart is KafkaJS's crash rule: restart only when the failure is retriable (or retries
   * ran out), and then as `retry.restartOnFailure` says (a throwing callback means restart).
   */
  private async shouldRestart(error: Error, userRestart: RetryOptions['restartOnFailure']): Promise<boolean> {
    const crash = this.crashError(error)
    this.log.error(`Crash: ${crash.name}: ${crash.message}`, {
      groupId: this.options.groupId,
      retryCount: this.retries,
      stack: crash.stack,
    })
    let root: unknown = crash
    while (root instanceof Error && root.cause !== undefined) root = root.cause
    const retriable = crash.name === 'KafkaJSNumberOfRetriesExceeded' || (root as { retriable?: unknown }).retriable === true
    if (!retriable) return false
    if (!userRestart) return true
    try {
      return await userRestart(crash)
    } catch (e) {
      this.log.error('Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.', {
        error: (e as Error)?.message ?? e,
        cause: crash.message,
        groupId: this.options.groupId,
      })
      return true
    }
  }

  /** crashError is how KafkaJS reports a crash: a handler's error after its retries as KafkaJSNumberOfRetriesExceeded. */
  private crashError(error: Error): Error {
    const known = this.crashErrors.get(error)
    if (known) return known
    const passThrough = error instanceof TributaryError || (error instanceof KafkaJSError && !error.retriable)
    const crash = passThrough ? toKafkaJSError(error) : new KafkaJSNumberOfRetriesExceeded(error, { retryCount: this.retries })
    this.crashErrors.set(error, crash)
    return crash
  }

  /** forwardEvents re-emits the Tributary consumer's events with KafkaJS's payloads, and logs what KafkaJS logs. */
  private forwardEvents(consumer: Consumer, lease: ClientLease): void {
    const T = TributaryConsumerEvents
    const K = ConsumerEvents
    const nodeId = lease.tb.broker.nodeId
    // biome-ignore lint/suspicious/noExplicitAny: Tributary's event payloads are typed only where they are emitted.
    const forward = (from: (typeof T)[keyof typeof T], to: (typeof K)[keyof typeof K], map: (p: any) => unknown) =>
      consumer.on(from, (e) => this.emitter.emit(to, map(e.payload)))
    forward(T.HEARTBEAT, K.HEARTBEAT, (p) => p)
    forward(T.COMMIT_OFFSETS, K.COMMIT_OFFSETS, (p) => ({ ...p, topics: stringOffsets(p).topics }))
    forward(T.FETCH_START, K.FETCH_START, () => ({ nodeId }))
    forward(T.FETCH, K.FETCH, (p) => ({ numberOfBatches: p.numberOfBatches, duration: p.duration, nodeId }))
    forward(T.START_BATCH_PROCESS, K.START_BATCH_PROCESS, toKafkaBatchEvent)
    forward(T.END_BATCH_PROCESS, K.END_BATCH_PROCESS, toKafkaBatchEvent)
    forward(T.STOP, K.STOP, () => undefined)
    forward(T.GROUP_JOIN, K.GROUP_JOIN, (p) => {
      const { duration, groupId, isLeader, leaderId, groupProtocol, memberId, memberAssignment } = p
      this.runnerLog.info('Consumer has joined the group', {
        groupId,
        memberId,
        leaderId,
        isLeader,
        memberAssignment,
        groupProtocol,
        duration,
      })
      return { duration, groupId, isLeader, leaderId, groupProtocol, memberId, memberAssignment }
    })
    forward(T.REBALANCING, K.REBALANCING, (p) => {
      this.runnerLog.error('The group is rebalancing, re-joining', { groupId: p.groupId, memberId: p.memberId })
      return { groupId: p.groupId, memberId: p.memberId }
    })
    forward(T.CRASH, K.CRASH, (p) => {
      if (!p.restart) this.running = false
      else this.log.error('Restarting the consumer', { groupId: this.options.groupId })
      return { error: this.crashError(p.error), groupId: p.groupId, restart: p.restart }
    })
  }
}

function checkTopicPartitions(topicPartitions: TopicPartitions, what: string): void {
  for (const tp of topicPartitions) {
    if (!tp?.topic) throw nonRetriable(`Invalid topic ${tp?.topic || String(tp)}`)
    if (tp.partitions !== undefined && (!Array.isArray(tp.partitions) || tp.partitions.some((p) => !Number.isInteger(p)))) {
      throw nonRetriable(`Array of valid partitions required to ${what} specific partitions instead of ${String(tp.partitions)}`)
    }
  }
}
