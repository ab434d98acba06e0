import { LocalBroker, MemoryStorage, systemClock, type Broker, type Storage } from '@tributary/core'
import { KafkaBroker, registerKafkaCodecs } from '@tributary/kafka-protocol'
import { FileStorage } from '@tributary/storage-file'
import { Admin } from './admin'
import { assertOpen, keepAliveCounter, type ClientContext } from './context'
import { Consumer } from './consumer/consumer'
import { type KafkaConnectOptions, checkKafkaConnect, isKafkaConnect } from './kafka-connect'
import {
  resolveTributaryOptions,
  type ConsumerOptions,
  type ProducerOptions,
  type ResolvedTributaryOptions,
  type TributaryOptions,
} from './options'
import { BrokerTraffic } from './observe/broker-metrics'
import { instrumentBroker } from './observe/instrument'
import { collectMetrics, type MetricsSnapshot } from './observe/snapshot'
import { Producer } from './producer/producer'
import { RemoteBroker } from './remote/remote-broker'
import type { ConnectOptions } from './remote/options'

/** MAX_TRACKED_PRODUCERS bounds the producers whose own metrics a Tributary keeps (the newest). */
const MAX_TRACKED_PRODUCERS = 256

/**
 * Tributary is the entry point: it owns (or borrows) a broker and makes producers, consumers and
 * admins that talk to it.
 *
 * ```ts
 * const tb = await Tributary.open({ dir: './data' })
 * const producer = tb.producer()
 * await producer.send({ topic: 'orders', messages: [{ key: 'c-1', value: '{"total":42}' }] })
 * await tb.close()
 * ```
 */
export class Tributary {
  private readonly producers = new Set<Producer>()
  private readonly consumers = new Set<Consumer>()
  private closing: Promise<void> | null = null
  private readonly ctx: ClientContext
  /** Traffic of every client of this Tributary (produce and fetch through its broker). */
  private readonly traffic = new BrokerTraffic()
  /** Each producer's own traffic, newest last (bounded: the oldest are dropped beyond MAX_TRACKED_PRODUCERS). */
  private readonly producerTraffic: Array<{ name: string; clientId: string; traffic: BrokerTraffic }> = []
  private producersMade = 0

  private constructor(
    /** broker is the Broker every client of this Tributary talks to. */
    readonly broker: Broker,
    private readonly ownsBroker: boolean,
    options: ResolvedTributaryOptions,
  ) {
    this.ctx = {
      broker: instrumentBroker(broker, [this.traffic], options.clientId),
      clock: options.clock ?? systemClock,
      clientId: options.clientId,
      logger: options.logger,
      isClosed: () => this.closing !== null,
      keepAlive: keepAliveCounter(),
    }
  }

  /**
   * open starts a Tributary: `{ dir }` opens file storage in that directory, `{ storage }` any
   * Storage, `{ broker }` any Broker (not closed by `close()`); with none of them, data lives in
   * memory. Throws INVALID_CONFIG for bad options, STORAGE_LOCKED when another process holds `dir`.
   */
  static async open(options?: TributaryOptions): Promise<Tributary> {
    const resolved = resolveTributaryOptions(options)
    // Every Kafka codec is built in (snappy, lz4, zstd load their native package on first use):
    // before the broker opens, since recovery and compaction may read compressed batches.
    registerKafkaCodecs()
    if (resolved.broker) return new Tributary(resolved.broker, false, resolved)
    const clock = resolved.clock ?? systemClock
    const storage: Storage =
      resolved.storage ??
      (resolved.dir !== undefined ? new FileStorage({ dir: resolved.dir, clock, logger: resolved.logger }) : new MemoryStorage({ clock }))
    const broker = await LocalBroker.open({ ...resolved.brokerOptions, storage, clock })
    return new Tributary(broker, true, resolved)
  }

