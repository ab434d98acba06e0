import type { Clock, Logger } from '@tributary/core'
import { ConsumerEvents, type ClientEmitter, type ConsumerEventName } from '../events'
import type { ResolvedConsumerRetry } from '../options'
import { backoffMs, sleep, toError } from '../retry'
import type { FetchedChunk, PartitionState } from './partition-state'
import type { Batch, EachBatchPayload, EachMessagePayload, KafkaMessage, ResolvedRunOptions } from './types'

/** ChunkContext is what handling one chunk needs from the runner. */
export interface ChunkContext {
  state: PartitionState
  chunk: FetchedChunk
  run: ResolvedRunOptions
  retry: ResolvedConsumerRetry
  clock: Clock
  /** Where handler failures and retries are logged. */
  logger: Logger
  /** The consumer's group, for the log lines. */
  groupId: string
  emitter: ClientEmitter<ConsumerEventName>
  /** Aborted when the generation ends or the consumer stops. */
  interrupt: AbortSignal
  isStale(): boolean
  isRunning(): boolean
  /** resolve marks everything before `offset` handled. */
  resolve(offset: number): void
  pause(): () => void
  commitIfNecessary(): Promise<void>
  uncommitted(): PartitionState[]
}

/** HandlerGaveUp is thrown once a handler failed on the same input more than `retries` times. */
export class HandlerGaveUp extends Error {
  constructor(readonly error: Error) {
    super(error.message, { cause: error })
  }
}

const heartbeat = async (): Promise<void> => {}

/**
 * attempt calls `fn` until it resolves, backing off between failures. Returns false when the
 * chunk went stale meanwhile (the work is abandoned, not failed); throws HandlerGaveUp after the
 * last retry. The partition never advances past input whose handler has not resolved. Every
 * failure is logged with the topic, partition and `offset` (the first message the handler got):
 * a warn line per retry, an error line when the retries are spent.
 */
async function attempt(ctx: ChunkContext, fn: () => Promise<void>, offset: () => number): Promise<boolean> {
  try {
    await fn()
    return true
  } catch (error) {
    return retryAfter(ctx, error, fn, offset())
  }
}

/** retryAfter is `attempt` once the first call failed with `error`: the retries, with backoff, each failure logged. */
async function retryAfter(ctx: ChunkContext, error: unknown, fn: () => Promise<void>, offset: number): Promise<boolean> {
  for (let n = 0; ; n++) {
    if (ctx.isStale()) return false
    const fields = { topic: ctx.state.topic, partition: ctx.state.partition, offset, groupId: ctx.groupId, error: toError(error) }
    if (n >= ctx.retry.retries) {
      ctx.logger.error(`a consumer handler failed ${n + 1} times; giving up on this message`, { ...fields, attempts: n + 1 })
      throw new HandlerGaveUp(toError(error))
    }
    const waitMs = backoffMs(ctx.retry, n)
    ctx.logger.warn(`a consumer handler failed; retrying in ${waitMs} ms`, { ...fields, attempt: n + 1, retries: ctx.retry.retries })
    await sleep(ctx.clock, waitMs, ctx.interrupt)
    if (ctx.isStale()) return false
    try {
      await fn()
      return true
    } catch (next) {
      error = next
    }
  }
}

/**
 * runMessageHandlers calls eachMessage for each message in order; returns whether the whole chunk
 * was handled. This is the consumer's hottest loop: per message it makes the payload, awaits the
 * handler and moves the position, and nothing else (no closure, no extra async call); a failure
 * leaves the loop for the retries.
 */
export async function runMessageHandlers(ctx: ChunkContext, eachMessage: (p: EachMessagePayload) => Promise<void>): Promise<boolean> {
  const { state, chunk, emitter } = ctx
  const started = ctx.clock.now()
  if (emitter.listens(ConsumerEvents.START_BATCH_PROCESS)) batchEvent(ctx, ConsumerEvents.START_BATCH_PROCESS, chunk.messages)
  const { topic, partition } = state
  // One function per chunk for every payload of it: the handler calls it unbound.
  const pause = (): (() => void) => ctx.pause()
  const cursor = chunk.cursor()
  for (let message = cursor.next(); message !== null; message = cursor.next()) {
    if (ctx.isStale()) return false
    const payload: EachMessagePayload = { topic, partition, message, heartbeat, pause }
    try {
      await eachMessage(payload)
    } catch (error) {
      if (!(await retryAfter(ctx, error, () => eachMessage(payload), message.offset))) return false
    }
    ctx.resolve(message.offset + 1)
  }
  ctx.resolve(chunk.nextOffset)
  if (emitter.listens(ConsumerEvents.END_BATCH_PROCESS))
    batchEvent(ctx, ConsumerEvents.END_BATCH_PROCESS, chunk.messages, ctx.clock.now() - started)
  return true
}

