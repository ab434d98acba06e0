import { readFileSync } from 'node:fs'
import { Tributary, type KafkaClientOptions, type KafkaSaslMechanism, type TributaryOptions } from '@tributary/client'

/**
 * openTributary is how every example opens Tributary: embedded with the example's own options,
 * or — when KAFKA_BROKERS is set — over the Kafka protocol to that Kafka cluster. The example's
 * producers, consumers and admin calls are the same either way; only this line differs.
 *
 *   KAFKA_BROKERS=kafka-1:9092,kafka-2:9092   bootstrap brokers (any Kafka: Apache Kafka, Redpanda, MSK, …)
 *   KAFKA_SSL=1 | KAFKA_SSL=/path/to/ca.pem   TLS, with the system CAs or this CA file
 *   KAFKA_SASL_MECHANISM=plain|scram-sha-256|scram-sha-512, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD
 */
export async function openTributary(embedded?: TributaryOptions): Promise<Tributary> {
  const kafka = kafkaOptionsFromEnv(process.env)
  if (kafka === null) return Tributary.open(embedded)
  return Tributary.connect({ kafka })
}

/** kafkaOptionsFromEnv reads the Kafka backend's options from KAFKA_* variables (null without KAFKA_BROKERS). */
export function kafkaOptionsFromEnv(env: NodeJS.ProcessEnv): KafkaClientOptions | null {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
  if (brokers.length === 0) return null
  const options: KafkaClientOptions = { brokers, clientId: env.KAFKA_CLIENT_ID ?? 'tributary-example' }
  const ssl = env.KAFKA_SSL
  if (ssl !== undefined && ssl !== '' && ssl !== '0' && ssl !== 'false')
    options.ssl = ssl === '1' || ssl === 'true' ? true : { ca: readFileSync(ssl, 'utf8') }
  if (env.KAFKA_SASL_MECHANISM) {
    options.sasl = {
      mechanism: env.KAFKA_SASL_MECHANISM.toLowerCase() as KafkaSaslMechanism,
      username: env.KAFKA_SASL_USERNAME ?? '',
      password: env.KAFKA_SASL_PASSWORD ?? '',
    }
  }
  return options
}
