import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tributary } from '@tributary/client'
import { LocalBroker } from '@tributary/core'
import { KafkaServer } from '@tributary/kafka-protocol'
import { FileStorage } from '@tributary/storage-file'

/*
 * A Node service that embeds Tributary (its own log on disk, no broker to run) and opens it to
 * other languages through the Kafka protocol: it writes events with Tributary's producer, and a
 * Python consumer (python-app.py with TOPIC=service-events) reads them with confluent-kafka.
 */

async function main(): Promise<void> {
  const dir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'embedded-service-'))
  const broker = await LocalBroker.open({ storage: new FileStorage({ dir }) })
  const server = await KafkaServer.start({ broker, listen: process.env.KAFKA_LISTEN ?? '127.0.0.1:0' })
  const tb = await Tributary.open({ broker })
  await tb.admin().createTopics({ topics: [{ topic: 'service-events', numPartitions: 2 }] })
  const producer = tb.producer({ acks: 'all' })
  await producer.send({ topic: 'service-events', messages: Array.from({ length: 4 }, (_, i) => ({ key: `job-${i}`, value: `done ${i}` })) })
  console.log(`kafka listening on ${server.advertised.host}:${server.advertised.port}`)
  const stop = async () => {
    await server.close()
    await tb.close()
    await broker.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