/**
 * runBatchHandler calls eachBatch with the chunk's messages not yet resolved; a retry after a
 * failure passes only what the handler did not resolve. Returns whether everything was resolved.
 */
export async function runBatchHandler(ctx: ChunkContext, eachBatch: (p: EachBatchPayload) => Promise<void>): Promise<boolean> {
  const { state, chunk } = ctx
  if (chunk.messages.length === 0) {
    ctx.resolve(chunk.nextOffset)
    return true
  }
  const started = ctx.clock.now()
  batchEvent(ctx, ConsumerEvents.START_BATCH_PROCESS, chunk.messages)
  const handled = await attempt(
    ctx,
    () => {
      // Offsets ascend: what is not yet resolved is a tail of the chunk (all of it on a first attempt).
      const messages = chunk.messages
      const resolved = state.resolved ?? 0
      let first = 0
      while (first < messages.length && (messages[first] as KafkaMessage).offset < resolved) first++
      return eachBatch(batchPayload(ctx, messages.slice(first)))
    },
    () => Math.max(state.resolved ?? 0, chunk.messages[0]?.offset ?? 0),
  )
  if (!handled) return false
  if (ctx.run.eachBatchAutoResolve && !ctx.isStale()) ctx.resolve(chunk.nextOffset)
  batchEvent(ctx, ConsumerEvents.END_BATCH_PROCESS, chunk.messages, ctx.clock.now() - started)
  // Unresolved messages (eachBatchAutoResolve off) are fetched and delivered again.
  return state.resolved !== null && state.resolved >= chunk.nextOffset
}

function batchPayload(ctx: ChunkContext, messages: KafkaMessage[]): EachBatchPayload {
  return {
    batch: makeBatch(ctx.state, ctx.chunk, messages),
    resolveOffset: (offset: number) => ctx.resolve(offset + 1),
    heartbeat,
    pause: () => ctx.pause(),
    commitOffsetsIfNecessary: () => ctx.commitIfNecessary(),
    uncommittedOffsets: () => {
      const byTopic = new Map<string, Array<{ partition: number; offset: number }>>()
      for (const s of ctx.uncommitted())
        byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), { partition: s.partition, offset: s.resolved as number }])
      return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }
    },
    isRunning: () => ctx.isRunning(),
    isStale: () => ctx.isStale(),
  }
}

function makeBatch(state: PartitionState, chunk: FetchedChunk, messages: KafkaMessage[]): Batch {
  const first = messages[0]?.offset ?? null
  const last = messages[messages.length - 1]?.offset ?? chunk.nextOffset - 1
  return {
    topic: state.topic,
    partition: state.partition,
    highWatermark: chunk.highWatermark,
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => first,
    lastOffset: () => last,
    offsetLag: () => Math.max(0, chunk.highWatermark - 1 - last),
    offsetLagLow: () => Math.max(0, chunk.highWatermark - 1 - (first ?? last)),
  }
}

function batchEvent(ctx: ChunkContext, event: ConsumerEventName, messages: KafkaMessage[], duration?: number): void {
  const first = messages[0]?.offset ?? ctx.chunk.nextOffset
  const last = messages[messages.length - 1]?.offset ?? ctx.chunk.nextOffset - 1
  ctx.emitter.emit(event, {
    topic: ctx.state.topic,
    partition: ctx.state.partition,
    highWatermark: ctx.chunk.highWatermark,
    offsetLag: Math.max(0, ctx.chunk.highWatermark - 1 - last),
    batchSize: messages.length,
    firstOffset: first,
    lastOffset: last,
    ...(duration === undefined ? {} : { duration }),
  })
}
