import type { Clock } from '@tributary/core'
import { checkObject, invalidConfig } from '@tributary/core/internal'
import type { KafkaClientOptions } from '@tributary/kafka-protocol'

/**
 * KafkaConnectOptions configure `Tributary.connect({ kafka })`: producers, consumers and admins
 * that talk to any Kafka cluster over the Kafka protocol (Apache Kafka, Redpanda, Amazon MSK,
 * Confluent Cloud, or Tributary's own `tributary serve`), with the same API as embedded.
 *
 * ```ts
 * const tb = await Tributary.connect({
 *   kafka: { brokers: ['kafka-1:9092'], clientId: 'billing', ssl: true,
 *            sasl: { mechanism: 'scram-sha-512', username, password } },
 * })
 * ```
 */
export interface KafkaConnectOptions {
  /** kafka: the cluster's bootstrap brokers, TLS, SASL and network settings (see KafkaClientOptions). */
  kafka: KafkaClientOptions
  /** clientId: reported to group coordinators; default `kafka.clientId`, else 'tributary'. */
  clientId?: string
  /** clock: time for timeouts, retries, heartbeats and metadata age. Default the system clock. */
  clock?: Clock
}

/** isKafkaConnect tells whether `connect` options ask for the Kafka backend. */
export function isKafkaConnect(options: unknown): options is KafkaConnectOptions {
  return options !== null && typeof options === 'object' && 'kafka' in options
}

/**
 * checkKafkaConnect checks the options around `kafka` (the Kafka client options themselves are
 * checked by KafkaBroker, with paths under `kafka.`).
 * @throws TributaryError INVALID_CONFIG with the option's path.
 */
export function checkKafkaConnect(options: KafkaConnectOptions): void {
  const o = checkObject(options, 'connect', ['kafka', 'clientId', 'clock', 'brokers'])
  if (o.brokers !== undefined)
    throw invalidConfig('connect.brokers', 'cannot be combined with kafka (kafka.brokers lists the Kafka cluster)')
  if (o.kafka === null || typeof o.kafka !== 'object' || Array.isArray(o.kafka)) throw invalidConfig('kafka', 'must be an object')
}