  /**
   * connect makes a Tributary for an application that hosts no node.
   *
   * - `{ brokers: ['host:port', ...] }`: producers, consumers and admins talk to a Tributary
   *   cluster's nodes over TCP (some of the nodes' `listen` addresses; the rest are learnt from
   *   metadata). Produce and fetch go straight to each partition's leader, other calls to any live
   *   node, and a lost node's work moves to the others. Requests fail with LEADER_NOT_AVAILABLE
   *   (retriable) when no broker can be reached and REQUEST_TIMED_OUT (retriable) when one does not answer.
   * - `{ kafka: { brokers, clientId, ssl, sasl, … } }`: the same clients over the Kafka protocol,
   *   against any Kafka cluster (see KafkaConnectOptions and `@tributary/kafka-protocol`'s
   *   KafkaBroker). Requests fail with NETWORK_EXCEPTION (retriable) when no broker can be reached,
   *   SASL_AUTHENTICATION_FAILED for refused credentials, and Kafka's own error codes otherwise.
   *
   * No connection is made until the first request. `close()` closes every connection.
   * @throws TributaryError INVALID_CONFIG for bad options (with the option's path).
   */
  static async connect(options: ConnectOptions | KafkaConnectOptions): Promise<Tributary> {
    if (isKafkaConnect(options)) return Tributary.connectKafka(options)
    const { clientId, clock, logger, logLevel, ...network } = options ?? ({} as ConnectOptions)
    const resolved = resolveTributaryOptions({ clientId, clock, logger, logLevel })
    registerKafkaCodecs()
    const broker = new RemoteBroker(network, resolved.clock ?? systemClock)
    return new Tributary(broker, true, resolved)
  }

  private static connectKafka(options: KafkaConnectOptions): Tributary {
    checkKafkaConnect(options)
    const resolved = resolveTributaryOptions({
      clientId: options.clientId ?? options.kafka.clientId,
      clock: options.clock,
      logger: options.logger,
      logLevel: options.logLevel,
    })
    registerKafkaCodecs()
    const broker = new KafkaBroker(
      { ...options.kafka, clientId: options.kafka.clientId ?? resolved.clientId },
      resolved.clock ?? systemClock,
    )
    return new Tributary(broker, true, resolved)
  }

  /** producer makes a producer. Throws INVALID_CONFIG for bad options, CLIENT_CLOSED after close. */
  producer(options?: ProducerOptions): Producer {
    assertOpen(this.closing !== null, 'tributary.producer')
    const traffic = new BrokerTraffic()
    this.producerTraffic.push({ name: `producer-${++this.producersMade}`, clientId: this.ctx.clientId, traffic })
    if (this.producerTraffic.length > MAX_TRACKED_PRODUCERS) this.producerTraffic.shift()
    const producer = new Producer(
      { ...this.ctx, broker: instrumentBroker(this.broker, [this.traffic, traffic], this.ctx.clientId) },
      options,
    )
    this.producers.add(producer)
    return producer
  }

  /** consumer makes a consumer in group `options.groupId`. Throws INVALID_CONFIG, CLIENT_CLOSED. */
  consumer(options: ConsumerOptions): Consumer {
    assertOpen(this.closing !== null, 'tributary.consumer')
    const consumer = new Consumer(this.ctx, options, (c) => this.consumers.delete(c))
    this.consumers.add(consumer)
    return consumer
  }

  /** admin makes an admin client. Throws CLIENT_CLOSED after close. */
  admin(): Admin {
    assertOpen(this.closing !== null, 'tributary.admin')
    return new Admin(this.ctx)
  }

  /**
   * metrics takes a snapshot: per topic and partition the messages and bytes produced and consumed
   * through this Tributary, start and end offsets, leader, replicas and ISR; per group its lag per
   * partition; per producer its batch sizes and send latency histogram; the storage's flush
   * latency and segment counts and, on a cluster node, Raft and replication (see MetricsSnapshot).
   * Counters run from when this Tributary was made. Throws CLIENT_CLOSED after close.
   */
  metrics(): Promise<MetricsSnapshot> {
    assertOpen(this.closing !== null, 'tributary.metrics')
    return collectMetrics({ broker: this.broker, traffic: this.traffic, producers: this.producerTraffic })
  }

  /**
   * close flushes every producer, stops every consumer (each commits and leaves its group), and
   * closes the broker and its storage if this Tributary opened them. Later calls on it or its
   * clients throw CLIENT_CLOSED; calling close again waits for the first close.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    // Clients check `isClosed()` for new calls; work already under way is allowed to finish.
    await Promise.allSettled([...this.producers].map((p) => p.disconnect()))
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()))
    if (this.ownsBroker) await this.broker.close()
  }
}
