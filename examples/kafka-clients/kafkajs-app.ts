import { Kafka, logLevel } from 'kafkajs'

/*
 * A KafkaJS app, unchanged from what it would be against Kafka but for its broker address
 * (KAFKA_BROKERS, e.g. a `tributary serve`): it creates a topic, produces keyed orders with an
 * idempotent producer, and reads them back in a consumer group.
 */

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

async function main(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')
  const kafka = new Kafka({ clientId: 'orders-app', brokers, logLevel: logLevel.ERROR })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'kafkajs-orders', numPartitions: 3 }] })
  await admin.disconnect()

  const producer = kafka.producer({ idempotent: true })
  await producer.connect()
  const orders = Array.from({ length: 6 }, (_, i) => ({ key: `customer-${i % 3}`, value: JSON.stringify({ order: i, total: 10 * i }) }))
  await producer.send({ topic: 'kafkajs-orders', acks: -1, messages: orders })
  await producer.disconnect()
  console.log(`produced ${orders.length} orders`)

  const consumer = kafka.consumer({ groupId: 'billing', maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topic: 'kafkajs-orders', fromBeginning: true })
  let received = 0
  await new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        console.log(`received partition=${partition} key=${message.key} value=${message.value}`)
        if (++received === orders.length) resolve()
      },
    })
  })
  await consumer.disconnect()
  console.log(`consumed ${received} orders`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
