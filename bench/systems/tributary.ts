import { messagePool } from '../lib/data'
import { nowMs } from '../lib/stats'
import { createTopic, openTributary, type ConsumerApi, type StorageKind, type TributaryApi } from './tributary-api'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * tributary-memory, tributary-file and tributary-sqlite: the library itself, driven the way a
 * user would. Produce is one producer (acks=1, not idempotent, lingerMs 0, batchSizeBytes 1 MiB
 * so that one send of 1,000 messages is one record batch). Consume is one consumer-group member
 * with `eachBatch`, touching every value.
 */

export const TOPIC = 'bench'
export const GROUP_ID = 'bench-group'
const BATCH_BYTES = 1024 * 1024

/** TributarySession drives one Tributary instance (embedded, or connected to a Kafka cluster) as a LogSession. */
export class TributarySession implements LogSession {
  private topicCreated = false

  constructor(private readonly tb: TributaryApi) {}

  async produce({ count, batchSize, deadlineMs }: ProduceOptions): Promise<number> {
    await this.ensureTopic()
    const pool = messagePool()
    const producer = this.tb.producer({ acks: 1, idempotent: false, lingerMs: 0, batchSizeBytes: BATCH_BYTES })
    await producer.connect?.()
    let sent = 0
    while (sent < count && nowMs() < deadlineMs) {
      const n = Math.min(batchSize, count - sent)
      await producer.send({ topic: TOPIC, messages: pool.batch(sent, n), acks: 1 })
      sent += n
    }
    await producer.disconnect?.()
    return sent
  }

  async consume(count: number, deadlineMs: number): Promise<number> {
    const consumer = this.tb.consumer({ groupId: GROUP_ID })
    await consumer.connect?.()
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
    let seen = 0
    let valueBytes = 0
    let failure: unknown = null
    const seenAll = new Promise<void>((resolve) => {
      const running = consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) valueBytes += message.value?.length ?? 0
          seen += batch.messages.length
          if (seen >= count) resolve()
        },
      })
      running.catch((error: unknown) => {
        failure = error
        resolve()
      })
    })
    await untilDeadline(seenAll, deadlineMs)
    await stopConsumer(consumer)
    if (failure) throw failure
    if (valueBytes < 0) throw new Error('unreachable')
    return seen
  }

  private async ensureTopic(): Promise<void> {
    if (this.topicCreated) return
    await createTopic(this.tb, TOPIC, 1)
    this.topicCreated = true
  }

  async close(): Promise<void> {
    await this.tb.close()
  }

  serverPeakRssBytes(): number {
    return 0
  }
}

/** untilDeadline waits for `promise` or the deadline, whichever comes first. */
export async function untilDeadline(promise: Promise<void>, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadlineMs - nowMs()))))
  await Promise.race([promise, deadline])
  clearTimeout(timer)
}

/** stopConsumer stops and disconnects a consumer, whichever of the two it offers. */
export async function stopConsumer(consumer: ConsumerApi): Promise<void> {
  await consumer.stop?.()
  await consumer.disconnect?.()
}

function tributarySystem(kind: StorageKind): LogSystem {
  return {
    name: `tributary-${kind}`,
    persistent: kind !== 'memory',
    open: async (dir) => new TributarySession(await openTributary(kind, dir)),
  }
}

export const tributaryMemory = tributarySystem('memory')
export const tributaryFile = tributarySystem('file')
export const tributarySqlite = tributarySystem('sqlite')
