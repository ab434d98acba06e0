import { deferred, type Deferred } from '../deferred'
import { ConsumerEvents } from '../events'
import type { Consumer } from './consumer'
import type { EachMessagePayload, KafkaMessage, RunOptions } from './types'

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

/**
 * consumerStream adapts `run({ eachMessage })` to an async iterator with back-pressure: the
 * handler hands its message to the iterator and waits until the loop asks for the next one, so
 * at most one message is outside the fetcher's bounded prefetch, and a message's offset is
 * committed only once the loop has moved past it.
 */
export function consumerStream(consumer: Consumer, options: StreamOptions): AsyncIterableIterator<StreamMessage> {
  let started: Promise<void> | null = null
  let ended = false
  let failure: unknown = null
  /** The message handed out, whose handler waits for the loop to come back for more. */
  let inHand: Deferred<void> | null = null
  /** A message offered by the handler that the loop has not taken yet. */
  let offered: { item: StreamMessage; done: Deferred<void> } | null = null
  let waiting: Deferred<IteratorResult<StreamMessage>> | null = null

  const deliver = (): void => {
    if (!waiting) return
    if (offered) {
      inHand = offered.done
      waiting.resolve({ value: offered.item, done: false })
      offered = null
      waiting = null
    } else if (ended) {
      const w = waiting
      waiting = null
      if (failure) w.reject(failure)
      else w.resolve({ value: undefined, done: true })
    }
  }

  const eachMessage = async ({ topic, partition, message }: EachMessagePayload): Promise<void> => {
    if (ended) throw new StreamEnded('stream ended')
    const done = deferred<void>()
    offered = { item: { topic, partition, message }, done }
    deliver()
    await done.promise
  }

  const finish = async (): Promise<void> => {
    if (ended) return
    ended = true
    removeCrash()
    // Stop first (handlers are then abandoned rather than retried), then release the parked handler.
    const stopping = consumer.stop()
    inHand?.reject(new StreamEnded('stream ended'))
    offered?.done.reject(new StreamEnded('stream ended'))
    inHand = null
    offered = null
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
      inHand?.resolve()
      inHand = null
      if (!started) {
        started = consumer.run({ ...options, eachMessage })
        try {
          await started
        } catch (error) {
          ended = true
          removeCrash()
          throw error
        }
      }
      if (ended && !offered) {
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
