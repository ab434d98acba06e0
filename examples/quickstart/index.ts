/**
 * Quickstart: open Tributary on disk, create a topic, produce keyed messages, consume them with a
 * consumer group, print what happened. Run with `pnpm demo` (or `pnpm tsx examples/quickstart/index.ts`).
 *
 * Data goes to $TRIBUTARY_DIR when set, otherwise to a fresh temporary directory that is removed
 * at the end. With KAFKA_BROKERS=host:port,… it runs unchanged against that Kafka cluster instead
 * (see ../open-tributary.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openTributary } from '../open-tributary'

const CUSTOMERS = ['alice', 'bob', 'carol']
const ORDERS_PER_CUSTOMER = 3

async function main(): Promise<void> {
  const dir = process.env.TRIBUTARY_DIR ?? (await mkdtemp(join(tmpdir(), 'tributary-quickstart-')))
  console.log(`data directory: ${dir}`)
  const tb = await openTributary({ dir })
  try {
    const admin = tb.admin()
    const created = await admin.createTopics({
      topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '604800000' }] }],
    })
    console.log(created ? 'created topic orders (3 partitions)' : 'topic orders already exists')

    // One message per order, keyed by customer: a customer's orders share a partition, so they stay in order.
    const producer = tb.producer({ lingerMs: 5 })
    const messages = CUSTOMERS.flatMap((customer) =>
      Array.from({ length: ORDERS_PER_CUSTOMER }, (_, n) => ({ key: customer, value: JSON.stringify({ customer, order: n + 1 }) })),
    )
    const sent = await producer.send({ topic: 'orders', messages, acks: 'all' })
    for (const r of sent) console.log(`sent to partition ${r.partition} from offset ${r.baseOffset}`)

    const consumer = tb.consumer({ groupId: 'billing' })
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true })
    const received: Array<{ customer: string; order: number }> = []
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const order = JSON.parse(String(message.value)) as { customer: string; order: number }
          console.log(`received partition=${partition} offset=${message.offset} key=${String(message.key)} order=${order.order}`)
          received.push(order)
          if (received.length >= messages.length) resolve()
        },
      })
    })
    await done
    // Stopping commits what was handled and leaves the group.
    await consumer.stop()
    console.log(`received ${received.length} messages`)
    const inOrder = CUSTOMERS.every((c) => received.filter((o) => o.customer === c).every((o, i) => o.order === i + 1))
    console.log(`per-key order: ${inOrder ? 'ok' : 'VIOLATED'}`)
    const offsets = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] })
    console.log(`group billing lag after consuming: ${offsets[0]?.partitions.reduce((n, p) => n + p.lag, 0)}`)
    if (!inOrder) process.exitCode = 1
  } finally {
    await tb.close()
    if (!process.env.TRIBUTARY_DIR) await rm(dir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
