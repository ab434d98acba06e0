import { type Served, serve } from '../tests/kafka/kit'

/**
 * kafkaEnv starts, for an example's test, a Kafka protocol server of our own (KafkaServer over a
 * LocalBroker on file storage) and returns the environment that points the example at it
 * (KAFKA_BROKERS), or — when the tests themselves run with KAFKA_BROKERS — that cluster's.
 */
export async function kafkaEnv(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  if (process.env.KAFKA_BROKERS) return { env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS }, close: async () => undefined }
  const served: Served = await serve({ storage: 'file', broker: { numPartitions: 1, minSessionTimeoutMs: 50 } })
  return { env: { KAFKA_BROKERS: served.bootstrap }, close: () => served.close() }
}
