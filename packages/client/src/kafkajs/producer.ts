import type { Message as TributaryMessage, RecordMetadata as TributaryRecordMetadata } from '@tributary/core'
import { resolveProducerOptions, type ProducerOptions } from '../options'
import type { Producer } from '../producer/producer'
import type { ClientLease } from './backend'
import { compressionFor } from './compression'
import { mergeRetry, optionError, toTributaryRetry, type FacadeContext } from './config'
import { KafkaJSError, KafkaJSNonRetriableError, afterRetries, nonRetriable, notImplemented, toKafkaJSError } from './errors'
import { InstrumentationEmitter, ProducerEvents } from './events'
import type { Logger } from './logger'
import { parseTimestamp } from './offsets'
import { usesTributaryPlacement } from './partitioners'
import type {
  InstrumentationListener,
  Message,
  PartitionMetadata,
  PartitionerArgs,
  ProducerBatch,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
} from './types'

type Status = 'disconnected' | 'connected' | 'disconnecting'

/** KafkaJS's default metadataMaxAge, in ms. */
const DEFAULT_METADATA_MAX_AGE_MS = 300_000

/**
 * KafkaProducer is `kafka.producer()`: KafkaJS's producer on a Tributary producer. Sends are
 * checked as KafkaJS checks them, messages translated (string timestamps), partitions chosen by
 * the configured partitioner, and results and errors given back in KafkaJS's shapes.
 */
export class KafkaProducer {
  /** events names what `on()` accepts. */
  readonly events = ProducerEvents
  private readonly log: Logger
  private readonly emitter: InstrumentationEmitter<typeof ProducerEvents>
  private readonly options: ProducerOptions
  private readonly idempotent: boolean
  private readonly retries: number
  private readonly maxInFlightRequests: number | undefined
  private readonly metadataMaxAgeMs: number
  /** The partition function of a createPartitioner other than the default (null: Tributary places messages). */
  private readonly partition: ((args: PartitionerArgs) => number) | null
  private readonly metadata = new Map<string, { atMs: number; partitions: PartitionMetadata[] }>()
  private status: Status = 'disconnected'
  private lease: ClientLease | null = null
  private producer: Producer | null = null

  /** Use `kafka.producer(config)`. Throws KafkaJSNotImplemented for transactionalId, KafkaJSNonRetriableError for bad options. */
  constructor(
    private readonly ctx: FacadeContext,
    config: ProducerConfig = {},
  ) {
    this.log = ctx.logger.namespace('Producer')
    this.emitter = new InstrumentationEmitter(ProducerEvents, 'producer', this.log)
    if (config.transactionalId !== undefined && config.transactionalId !== null) {
      throw notImplemented(
        `transactionalId '${config.transactionalId}': Tributary has no transactions yet; use an idempotent producer ` +
          '(idempotent: true) for exactly-once delivery per partition, or drop transactionalId',
      )
    }
    const retry = mergeRetry(ctx.retry, config.retry)
    this.idempotent = config.idempotent === true
    if (this.idempotent && retry.retries < 1)
      throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors')
    if (this.idempotent && config.retry?.retries !== undefined && config.retry.retries < Number.MAX_SAFE_INTEGER) {
      this.log.warn('Limiting retries for the idempotent producer may invalidate EoS guarantees')
    }
    this.retries = retry.retries
    this.maxInFlightRequests = config.maxInFlightRequests ?? undefined
    this.metadataMaxAgeMs = config.metadataMaxAge ?? DEFAULT_METADATA_MAX_AGE_MS
    this.options = {
      idempotent: this.idempotent,
      allowAutoTopicCreation: config.allowAutoTopicCreation ?? true,
      metadataMaxAgeMs: this.metadataMaxAgeMs,
      retry: toTributaryRetry(retry),
    }
    try {
      resolveProducerOptions(this.options)
    } catch (error) {
      throw optionError(error)
    }
    this.partition = usesTributaryPlacement(config.createPartitioner)
      ? null
      : (config.createPartitioner as () => (a: PartitionerArgs) => number)()
  }

  /** connect opens this producer's Tributary (its own connections with `brokers`) and emits producer.connect. */
  async connect(): Promise<void> {
    if (this.status === 'connected') return
    try {
      const lease = await this.ctx.backend.open('producer', this.maxInFlightRequests)
      this.lease = lease
      this.producer = lease.tb.producer(this.options)
      await this.producer.connect()
    } catch (error) {
      throw toKafkaJSError(error)
    }
    this.status = 'connected'
    this.emitter.emit(ProducerEvents.CONNECT)
  }

  /** disconnect waits for pending sends, closes this producer's Tributary (if it owns one) and emits producer.disconnect. */
  async disconnect(): Promise<void> {
    if (this.status === 'disconnected') return
    this.status = 'disconnecting'
    try {
      await this.producer?.disconnect()
      await this.lease?.release()
    } finally {
      this.producer = null
      this.lease = null
      this.status = 'disconnected'
      this.emitter.emit(ProducerEvents.DISCONNECT)
    }
  }

  /** isIdempotent tells whether the producer was made with `idempotent: true`. */
  isIdempotent(): boolean {
    return this.idempotent
  }

