import {
  StickyPartitioner,
  TributaryError,
  isCompressionCodecRegistered,
  normalizeMessage,
  toCompressionType,
  validateBatchSize,
  validateTopicName,
  type Acks,
  type CompressionId,
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
  /** Overrides the producer's compression: a name ('lz4') or Kafka's id (`CompressionTypes.lz4`, 3). */
  compression?: CompressionType | CompressionId
}

/** ProducerBatch is one `sendBatch`: messages for several topics with shared settings. */
export interface ProducerBatch {
  topicMessages: Array<{ topic: string; messages: Message[] }>
  acks?: Acks | 'all'
  timeoutMs?: number
  /** Overrides the producer's compression: a name ('lz4') or Kafka's id (`CompressionTypes.lz4`, 3). */
  compression?: CompressionType | CompressionId
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
  /** Queued parts not yet settled and sends not yet queued, which hold the process alive through one keepAlive. */
  private pendingSends = 0
  private releaseKeepAlive: (() => void) | null = null
  private closed = false
  /** The last settings resolveSendSettings checked, reused while a send asks for the same ones (most sends ask for none). */
  private lastSettings: { acks: unknown; compression: unknown; timeoutMs: unknown; resolved: SendSettings } | null = null
  /** The last topic name that passed validation (sends mostly go to one topic). */
  private lastValidTopic: string | null = null
  /** Made once: a closure per scheduled flush is measurable at one message per send. */
  private readonly runScheduledFlush = (): void => {
    this.flushTimer = null
    this.flushScheduledAtMs = Infinity
    void this.flushNow(false)
  }
  private readonly cancelImmediate = (): void => {
    if (this.immediate !== null) clearImmediate(this.immediate)
    this.immediate = null
  }
  private immediate: ReturnType<typeof setImmediate> | null = null
  private readonly immediateTimer = { cancel: this.cancelImmediate }

