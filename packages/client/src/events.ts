import { EventEmitter } from 'eventemitter3'
import { defaultLogger, type Logger } from '@tributary/core'

/**
 * Client events, named as KafkaJS names them so that dashboards and watchdogs written for KafkaJS
 * carry over. Every listener receives `{ id, type, timestamp, payload }`.
 */

/** ConsumerEvents are the event names a consumer emits (`consumer.events.GROUP_JOIN`, …). */
export const ConsumerEvents = Object.freeze({
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
} as const)

/** ProducerEvents are the event names a producer emits. */
export const ProducerEvents = Object.freeze({
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
} as const)

export type ConsumerEventName = (typeof ConsumerEvents)[keyof typeof ConsumerEvents]
export type ProducerEventName = (typeof ProducerEvents)[keyof typeof ProducerEvents]

/** ClientEvent is what every listener receives. */
export interface ClientEvent<P = Record<string, unknown>> {
  /** Increases by one per event of this client. */
  id: number
  type: string
  /** When the event was emitted (ms since the epoch, from the client's clock). */
  timestamp: number
  payload: P
}

/** RemoveListener undoes an `on()`. */
export type RemoveListener = () => void

/**
 * ClientEmitter wraps eventemitter3 with KafkaJS's `on(event, fn)` returning a remover, and an
 * `emit` that builds the event envelope. A listener that throws is logged (an error line) instead
 * of breaking the client, because liveness must never depend on user code.
 */
export class ClientEmitter<Name extends string> {
  private readonly emitter = new EventEmitter()
  private nextId = 0

  constructor(
    private readonly now: () => number,
    private readonly logger: Logger = defaultLogger(),
  ) {}

  /** on registers `listener` for `event` and returns a function that removes it. */
  on<P = Record<string, unknown>>(event: Name, listener: (event: ClientEvent<P>) => void): RemoveListener {
    const safe = (e: ClientEvent<P>): void => {
      try {
        listener(e)
      } catch (error) {
        this.logger.error(`a '${event}' event listener threw`, { event, error: error instanceof Error ? error : String(error) })
      }
    }
    this.emitter.on(event, safe)
    return () => {
      this.emitter.off(event, safe)
    }
  }

  /** listens tells whether `event` has a listener (so that a hot path builds its payload only then). */
  listens(event: Name): boolean {
    return this.emitter.listenerCount(event) > 0
  }

  /** emit delivers `payload` to the listeners of `event`. */
  emit(event: Name, payload: Record<string, unknown>): void {
    if (this.emitter.listenerCount(event) === 0) return
    this.emitter.emit(event, { id: this.nextId++, type: event, timestamp: this.now(), payload })
  }

  /** removeAll drops every listener (used when a client is closed). */
  removeAll(): void {
    this.emitter.removeAllListeners()
  }
}
