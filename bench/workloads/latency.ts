import { MESSAGE_PAYLOAD_BYTES, VALUE_BYTES, messagePool } from '../lib/data'
import { LatencySamples, nowMs } from '../lib/stats'
import type { Measurement, Task } from '../lib/types'
import { GROUP_ID, TOPIC, stopConsumer, untilDeadline } from '../systems/tributary'
import { createTopic, openTributary, type StorageKind, type TributaryApi } from '../systems/tributary-api'
import { byMode } from './log-tasks'
import type { Workload } from './types'

/**
 * latency: one producer sends single messages on a fixed schedule of 10,000 msgs/s while one
 * group member consumes with `eachMessage`. Latency runs from the moment a message was
 * *scheduled* to be sent (written into its value) to its `eachMessage`, so a stall delays every
 * message behind it instead of hiding (no coordinated omission). The producer uses its default
 * options (acks all, idempotent, lingerMs 0), as the row; `tributary-file acks=1` is the
 * same with acks 1 and not idempotent, for comparison.
 *
 * The schedule is kept by yielding to the event loop with `setImmediate` while the next message
 * is due within SPIN_BELOW_MS (always, at this rate), so each message leaves within a few
 * microseconds of its time: a `setTimeout` tick of 1 ms (Node's smallest) would add up to a
 * millisecond of the load generator's own lag to every message. The price is one core kept busy
 * by the generator, which shares the event loop with the broker and the consumer.
 */

const RATE_PER_SEC = 10_000
/** Below this much time to the next message the scheduler yields with setImmediate instead of a timer. */
const SPIN_BELOW_MS = 2
/** MAX_IN_FLIGHT bounds unacknowledged sends; past it the scheduler waits (and latency shows it). */
const MAX_IN_FLIGHT = 10_000
const PRIME_LIMIT_MS = 15_000

interface LatencyConsumer {
  /** primed resolves when the priming message (scheduled time -1) arrives: joined and fetching. */
  primed: Promise<void>
  /** done resolves when `total` timed messages have arrived (or the consumer failed). */
  done: Promise<void>
  stop(): Promise<void>
  /** failure is the error `run` rejected with, if it did. */
  failure(): unknown
}

/** startConsumer starts the group member that records each message's latency. */
async function startConsumer(tb: TributaryApi, samples: LatencySamples, total: number): Promise<LatencyConsumer> {
  const consumer = tb.consumer({ groupId: GROUP_ID })
  await consumer.connect?.()
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  let primedResolve: () => void = () => {}
  const primed = new Promise<void>((resolve) => (primedResolve = resolve))
  let finished: () => void = () => {}
  const done = new Promise<void>((resolve) => (finished = resolve))
  let seen = 0
  const running = consumer.run({
    eachMessage: async ({ message }) => {
      const scheduledAtMs = message.value!.readDoubleLE(0)
      if (scheduledAtMs < 0) return primedResolve()
      samples.add(nowMs() - scheduledAtMs)
      if (++seen >= total) finished()
    },
  })
  let failure: unknown = null
  running.catch((error: unknown) => {
    failure = error
    finished()
  })
  return { primed, done, stop: () => stopConsumer(consumer), failure: () => failure }
}

async function measureLatency(task: Task, dir: string): Promise<Measurement> {
  const tb = await openTributary(task.system.replace('tributary-', '') as StorageKind, dir)
  await createTopic(tb, TOPIC, 1)
  const acks1 = task.params.acks === 1
  const producer = tb.producer(acks1 ? { acks: 1, idempotent: false, lingerMs: 0 } : {})
  await producer.connect?.()
  const pool = messagePool()
  const samples = new LatencySamples(task.messages)
  const consumer = await startConsumer(tb, samples, task.messages)

  const message = (i: number, scheduledAtMs: number) => {
    const value = Buffer.allocUnsafe(VALUE_BYTES)
    pool.at(i).value.copy(value)
    value.writeDoubleLE(scheduledAtMs, 0)
    return { key: pool.at(i).key, value }
  }
  const acks = acks1 ? 1 : 'all'
  await producer.send({ topic: TOPIC, messages: [message(0, -1)], acks })
  await untilDeadline(consumer.primed, nowMs() + PRIME_LIMIT_MS)

  let inFlight = 0
  let sent = 0
  const startMs = nowMs()
  const deadlineMs = startMs + task.timeLimitMs
  while (sent < task.messages && nowMs() < deadlineMs) {
    const due = Math.min(task.messages, Math.floor(((nowMs() - startMs) * RATE_PER_SEC) / 1000))
    while (sent < due && inFlight < MAX_IN_FLIGHT) {
      const scheduledAtMs = startMs + (sent * 1000) / RATE_PER_SEC
      inFlight++
      void producer.send({ topic: TOPIC, messages: [message(sent, scheduledAtMs)], acks }).finally(() => inFlight--)
      sent++
    }
    const untilNextMs = startMs + (sent * 1000) / RATE_PER_SEC - nowMs()
    if (untilNextMs < SPIN_BELOW_MS) await new Promise((resolve) => setImmediate(resolve))
    else await new Promise((resolve) => setTimeout(resolve, untilNextMs - 1))
  }
  await untilDeadline(consumer.done, deadlineMs + 5_000)
  const elapsedMs = nowMs() - startMs
  await consumer.stop()
  if (consumer.failure()) throw consumer.failure()
  await producer.disconnect?.()
  await tb.close()
  return {
    messages: samples.count,
    elapsedMs,
    payloadBytes: samples.count * MESSAGE_PAYLOAD_BYTES,
    ...samples.summary(),
    extra: { targetRatePerSec: RATE_PER_SEC },
  }
}

export const latency: Workload = {
  name: 'latency',
  summary: 'produce-to-eachMessage latency at a fixed 10,000 msgs/s (p50/p99/p999)',
  plan(mode) {
    const seconds = byMode(mode, 3, 10)
    const rows: Array<[string, string, number | 'all']> = [
      ['tributary-memory', 'tributary-memory', 'all'],
      ['tributary-file', 'tributary-file', 'all'],
      ['tributary-file', 'tributary-file acks=1', 1],
      ['tributary-sqlite', 'tributary-sqlite', 'all'],
    ]
    return rows.map(([system, label, acks]) => ({
      workload: 'latency',
      system,
      label,
      messages: seconds * RATE_PER_SEC,
      timeLimitMs: seconds * 1000 + 2_000,
      params: { ratePerSec: RATE_PER_SEC, acks },
    }))
  },
  run: measureLatency,
}
