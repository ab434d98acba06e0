import { EventEmitter } from 'eventemitter3'
import { nonRetriable } from './errors'
import type { Logger } from './logger'
import type { InstrumentationEvent, InstrumentationListener } from './types'

/**
 * KafkaJS's instrumentation events: the names of `consumer.events`, `producer.events` and
 * `admin.events`, and an emitter whose `on()` checks the name, returns a remover and never lets a
 * listener's failure reach the client (it is logged, as KafkaJS does).
 */

/** ConsumerEvents are `consumer.events`. REQUEST*, RECEIVED_UNSUBSCRIBED_TOPICS are accepted but never emitted. */
export const ConsumerEvents = Object.freeze({
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH: 'consumer.fetch',
  FETCH_START: 'consumer.fetch_start',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const)

/** ProducerEvents are `producer.events`. REQUEST* are accepted but never emitted. */
export const ProducerEvents = Object.freeze({
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const)

/** AdminEvents are `admin.events`. REQUEST* are accepted but never emitted. */
export const AdminEvents = Object.freeze({
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
} as const)

/** KafkaJS numbers events with one counter per process. */
let nextEventId = 0

/** InstrumentationEmitter is one client's event hub. */
export class InstrumentationEmitter<Names extends Readonly<Record<string, string>>> {
  private readonly emitter = new EventEmitter()
  private readonly names: ReadonlySet<string>

  constructor(
    private readonly events: Names,
    private readonly kind: 'consumer' | 'producer' | 'admin',
    private readonly logger: Logger,
  ) {
    this.names = new Set(Object.values(events))
  }

  /** on registers a listener and returns its remover. Throws KafkaJSNonRetriableError for a name not in `events`. */
  on(eventName: Names[keyof Names], listener: InstrumentationListener): () => void {
    if (!this.names.has(eventName)) {
      const keys = Object.keys(this.events).map((k) => `${this.kind}.events.${k}`)
      throw nonRetriable(`Event name should be one of ${keys.join(', ')}`)
    }
    const report = (e: unknown): void => {
      const error = e instanceof Error ? e : new Error(String(e))
      this.logger.error(`Failed to execute listener: ${error.message}`, { eventName, stack: error.stack })
    }
    // Called synchronously, as KafkaJS does; a throw or a rejection is logged, never propagated.
    const safe = (event: InstrumentationEvent<unknown>): void => {
      try {
        Promise.resolve(listener(event)).catch(report)
      } catch (e) {
        report(e)
      }
    }
    this.emitter.on(eventName, safe)
    return () => {
      this.emitter.off(eventName, safe)
    }
  }

  /** hasListeners tells whether building an event's payload is worth it. */
  hasListeners(eventName: Names[keyof Names]): boolean {
    return this.emitter.listenerCount(eventName) > 0
  }

  /** emit delivers `payload` to the listeners of `eventName`, in KafkaJS's envelope. */
  emit(eventName: Names[keyof Names], payload?: unknown): void {
    if (this.emitter.listenerCount(eventName) === 0) return
    const event: InstrumentationEvent<unknown> = { id: nextEventId++, type: eventName, timestamp: Date.now(), payload }
    this.emitter.emit(eventName, event)
  }
}
