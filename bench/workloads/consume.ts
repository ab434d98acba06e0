import { MESSAGE_PAYLOAD_BYTES } from '../lib/data'
import { nowMs } from '../lib/stats'
import { logSystem } from '../systems'
import { BATCH_MESSAGES, byMode, logTasks } from './log-tasks'
import type { Workload } from './types'

/**
 * consume: N messages are produced (not timed), a persistent system is closed and opened again
 * (so reads come through its storage, not a cache of the producer), and one consumer-group
 * member reads the whole backlog from the beginning, touching every value.
 */
const SYSTEMS = [
  'tributary-memory',
  'tributary-file',
  'tributary-sqlite',
  'baseline-array',
  'baseline-fs',
  'baseline-sqlite',
  'redis-streams',
  'nats-jetstream',
  'tributary-kafka-client',
  'kafkajs',
  'librdkafka',
]

export const consume: Workload = {
  name: 'consume',
  summary: 'one group member reads a backlog of N messages from the beginning',
  plan: (mode) => logTasks('consume', SYSTEMS, byMode(mode, 250_000, 1_000_000), byMode(mode, 5_000, 60_000)),
  async run(task, dir) {
    const system = logSystem(task.system)
    let session = await system.open(dir)
    const fillDeadlineMs = nowMs() + task.timeLimitMs
    const produced = await session.produce({ count: task.messages, batchSize: BATCH_MESSAGES, deadlineMs: fillDeadlineMs })
    if (system.persistent) {
      await session.close()
      session = await system.open(dir)
    }
    const startMs = nowMs()
    const seen = await session.consume(produced, startMs + task.timeLimitMs)
    const elapsedMs = nowMs() - startMs
    const serverRssBytes = session.serverPeakRssBytes()
    await session.close()
    if (seen < produced && nowMs() < startMs + task.timeLimitMs) throw new Error(`read ${seen} of ${produced} messages`)
    return { messages: seen, elapsedMs, payloadBytes: seen * MESSAGE_PAYLOAD_BYTES, serverRssBytes }
  },
}
