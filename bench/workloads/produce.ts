import { MESSAGE_PAYLOAD_BYTES } from '../lib/data'
import { nowMs } from '../lib/stats'
import { logSystem } from '../systems'
import { BATCH_MESSAGES, byMode, logTasks, type ProfileRow, tributaryTasks } from './log-tasks'
import type { Workload } from './types'

/**
 * produce: one producer writes N messages in sends of 1,000, each awaited, into an empty log; the
 * rate is messages over the time until the last send is acknowledged.
 *
 * Tributary's headline rows are what a user gets: a topic of 8 partitions and the producer's
 * default options (acks all, idempotent), compared with the same producer at acks 1; then acks 1
 * (compared with the file baseline), and the tuned single-partition row the bench used to lead
 * with. The peers and baselines write with acks=1 or their equivalent.
 */
const TRIBUTARY = ['tributary-memory', 'tributary-file', 'tributary-sqlite']
const ROWS: ProfileRow[] = [
  { suffix: '', params: { profile: 'defaults' }, baseline: '{system} acks=1' },
  { suffix: 'acks=1', params: { profile: 'defaults', acks: 1 }, baseline: null },
  { suffix: 'tuned', params: { profile: 'tuned' }, baseline: null },
]
const BASELINE_OF: Record<string, string> = {
  'tributary-memory': 'baseline-array',
  'tributary-file': 'baseline-fs',
  'tributary-sqlite': 'baseline-sqlite',
}
const SYSTEMS = [
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
  summary: 'one producer, sends of 1,000 messages: Tributary with default options on 8 partitions, acks=1, tuned; peers at acks=1',
  plan: (mode) => {
    const messages = byMode(mode, 250_000, 1_000_000)
    const limitMs = byMode(mode, 5_000, 60_000)
    const tributary = tributaryTasks('produce', TRIBUTARY, ROWS, messages, limitMs).map((task) =>
      task.baseline || !BASELINE_OF[task.system] ? task : { ...task, baseline: BASELINE_OF[task.system] },
    )
    return [...tributary, ...logTasks('produce', SYSTEMS, messages, limitMs)]
  },
  async run(task, dir) {
    const session = await logSystem(task.system).open(dir, task.params)
    const startMs = nowMs()
    const sent = await session.produce({ count: task.messages, batchSize: BATCH_MESSAGES, deadlineMs: startMs + task.timeLimitMs })
    const elapsedMs = nowMs() - startMs
    const serverRssBytes = session.serverPeakRssBytes()
    await session.close()
    return { messages: sent, elapsedMs, payloadBytes: sent * MESSAGE_PAYLOAD_BYTES, serverRssBytes }
  },
}
