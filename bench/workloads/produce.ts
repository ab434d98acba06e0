import { MESSAGE_PAYLOAD_BYTES } from '../lib/data'
import { nowMs } from '../lib/stats'
import { logSystem } from '../systems'
import { BATCH_MESSAGES, byMode, logTasks } from './log-tasks'
import type { Workload } from './types'

/**
 * produce: one producer writes N messages in sends of 1,000 with acks=1 (or the system's
 * equivalent) into an empty log; the rate is messages over the time until the last send is
 * acknowledged.
 */
const SYSTEMS = [
  'tributary-memory',
  'tributary-file',
  'tributary-sqlite',
  'baseline-array',
  'baseline-fs',
  'baseline-fs-fsync',
  'baseline-sqlite',
  'redis-streams',
  'nats-jetstream',
  'tributary-kafka-client',
  'kafkajs',
  'librdkafka',
]

export const produce: Workload = {
  name: 'produce',
  summary: 'one producer, sends of 1,000 messages, acks=1, into an empty log',
  plan: (mode) => logTasks('produce', SYSTEMS, byMode(mode, 250_000, 1_000_000), byMode(mode, 5_000, 60_000)),
  async run(task, dir) {
    const session = await logSystem(task.system).open(dir)
    const startMs = nowMs()
    const sent = await session.produce({ count: task.messages, batchSize: BATCH_MESSAGES, deadlineMs: startMs + task.timeLimitMs })
    const elapsedMs = nowMs() - startMs
    const serverRssBytes = session.serverPeakRssBytes()
    await session.close()
    return { messages: sent, elapsedMs, payloadBytes: sent * MESSAGE_PAYLOAD_BYTES, serverRssBytes }
  },
}
