import { deferred, type Deferred } from '../deferred'
import { ConsumerEvents } from '../events'
import type { Consumer } from './consumer'
import type { EachBatchPayload, KafkaMessage, RunOptions } from './types'

/** StreamMessage is one item of `consumer.stream()`. */
export interface StreamMessage {
  topic: string
  partition: number
  message: KafkaMessage
}

/** StreamOptions are the commit settings of `run()` that apply to a stream. */
export type StreamOptions = Pick<RunOptions, 'autoCommit' | 'autoCommitIntervalMs' | 'autoCommitThreshold'>

/** The error a parked handler gets when the loop ends: its message was not handled. */
class StreamEnded extends Error {}

/** HandedBatch is the batch the iterator is handing out, whose handler waits until the loop is past its last message. */
interface HandedBatch {
  topic: string
  partition: number
  messages: KafkaMessage[]
  /** The index of the next message to hand out; the one before it is in the loop's hand. */
  index: number
  resolveOffset(offset: number): void
  isStale(): boolean
  done: Deferred<void>
}

/**
 * consumerStream adapts `run({ eachBatch })` to an async iterator with back-pressure: the batch
 * handler hands its batch to the iterator and waits until the loop has asked for the message
 * after the batch's last, so what is outside the fetcher's bounded prefetch is one batch, and a
 * message's offset is resolved (committable) only once the loop asks for the next one. Within a
 * batch, `next()` answers at once: no handler call, promise or hand-over per message.
 */
export function consumerStream(consumer: Consumer, options: StreamOptions): AsyncIterableIterator<StreamMessage> {
  let started: Promise<void> | null = null
  let ended = false
  let failure: unknown = null
  /** The batch being handed out (its handler is parked until the loop is past it). */
  let current: HandedBatch | null = null
  let waiting: Deferred<IteratorResult<StreamMessage>> | null = null

  /** take hands out the next message of the current batch, or releases a finished or stale batch (returns null). */
  const take = (): StreamMessage | null => {
    const batch = current
    if (batch === null) return null
    if (batch.index < batch.messages.length && !batch.isStale()) {
      const message = batch.messages[batch.index++] as KafkaMessage
      return { topic: batch.topic, partition: batch.partition, message }
    }
    // The loop is past the batch's last message (or the batch went stale): let its handler return.
    current = null
    batch.done.resolve()
    return null
  }

  const deliver = (): void => {
    if (!waiting) return
    const item = take()
    if (item !== null) {
      const w = waiting
      waiting = null
      w.resolve({ value: item, done: false })
    } else if (ended) {
      const w = waiting
      waiting = null
      if (failure) w.reject(failure)
      else w.resolve({ value: undefined, done: true })
    }
  }

  const eachBatch = async ({ batch, resolveOffset, isStale }: EachBatchPayload): Promise<void> => {
    if (ended) throw new StreamEnded('stream ended')
    if (batch.messages.length === 0) return
    const done = deferred<void>()
    current = { topic: batch.topic, partition: batch.partition, messages: batch.messages, index: 0, resolveOffset, isStale, done }
    deliver()
    await done.promise
  }

  const finish = async (): Promise<void> => {
    if (ended) return
    ended = true
    removeCrash()
    // Stop first (handlers are then abandoned rather than retried), then release the parked handler.
    const stopping = consumer.stop()
    current?.done.reject(new StreamEnded('stream ended'))
    current = null
    await stopping
    deliver()
  }

  const removeCrash = consumer.on<{ error: Error; restart: boolean }>(ConsumerEvents.CRASH, ({ payload }) => {
    if (payload.restart) return
    failure = payload.error
    void finish()
  })

  const iterator: AsyncIterableIterator<StreamMessage> = {
    async next(): Promise<IteratorResult<StreamMessage>> {
      // Asking for the next message means the previous one was handled.
      const batch = current
      if (batch !== null && batch.index > 0) batch.resolveOffset((batch.messages[batch.index - 1] as KafkaMessage).offset)
      const item = take()
      if (item !== null) return { value: item, done: false }
      if (!started) {
        started = consumer.run({ ...options, eachBatch, eachBatchAutoResolve: true })
        try {
          await started
        } catch (error) {
          ended = true
          removeCrash()
          throw error
        }
      }
      if (ended && current === null) {
        if (failure) throw failure
        return { value: undefined, done: true }
      }
      waiting = deferred<IteratorResult<StreamMessage>>()
      const result = waiting.promise
      deliver()
      return result
    },
    async return(): Promise<IteratorResult<StreamMessage>> {
      await finish()
      return { value: undefined, done: true }
    },
    async throw(error?: unknown): Promise<IteratorResult<StreamMessage>> {
      await finish()
      throw error
    },
    [Symbol.asyncIterator]() {
      return iterator
    },
  }
  return iterator
}