  /** Use `tb.producer()`. Throws INVALID_CONFIG / INVALID_REQUIRED_ACKS for bad options. */
  constructor(
    private readonly ctx: ClientContext,
    options?: ProducerOptions,
  ) {
    this.options = resolveProducerOptions(options)
    this.metadata = new MetadataCache(
      ctx.broker,
      ctx.clock,
      this.options.metadataMaxAgeMs,
      this.options.allowAutoTopicCreation,
      this.options.retry,
    )
    this.accumulator = new RecordAccumulator(this.options.batchSizeBytes, this.options.lingerMs, MAX_IN_FLIGHT_PER_PARTITION)
    this.emitter = new ClientEmitter(() => ctx.clock.now(), ctx.logger)
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
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    // Errors reject, as from an async function; the one async call per send is sendPrepared.
    try {
      if (record === null || typeof record !== 'object') throw new TributaryError('INVALID_ARGUMENT', 'send takes { topic, messages }')
      this.checkOpen('send')
      const settings = this.resolveSendSettings(record)
      const prepared = [this.prepareTopic(record, this.ctx.clock.now())]
      return this.sendPrepared(prepared, settings)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** sendBatch is `send` across several topics with shared settings; same errors. */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    try {
      this.checkOpen('send')
      if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.topicMessages)) {
        throw new TributaryError('INVALID_ARGUMENT', 'sendBatch takes { topicMessages: [{ topic, messages }] }')
      }
      const settings = this.resolveSendSettings(batch)
      return this.sendPrepared(this.prepare(batch), settings)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * sendPrepared partitions validated messages, queues them and returns what the send resolves
   * with. While every topic's metadata is cached and the buffer has room (nearly always) it
   * queues them at once and a one-partition send returns its part's own promise: no async call.
   */
  private sendPrepared(prepared: PreparedTopic[], settings: SendSettings): Promise<RecordMetadata[]> {
    const infos = this.cachedInfos(prepared)
    if (infos === null) return this.sendAfterMetadata(prepared, settings)
    const parts = this.partitionAll(prepared, infos, settings)
    if (this.mustWaitForRoom(parts)) return this.sendAfterRoom(parts)
    return this.enqueue(parts)
  }

  /** sendAfterMetadata is sendPrepared once the topics' metadata has been asked for. */
  private async sendAfterMetadata(prepared: PreparedTopic[], settings: SendSettings): Promise<RecordMetadata[]> {
    this.holdProcess()
    try {
      // A send accepted before a close is completed by it: flush() waits for sends still preparing.
      const preparing = this.partitionAfterMetadata(prepared, settings)
      this.preparing.add(preparing)
      let parts: SendPart[]
      try {
        parts = await preparing
      } finally {
        this.preparing.delete(preparing)
      }
      if (this.mustWaitForRoom(parts)) await this.waitForRoom(parts)
      return await this.enqueue(parts)
    } finally {
      this.releaseProcess()
    }
  }

  /** sendAfterRoom is sendPrepared once the buffer has room. */
  private async sendAfterRoom(parts: SendPart[]): Promise<RecordMetadata[]> {
    this.holdProcess()
    try {
      await this.waitForRoom(parts)
      return await this.enqueue(parts)
    } finally {
      this.releaseProcess()
    }
  }

  /**
   * enqueue queues a send's parts and returns what the send resolves with. Each part holds the
   * process alive until it settles (settlePart); with acks 0 parts settle as soon as their
   * batches are handed to the broker.
   */
  private enqueue(parts: SendPart[]): Promise<RecordMetadata[]> {
    const now = this.ctx.clock.now()
    for (const part of parts) {
      this.holdProcess()
      this.accumulator.append(part, now)
    }
    this.scheduleFlush()
    if (parts.length === 1) return (parts[0] as SendPart).done.promise
    return Promise.all(parts.map((p) => p.done.promise)).then(flatten)
  }

  /** settlePart settles a part (once) with its error or its metadata, and drops its hold on the process. */
  private settlePart(part: SendPart, error: unknown): void {
    if (part.settled) return
    part.settled = true
    if (error) part.done.reject(error)
    else part.done.resolve(part.acks === 0 ? [] : [toRecordMetadata(part, part.ack ?? NO_ACK)])
    this.releaseProcess()
  }

  /**
   * holdProcess keeps the process alive while a send is pending: one hold for all of them (a hold
   * per send is a closure per message).
   */
  private holdProcess(): void {
    if (this.pendingSends++ === 0) this.releaseKeepAlive = this.ctx.keepAlive()
  }

  private releaseProcess(): void {
    if (--this.pendingSends > 0) return
    const release = this.releaseKeepAlive
    this.releaseKeepAlive = null
    release?.()
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

  private resolveSendSettings(batch: SendSettingsInput): SendSettings {
    const last = this.lastSettings
    if (last !== null && last.acks === batch.acks && last.compression === batch.compression && last.timeoutMs === batch.timeoutMs)
      return last.resolved
    const resolved = this.checkSendSettings(batch)
    this.lastSettings = { acks: batch.acks, compression: batch.compression, timeoutMs: batch.timeoutMs, resolved }
    return resolved
  }

  private checkSendSettings(batch: SendSettingsInput): SendSettings {
    const acks = batch.acks === undefined ? this.options.acks : normalizeAcks(batch.acks, 'send.acks')
    const compression =
      batch.compression === undefined ? this.options.compression : toCompressionType(batch.compression, 'send.compression')
    // Tributary.open/connect register every Kafka codec process-wide; should one still be missing,
    // the send fails here, before anything is queued, rather than in the sender.
    if (!isCompressionCodecRegistered(compression)) {
      throw new TributaryError('INVALID_CONFIG', `send.compression '${compression}' has no registered codec`, {
        details: { path: 'send.compression' },
      })
    }
    const timeoutMs = batch.timeoutMs ?? this.options.timeoutMs
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0)
      throw new TributaryError('INVALID_ARGUMENT', `send.timeoutMs must be a non-negative integer`)
    return { acks, compression, timeoutMs }
  }

  /** prepare validates every topic name and message before anything is queued. */
  private prepare(batch: ProducerBatch): PreparedTopic[] {
    const now = this.ctx.clock.now()
    const out = new Array<PreparedTopic>(batch.topicMessages.length)
    for (let t = 0; t < out.length; t++) {
      const tm = batch.topicMessages[t]
      if (tm === null || typeof tm !== 'object')
        throw new TributaryError('INVALID_ARGUMENT', 'Each topicMessages entry must be { topic, messages }')
      out[t] = this.prepareTopic(tm, now)
    }
    return out
  }

  /** prepareTopic validates one topic name and its messages. */
  private prepareTopic(tm: { topic: string; messages: Message[] }, now: number): PreparedTopic {
    if (typeof tm.topic !== 'string') throw new TributaryError('INVALID_TOPIC_EXCEPTION', `topic must be a string, got ${typeof tm.topic}`)
    if (tm.topic !== this.lastValidTopic) {
      validateTopicName(tm.topic)
      this.lastValidTopic = tm.topic
    }
    const messages = tm.messages
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new TributaryError('INVALID_ARGUMENT', `messages for topic '${tm.topic}' must be a non-empty array`)
    }
    const records = new Array<RecordInput>(messages.length)
    for (let i = 0; i < messages.length; i++) records[i] = normalizeMessage(messages[i] as Message, i, now)
    return { topic: tm.topic, messages, records }
  }

  /** cachedInfos returns every prepared topic's cached metadata, or null when one must be asked for. */
  private cachedInfos(prepared: PreparedTopic[]): TopicInfo[] | null {
    const infos = new Array<TopicInfo>(prepared.length)
    for (let t = 0; t < prepared.length; t++) {
      const info = this.metadata.cachedTopicInfo((prepared[t] as PreparedTopic).topic)
      if (info === null) return null
      infos[t] = info
    }
    return infos
  }

