import {
  StickyPartitioner,
  TributaryError,
  getCompressionCodec,
  normalizeMessage,
  validateBatchSize,
  validateTopicName,
  type Acks,
  type CompressionType,
  type Message,
  type ProducePartitionResult,
  type RecordInput,
  type RecordMetadata,
} from '@tributary/core'
import { assertOpen, type ClientContext } from '../context'
import { deferred, type Deferred } from '../deferred'
import { ClientEmitter, ProducerEvents, type ClientEvent, type ProducerEventName, type RemoveListener } from '../events'
import { MetadataCache, type TopicInfo } from '../metadata-cache'
import { normalizeAcks, resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from '../options'
import { newSendPart, recordSizeBytes, RecordAccumulator, type DrainedBatch, type PartAck, type SendPart } from './accumulator'
import { Sender } from './sender'

/** Kafka's limit on unacknowledged batches per partition with idempotence. */
const MAX_IN_FLIGHT_PER_PARTITION = 5
/** A record batch's fixed header (record batch v2), counted when checking a message against max.message.bytes. */
const BATCH_HEADER_BYTES = 61

/** ProducerRecord is one `send`: messages for one topic. */
export interface ProducerRecord {
  topic: string
  messages: Message[]
  /** Overrides the producer's `acks`: 0, 1, -1 or 'all'. */
  acks?: Acks | 'all'
  /** Overrides the producer's `timeoutMs` (ms the broker may take to reach acks). */
  timeoutMs?: number
  /** Overrides the producer's compression. */
  compression?: CompressionType
}

/** ProducerBatch is one `sendBatch`: messages for several topics with shared settings. */
export interface ProducerBatch {
  topicMessages: Array<{ topic: string; messages: Message[] }>
  acks?: Acks | 'all'
  timeoutMs?: number
  compression?: CompressionType
}

/**
 * Producer appends messages to topics. Messages are validated whole before anything is written,
 * partitioned as Kafka's Java client does (explicit partition, else murmur2 of the key, else a
 * sticky partition), batched per partition (`lingerMs`, `batchSizeBytes`) and sent idempotently.
 */
export class Producer {
  /** events names what `on()` accepts. */
  readonly events = ProducerEvents
  private readonly options: ResolvedProducerOptions
  private readonly metadata: MetadataCache
  private readonly partitioner = new StickyPartitioner()
  private readonly accumulator: RecordAccumulator
  private readonly sender: Sender
  private readonly emitter: ClientEmitter<ProducerEventName>
  private flushTimer: { cancel(): void } | null = null
  private flushScheduledAtMs = Infinity
  private inFlightBatches = 0
  private idle: Deferred<void> | null = null
  private roomWaiters: Array<() => void> = []
  private readonly preparing = new Set<Promise<unknown>>()
  private closed = false

  /** Use `tb.producer()`. Throws INVALID_CONFIG / INVALID_REQUIRED_ACKS for bad options. */
  constructor(private readonly ctx: ClientContext, options?: ProducerOptions) {
    this.options = resolveProducerOptions(options)
    this.metadata = new MetadataCache(ctx.broker, ctx.clock, this.options.metadataMaxAgeMs, this.options.allowAutoTopicCreation)
    this.accumulator = new RecordAccumulator(this.options.batchSizeBytes, this.options.lingerMs, MAX_IN_FLIGHT_PER_PARTITION)
    this.emitter = new ClientEmitter(() => ctx.clock.now())
    this.sender = new Sender(ctx.broker, ctx.clock, this.options.retry, this.options.idempotent, {
      onSuccess: (batch, result) => this.batchDone(batch, null, result),
      onFailure: (batch, error) => this.batchDone(batch, error),
      onStaleMetadata: (topic) => this.metadata.invalidate(topic),
    })
  }

  /** connect is a no-op kept for KafkaJS compatibility: the producer is ready once made. */
  async connect(): Promise<void> {
    this.checkOpen('connect')
    this.emitter.emit(ProducerEvents.CONNECT, {})
  }

  /** isIdempotent tells whether retries are deduplicated by producer id and sequence. */
  isIdempotent(): boolean {
    return this.options.idempotent
  }

  /** on registers an event listener and returns its remover. */
  on<P = Record<string, unknown>>(event: ProducerEventName, listener: (e: ClientEvent<P>) => void): RemoveListener {
    return this.emitter.on(event, listener)
  }

  /**
   * send appends `messages` to `topic` and resolves per partition touched once `acks` is reached
   * (with acks 0: `[]`, once handed to the broker). Throws INVALID_ARGUMENT / INVALID_TIMESTAMP /
   * INVALID_TOPIC_EXCEPTION for bad input (nothing written), INVALID_REQUIRED_ACKS,
   * UNKNOWN_TOPIC_OR_PARTITION (auto-creation off, or a bad explicit partition), MESSAGE_TOO_LARGE,
   * the broker's error once retries are exhausted, CLIENT_CLOSED after close.
   */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (record === null || typeof record !== 'object') throw new TributaryError('INVALID_ARGUMENT', 'send takes { topic, messages }')
    const { topic, messages, ...settings } = record
    return this.sendBatch({ topicMessages: [{ topic, messages }], ...settings })
  }

  /** sendBatch is `send` across several topics with shared settings; same errors. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.checkOpen('send')
    const release = this.ctx.keepAlive()
    try {
      return await this.sendHeld(batch)
    } finally {
      release()
    }
  }

  private async sendHeld(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const settings = this.resolveSendSettings(batch)
    const prepared = this.prepare(batch)
    // A send accepted before a close is completed by it: flush() waits for sends still preparing.
    const preparing = this.partitionAll(prepared, settings)
    this.preparing.add(preparing)
    let parts: SendPart[]
    try {
      parts = await preparing
    } finally {
      this.preparing.delete(preparing)
    }
    await this.waitForRoom(parts)
    const now = this.ctx.clock.now()
    for (const part of parts) this.accumulator.append(part, now)
    this.scheduleFlush()
    // With acks 0 the parts settle as soon as their batches are handed to the broker.
    const acks = await Promise.all(parts.map((p) => p.done.promise))
    if (settings.acks === 0) return []
    return parts.map((p, i) => toRecordMetadata(p, acks[i] as PartAck))
  }

  /** flush sends everything waiting without lingering and resolves once all of it is acknowledged. */
  async flush(): Promise<void> {
    while (this.preparing.size > 0) await Promise.allSettled([...this.preparing])
    await this.flushNow(true)
    while (!this.accumulator.isEmpty() || this.inFlightBatches > 0) {
      this.idle ??= deferred<void>()
      await this.idle.promise
      if (!this.accumulator.isEmpty()) await this.flushNow(true)
    }
  }

  /** disconnect flushes and closes this producer; later sends throw CLIENT_CLOSED. */
  async disconnect(): Promise<void> {
    if (this.closed) return
    await this.flush()
    this.closed = true
    this.emitter.emit(ProducerEvents.DISCONNECT, {})
    this.emitter.removeAll()
  }

  private checkOpen(what: string): void {
    assertOpen(this.closed || this.ctx.isClosed(), `producer.${what}`)
  }

  private resolveSendSettings(batch: ProducerBatch): { acks: Acks; compression: CompressionType; timeoutMs: number } {
    if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.topicMessages)) {
      throw new TributaryError('INVALID_ARGUMENT', 'sendBatch takes { topicMessages: [{ topic, messages }] }')
    }
    const acks = batch.acks === undefined ? this.options.acks : normalizeAcks(batch.acks, 'send.acks')
    const compression = batch.compression ?? this.options.compression
    try {
      getCompressionCodec(compression)
    } catch (cause) {
      throw new TributaryError('INVALID_ARGUMENT', `send.compression '${String(compression)}' is not available`, { cause })
    }
    const timeoutMs = batch.timeoutMs ?? this.options.timeoutMs
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) throw new TributaryError('INVALID_ARGUMENT', `send.timeoutMs must be a non-negative integer`)
    return { acks, compression, timeoutMs }
  }

  /** prepare validates every topic name and message before anything is queued. */
  private prepare(batch: ProducerBatch): Array<{ topic: string; messages: Message[]; records: RecordInput[] }> {
    const now = this.ctx.clock.now()
    return batch.topicMessages.map((tm) => {
      if (tm === null || typeof tm !== 'object') throw new TributaryError('INVALID_ARGUMENT', 'Each topicMessages entry must be { topic, messages }')
      if (typeof tm.topic !== 'string') throw new TributaryError('INVALID_TOPIC_EXCEPTION', `topic must be a string, got ${typeof tm.topic}`)
      validateTopicName(tm.topic)
      if (!Array.isArray(tm.messages) || tm.messages.length === 0) {
        throw new TributaryError('INVALID_ARGUMENT', `messages for topic '${tm.topic}' must be a non-empty array`)
      }
      return { topic: tm.topic, messages: tm.messages, records: tm.messages.map((m, i) => normalizeMessage(m, i, now)) }
    })
  }

  /** partitionAll chooses every message's partition (creating topics if allowed) and groups them into parts. */
  private async partitionAll(
    prepared: Array<{ topic: string; messages: Message[]; records: RecordInput[] }>,
    settings: { acks: Acks; compression: CompressionType; timeoutMs: number },
  ): Promise<SendPart[]> {
    const infos = await Promise.all(prepared.map((p) => this.metadata.topicInfo(p.topic)))
    // Every partition is chosen and every size checked before any part is queued: one bad message fails the send whole.
    const parts = new Map<string, SendPart>()
    prepared.forEach(({ topic, messages, records }, t) => {
      const { numPartitions, maxMessageBytes } = infos[t] as TopicInfo
      records.forEach((rec, i) => {
        const msg = messages[i] as Message
        const size = recordSizeBytes(rec)
        validateBatchSize(size + BATCH_HEADER_BYTES, maxMessageBytes)
        const partition = this.partitioner.choosePartition({ topic, numPartitions, key: rec.key, partition: msg.partition })
        const key = `${topic}\u0000${partition}`
        let part = parts.get(key)
        if (!part) parts.set(key, (part = newSendPart(topic, partition, settings)))
        part.records.push(rec)
        part.sizes.push(size)
      })
    })
    return [...parts.values()]
  }

  /** waitForRoom applies back-pressure: a send waits while the buffer holds more than maxBufferedBytes. */
  private async waitForRoom(parts: SendPart[]): Promise<void> {
    const bytes = parts.reduce((sum, p) => sum + p.sizes.reduce((a, b) => a + b, 0), 0)
    while (this.accumulator.bufferedBytes > 0 && this.accumulator.bufferedBytes + bytes > this.options.maxBufferedBytes) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve))
    }
  }

  /**
   * scheduleFlush arranges the next drain: at once (next macrotask, so that sends made in the same
   * tick share a batch) when lingerMs is 0 or a batch is full, otherwise when the oldest waiting
   * record has lingered long enough.
   */
  private scheduleFlush(): void {
    const now = this.ctx.clock.now()
    const wait = this.accumulator.hasFullBatch() ? 0 : this.accumulator.nextReadyInMs(now)
    if (wait === null) return
    const at = now + wait
    if (at >= this.flushScheduledAtMs) return
    this.flushTimer?.cancel()
    this.flushScheduledAtMs = at
    const run = (): void => {
      this.flushTimer = null
      this.flushScheduledAtMs = Infinity
      void this.flushNow(false)
    }
    if (wait === 0) {
      const immediate = setImmediate(run)
      this.flushTimer = { cancel: () => clearImmediate(immediate) }
    } else {
      this.flushTimer = this.ctx.clock.setTimeout(run, wait)
    }
  }

  private async flushNow(force: boolean): Promise<void> {
    try {
      await this.sender.ensureIdentity()
    } catch (error) {
      // Without a producer id nothing can be sent: fail what waits rather than hang.
      for (const batch of this.accumulator.drainReady(this.ctx.clock.now(), true)) {
        this.inFlightBatches++
        this.batchDone(batch, error)
      }
      return
    }
    const batches = this.accumulator.drainReady(this.ctx.clock.now(), force)
    this.inFlightBatches += batches.length
    for (const batch of batches) {
      this.partitioner.nextBatch(batch.topic)
      if (batch.acks === 0) for (const s of batch.segments) if (s.start + s.count === s.part.records.length) s.part.done.resolve(NO_ACK)
    }
    this.sender.send(batches)
    this.wakeRoomWaiters()
    this.scheduleFlush()
  }

  private batchDone(batch: DrainedBatch, error: unknown, result?: ProducePartitionResult): void {
    this.inFlightBatches--
    this.accumulator.batchSettled(batch.topic, batch.partition)
    let offset = result?.baseOffset ?? -1
    for (const seg of batch.segments) {
      const part = seg.part
      if (error) {
        part.done.reject(error)
        continue
      }
      if (seg.start === 0 && result) {
        part.ack = { baseOffset: offset, logAppendTime: result.logAppendTime, logStartOffset: result.logStartOffset }
      }
      offset += seg.count
      part.unacked -= seg.count
      if (part.unacked === 0) part.done.resolve(part.ack ?? NO_ACK)
    }
    this.scheduleFlush()
    // flush() re-checks its condition whenever a batch settles.
    this.idle?.resolve()
    this.idle = null
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const wake of waiters) wake()
  }
}

const NO_ACK: PartAck = Object.freeze({ baseOffset: -1, logAppendTime: -1, logStartOffset: -1 })

function toRecordMetadata(part: SendPart, ack: PartAck): RecordMetadata {
  return {
    topicName: part.topic,
    partition: part.partition,
    errorCode: 0,
    baseOffset: ack.baseOffset,
    logAppendTime: ack.logAppendTime,
    logStartOffset: ack.logStartOffset,
  }
}
