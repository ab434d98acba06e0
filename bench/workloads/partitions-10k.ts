import { MESSAGE_PAYLOAD_BYTES, messagePool } from '../lib/data'
import { openDescriptors } from '../lib/memory'
import { nowMs } from '../lib/stats'
import type { Measurement, Task } from '../lib/types'
import { createTopic, openTributary, type StorageKind, type TributaryApi } from '../systems/tributary-api'
import type { Workload } from './types'

/**
 * partitions-10k: one topic of 10,000 partitions is created, one message is produced to each
 * (sends of 1,000, each message naming its partition; default producer options, or acks 1 with
 * the task param `acks: 1`), the instance is closed and opened again
 * (recovery), and one more message goes to each partition (so lazily recovered partitions are
 * opened too). Reported: the first produce rate, and in `extra` each step's time and the open
 * descriptors (/proc/self/fd) after producing, after reopening and at the end. Peak RSS is the
 * child's.
 */

const PARTITIONS = 10_000
const TOPIC = 'partitions-10k'
const SEND_MESSAGES = 1_000

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const startMs = nowMs()
  const value = await fn()
  return [value, nowMs() - startMs]
}

/**
 * produceToEach sends one message to each partition, in sends of 1,000, with the producer's
 * default options (acks all, idempotent), as the row; `acks: 1` (param) for comparison.
 */
async function produceToEach(tb: TributaryApi, acks1: boolean): Promise<void> {
  const pool = messagePool()
  const producer = tb.producer(acks1 ? { acks: 1 } : {})
  await producer.connect?.()
  for (let from = 0; from < PARTITIONS; from += SEND_MESSAGES) {
    const messages = pool.batch(from, SEND_MESSAGES).map(({ key, value }, i) => ({ key, value, partition: from + i }))
    await producer.send(acks1 ? { topic: TOPIC, messages, acks: 1 } : { topic: TOPIC, messages })
  }
  await producer.disconnect?.()
}

async function measurePartitions(task: Task, dir: string): Promise<Measurement> {
  const kind = task.system.replace('tributary-', '') as StorageKind
  const [tb, openMs] = await timed(() => openTributary(kind, dir))
  const [, createMs] = await timed(() => createTopic(tb, TOPIC, PARTITIONS))
  const acks1 = task.params.acks === 1
  const [, produceMs] = await timed(() => produceToEach(tb, acks1))
  const fdsAfterProduce = openDescriptors()
  const [, closeMs] = await timed(() => tb.close())
  const [reopened, recoveryMs] = await timed(() => openTributary(kind, dir))
  const fdsAfterReopen = openDescriptors()
  // A storage may recover partitions lazily; sending to every partition again makes it open them all.
  const [, produceAfterReopenMs] = await timed(() => produceToEach(reopened, acks1))
  const fdsAtEnd = openDescriptors()
  const [, finalCloseMs] = await timed(() => reopened.close())
  const round = (ms: number) => Math.round(ms * 10) / 10
  return {
    messages: PARTITIONS,
    elapsedMs: produceMs,
    payloadBytes: PARTITIONS * MESSAGE_PAYLOAD_BYTES,
    extra: {
      openMs: round(openMs),
      createMs: round(createMs),
      produceMs: round(produceMs),
      closeMs: round(closeMs),
      recoveryMs: round(recoveryMs),
      produceAfterReopenMs: round(produceAfterReopenMs),
      finalCloseMs: round(finalCloseMs),
      fdsAfterProduce,
      fdsAfterReopen,
      fdsAtEnd,
    },
  }
}

export const partitions10k: Workload = {
  name: 'partitions-10k',
  summary: '10,000 partitions: create, one message each, close, reopen (recovery time), peak RSS, open fds',
  plan: () =>
    (
      [
        ['tributary-file', 'tributary-file', 'all'],
        ['tributary-sqlite', 'tributary-sqlite', 'all'],
      ] as const
    ).map(([system, label, acks]) => ({
      workload: 'partitions-10k',
      system,
      label,
      messages: PARTITIONS,
      timeLimitMs: 120_000,
      params: { partitions: PARTITIONS, acks },
    })),
  run: measurePartitions,
}
