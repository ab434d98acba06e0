import { KafkaBroker } from '@tributary/kafka-protocol'
import { runBrokerConformance } from '@tributary/core/testing'
import { serve } from '../kafka/kit'
import { KafkaCluster } from './kafka-cluster'
import { externalBrokers } from './kit'

/*
 * The Broker conformance suite (@tributary/core/testing) against KafkaBroker: over a KafkaServer
 * on a LocalBroker, over a three-process Tributary cluster with Kafka listeners, or — with
 * KAFKA_BROKERS set — over that Kafka cluster.
 */

const external = externalBrokers()

if (external !== null) {
  runBrokerConformance('kafka (KAFKA_BROKERS)', {
    async create() {
      const broker = new KafkaBroker({ brokers: external })
      return { broker, cleanup: () => broker.close() }
    },
  })
} else {
  runBrokerConformance('kafka over KafkaServer', {
    async create() {
      const served = await serve({ broker: { minSessionTimeoutMs: 6_000, initialRebalanceDelayMs: 0 } })
      const broker = new KafkaBroker({ brokers: [served.bootstrap] })
      return {
        broker,
        cleanup: async () => {
          await broker.close()
          await served.close()
        },
      }
    },
  })
  runBrokerConformance(
    'kafka over a three-process cluster',
    {
      async create() {
        // 100 ms ticks (elections after 1–2 s): the suite checks answers, not failover, and a
        // loaded machine must not move leaders under it.
        const cluster = await KafkaCluster.start(3, 100)
        const broker = new KafkaBroker({ brokers: cluster.bootstrap })
        return {
          broker,
          cleanup: async () => {
            await broker.close()
            await cluster.stop()
          },
        }
      },
    },
    { nodes: 3 },
  )
}
