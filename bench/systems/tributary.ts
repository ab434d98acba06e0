import { messagePool } from '../lib/data'
import { nowMs } from '../lib/stats'
import type { Params } from '../lib/types'
import { createTopic, openTributary, type ConsumerApi, type StorageKind, type TributaryApi } from './tributary-api'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * tributary-memory, tributary-file and tributary-sqlite: the library itself, driven the way a
 * user would, in one of two profiles (the task's `profile` param):
 *
 * - `defaults` (the headline rows): a topic of 8 partitions, the producer with its default
 *   options (acks all, idempotent, 16 KiB batches) unless the task sets `acks: 1`, messages spread
 *   by the default partitioner over their keys; one consumer-group member with default options
 *   and the task's `handler`: `eachMessage`, `eachBatch` or `stream()`.
 * - `tuned` (the default when a task names none, as backlog and cluster do): one partition, a
 *   producer with acks 1, not idempotent, lingerMs 0 and batchSizeBytes 1 MiB, so that one send of
 *   1,000 messages is one record batch; `eachBatch`.
 *
 * Every handler touches every value.
 */

/** TributaryProfile is how a session sets Tributary up; see above. */
export interface TributaryProfile {
  partitions: number
  /** producer options; `{}` is the defaults. */
  producer: Record<string, unknown>
  /** acks for each send; undefined leaves the producer's. */
  acks: 1 | 'all' | undefined
  handler: 'eachMessage' | 'eachBatch' | 'stream'
}

const TUNED: TributaryProfile = {
  partitions: 1,
  producer: { acks: 1, idempotent: false, lingerMs: 0, batchSizeBytes: 1024 * 1024 },
  acks: 1,
  handler: 'eachBatch',
}

/** DEFAULT_PARTITIONS is the headline rows' topic size. */
export const DEFAULT_PARTITIONS = 8

/** profileOf reads a task's params: `profile` (`defaults` or `tuned`), `acks`, `handler`, `partitions`. */
export function profileOf(params: Params | undefined): TributaryProfile {
  if (!params || params.profile !== 'defaults') return TUNED
  const acks = params.acks === 1 ? 1 : undefined
  return {
    partitions: typeof params.partitions === 'number' ? params.partitions : DEFAULT_PARTITIONS,
    producer: acks === 1 ? { acks: 1 } : {},
    acks,
    handler: params.handler === 'eachMessage' || params.handler === 'stream' ? params.handler : 'eachBatch',
  }
}

export const TOPIC = 'bench'
export const GROUP_ID = 'bench-group'

/** TributarySession drives one Tributary instance (embedded, or connected to a Kafka cluster) as a LogSession. */
export class TributarySession implements LogSession {
  private topicCreated = false

  constructor(
    private readonly tb: TributaryApi,
    private readonly profile: TributaryProfile = TUNED,
  ) {}

  async produce({ count, batchSize, deadlineMs, untimed }: ProduceOptions): Promise<number> {
    await this.ensureTopic()
    const pool = messagePool()
    // An untimed fill (a consume workload's backlog) writes the same partitions, only faster.
    const producerOptions = untimed ? TUNED.producer : this.profile.producer
    const acks = untimed ? TUNED.acks : this.profile.acks
    const producer = this.tb.producer(producerOptions)
    await producer.connect?.()
    let sent = 0
    while (sent < count && nowMs() < deadlineMs) {
      const n = Math.min(batchSize, count - sent)
      await producer.send(
        acks === undefined ? { topic: TOPIC, messages: pool.batch(sent, n) } : { topic: TOPIC, messages: pool.batch(sent, n), acks },
      )
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
    if (this.profile.handler === 'stream') {
      if (!consumer.stream) throw new Error('this client has no stream()')
      const iterator = consumer.stream()
      const stopAt = setTimeout(() => void iterator.return?.(), Math.max(0, deadlineMs - nowMs()))
      try {
        for await (const { message } of iterator) {
          valueBytes += message.value?.length ?? 0
          if (++seen >= count) break
        }
      } finally {
        clearTimeout(stopAt)
      }
      await consumer.disconnect?.()
      return seen
    }
    const seenAll = new Promise<void>((resolve) => {
      const running =
        this.profile.handler === 'eachMessage'
          ? consumer.run({
              eachMessage: async ({ message }) => {
                valueBytes += message.value?.length ?? 0
                if (++seen >= count) resolve()
              },
            })
          : consumer.run({
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
    await createTopic(this.tb, TOPIC, this.profile.partitions)
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
    open: async (dir, params) => new TributarySession(await openTributary(kind, dir), profileOf(params)),
  }
}

export const tributaryMemory = tributarySystem('memory')
export const tributaryFile = tributarySystem('file')
export const tributarySqlite = tributarySystem('sqlite')