  /** partitionAfterMetadata asks for the topics' metadata (creating topics if allowed) and then partitions. */
  private async partitionAfterMetadata(prepared: PreparedTopic[], settings: SendSettings): Promise<SendPart[]> {
    const infos = await Promise.all(prepared.map((p) => this.metadata.topicInfo(p.topic)))
    return this.partitionAll(prepared, infos, settings)
  }

  /** partitionAll chooses every message's partition and groups them into parts. */
  private partitionAll(prepared: PreparedTopic[], infos: TopicInfo[], settings: SendSettings): SendPart[] {
    // Every partition is chosen and every size checked before any part is queued: one bad message fails the send whole.
    // Parts are found by partition number in an array per topic (no string key per message: keyed
    // messages alternate partitions at nearly every message).
    const parts: SendPart[] = []
    for (let t = 0; t < prepared.length; t++) {
      const { topic, messages, records } = prepared[t] as PreparedTopic
      const { numPartitions, maxMessageBytes } = infos[t] as TopicInfo
      // A topic named twice in one send shares its parts; a one-message send needs no lookup.
      const byPartition: Array<SendPart | undefined> = records.length === 1 && parts.length === 0 ? NO_PARTS : []
      for (const part of parts) if (part.topic === topic) byPartition[part.partition] = part
      for (let i = 0; i < records.length; i++) {
        const rec = records[i] as RecordInput
        const size = recordSizeBytes(rec)
        validateBatchSize(size + BATCH_HEADER_BYTES, maxMessageBytes)
        const partition = this.partitioner.choosePartition({
          topic,
          numPartitions,
          key: rec.key,
          partition: (messages[i] as Message).partition,
        })
        const current = byPartition === NO_PARTS ? undefined : byPartition[partition]
        if (current === undefined) {
          const part = newSendPart(topic, partition, settings, rec, size)
          if (byPartition !== NO_PARTS) byPartition[partition] = part
          parts.push(part)
        } else {
          current.records.push(rec)
          current.sizes.push(size)
          current.bytes += size
        }
      }
    }
    return parts
  }

  /** mustWaitForRoom tells whether the buffer is too full for `parts` now (waitForRoom then waits). */
  private mustWaitForRoom(parts: SendPart[]): boolean {
    const buffered = this.accumulator.bufferedBytes
    if (buffered === 0) return false
    let bytes = 0
    for (const p of parts) bytes += p.bytes
    return buffered + bytes > this.options.maxBufferedBytes
  }

  /** waitForRoom applies back-pressure: a send waits while the buffer holds more than maxBufferedBytes. */
  private async waitForRoom(parts: SendPart[]): Promise<void> {
    const bytes = parts.reduce((sum, p) => sum + p.bytes, 0)
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
    if (wait === 0) {
      this.immediate = setImmediate(this.runScheduledFlush)
      this.flushTimer = this.immediateTimer
    } else {
      this.flushTimer = this.ctx.clock.setTimeout(this.runScheduledFlush, wait)
    }
  }

  /** flushNow drains what is ready (everything with `force`) and sends it; it waits only while a producer id is fetched. */
  private flushNow(force: boolean): Promise<void> | void {
    if (!this.sender.hasIdentity()) return this.flushAfterIdentity(force)
    this.drainAndSend(force)
  }

  private async flushAfterIdentity(force: boolean): Promise<void> {
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
    // Checked again: a batch may have failed for good meanwhile and reset the producer id.
    return this.flushNow(force)
  }

  private drainAndSend(force: boolean): void {
    const batches = this.accumulator.drainReady(this.ctx.clock.now(), force)
    this.inFlightBatches += batches.length
    for (const batch of batches) {
      this.partitioner.nextBatch(batch.topic)
      if (batch.acks === 0) for (const s of batch.segments) if (s.start + s.count === s.part.records.length) this.settlePart(s.part, null)
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
        this.settlePart(part, error)
        continue
      }
      if (seg.start === 0 && result) {
        part.ack = { baseOffset: offset, logAppendTime: result.logAppendTime, logStartOffset: result.logStartOffset }
      }
      offset += seg.count
      part.unacked -= seg.count
      if (part.unacked === 0) this.settlePart(part, null)
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

type SendSettings = { acks: Acks; compression: CompressionType; timeoutMs: number }

/** SendSettingsInput is what a send or sendBatch may override. */
type SendSettingsInput = Pick<ProducerBatch, 'acks' | 'compression' | 'timeoutMs'>

/** PreparedTopic is one topic's messages of a send, validated, with their records. */
type PreparedTopic = { topic: string; messages: Message[]; records: RecordInput[] }

/** NO_PARTS marks a one-message send, whose one part needs no lookup by partition (never written to). */
const NO_PARTS: Array<SendPart | undefined> = Object.freeze([]) as unknown as Array<SendPart | undefined>

const NO_ACK: PartAck = Object.freeze({ baseOffset: -1, logAppendTime: -1, logStartOffset: -1 })

function flatten(metadata: RecordMetadata[][]): RecordMetadata[] {
  return metadata.flat()
}

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