  /** logger is this producer's logger (namespace 'Producer'). */
  logger(): Logger {
    return this.log
  }

  /** on registers an instrumentation listener and returns its remover. */
  on(eventName: (typeof ProducerEvents)[keyof typeof ProducerEvents], listener: InstrumentationListener): () => void {
    return this.emitter.on(eventName, listener)
  }

  /** transaction throws, as KafkaJS does for a producer without a transactionalId (which is the only kind Tributary makes). */
  async transaction(): Promise<never> {
    throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer')
  }

  /** send sends `messages` to `topic`; see sendBatch. */
  send({ topic, messages, acks, timeout, compression }: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] })
  }

  /**
   * sendBatch sends messages to several topics and resolves per partition touched (`[]` with acks
   * 0). Throws KafkaJSNonRetriableError for bad input (nothing sent), KafkaJSError when not
   * connected, KafkaJSNumberOfRetriesExceeded once retriable errors used up the retries, and a
   * KafkaJSProtocolError for a broker's refusal.
   */
  async sendBatch({ acks = -1, timeout, compression, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    const merged = this.checkBatch(topicMessages, acks)
    const producer = this.connectedProducer()
    const codec = compressionFor(compression)
    const nonEmpty = merged.filter((t) => t.messages.length > 0)
    if (nonEmpty.length === 0) return []
    try {
      const converted = await Promise.all(nonEmpty.map((t) => this.convert(t)))
      const results = await producer.sendBatch({ topicMessages: converted, acks: acks as -1, timeoutMs: timeout, compression: codec })
      return results.map(toRecordMetadata)
    } catch (error) {
      throw afterRetries(error, this.retries)
    }
  }

  /** checkBatch applies KafkaJS's checks and merges entries of the same topic, as KafkaJS does. */
  private checkBatch(topicMessages: TopicMessages[], acks: number): TopicMessages[] {
    if (!Array.isArray(topicMessages)) throw nonRetriable('Invalid topicMessages, expected an array')
    if (topicMessages.some((t) => !t?.topic)) throw nonRetriable('Invalid topic')
    if (this.idempotent && acks !== -1) {
      throw nonRetriable(`Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees`)
    }
    const merged = new Map<string, Message[]>()
    for (const { topic, messages } of topicMessages) {
      if (!Array.isArray(messages)) throw nonRetriable(`Invalid messages array [${String(messages)}] for topic "${topic}"`)
      const missing = messages.find((m) => m?.value === undefined)
      if (missing !== undefined) throw nonRetriable(`Invalid message without value for topic "${topic}": ${JSON.stringify(missing)}`)
      merged.set(topic, [...(merged.get(topic) ?? []), ...messages])
    }
    return [...merged].map(([topic, messages]) => ({ topic, messages }))
  }

  private connectedProducer(): Producer {
    if (this.status === 'disconnecting') {
      throw new KafkaJSNonRetriableError(`The producer is disconnecting; therefore, it can't safely accept messages anymore`)
    }
    if (this.status !== 'connected' || this.producer === null) throw new KafkaJSError('The producer is disconnected')
    return this.producer
  }

  /** convert turns KafkaJS messages into Tributary's: number timestamps, and partitions from a custom partitioner. */
  private async convert({ topic, messages }: TopicMessages): Promise<{ topic: string; messages: TributaryMessage[] }> {
    const partitionMetadata = this.partition === null ? null : await this.partitionMetadata(topic)
    return {
      topic,
      messages: messages.map((m, i) => {
        const out: TributaryMessage = { key: m.key, value: m.value, headers: m.headers as TributaryMessage['headers'] }
        if (m.timestamp !== undefined && m.timestamp !== null) out.timestamp = parseTimestamp(m.timestamp, `${topic} messages[${i}]`)
        if (partitionMetadata !== null && this.partition !== null) out.partition = this.partition({ topic, partitionMetadata, message: m })
        else if (m.partition !== undefined && m.partition !== null) out.partition = m.partition
        return out
      }),
    }
  }

  /** partitionMetadata is a topic's partitions as a custom partitioner sees them, cached for metadataMaxAge. */
  private async partitionMetadata(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.metadata.get(topic)
    if (cached && Date.now() - cached.atMs < this.metadataMaxAgeMs) return cached.partitions
    const broker = (this.lease as ClientLease).tb.broker
    const [found] = (await broker.metadata({ topics: [topic], allowAutoTopicCreation: this.options.allowAutoTopicCreation })).topics
    const partitions = (found?.partitions ?? []).map((p) => ({
      partitionErrorCode: 0,
      partitionId: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.offlineReplicas,
    }))
    this.metadata.set(topic, { atMs: Date.now(), partitions })
    return partitions
  }
}

function toRecordMetadata(r: TributaryRecordMetadata): RecordMetadata {
  return {
    topicName: r.topicName,
    partition: r.partition,
    errorCode: r.errorCode,
    baseOffset: String(r.baseOffset),
    logAppendTime: String(r.logAppendTime),
    logStartOffset: String(r.logStartOffset),
  }
}
