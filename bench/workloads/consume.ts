import { MESSAGE_PAYLOAD_BYTES } from '../lib/data'
import { nowMs } from '../lib/stats'
import { logSystem } from '../systems'
import { BATCH_MESSAGES, byMode, logTasks, type ProfileRow, tributaryTasks } from './log-tasks'
import type { Workload } from './types'

/**
 * consume: N messages are produced (not timed), a persistent system is closed and opened again
 * (so reads come through its storage, not a cache of the producer), and one consumer-group
 * member reads the whole backlog from the beginning, touching every value.
 *
 * Tributary's headline rows read a topic of 8 partitions with default consumer options, one row
 * per way of consuming (`eachMessage`, `eachBatch`, `stream()`); the tuned row reads one
 * partition with `eachBatch`. eachBatch on 8 partitions is compared with the tuned row (it should
 * be no slower), SQLite's rows with the file storage's (the target is at least 70%).
 */
const TRIBUTARY = ['tributary-memory', 'tributary-file', 'tributary-sqlite']
const ROWS: ProfileRow[] = [
  { suffix: 'eachMessage', params: { profile: 'defaults', handler: 'eachMessage' }, baseline: null },
  { suffix: 'eachBatch', params: { profile: 'defaults', handler: 'eachBatch' }, baseline: '{system} tuned' },
  { suffix: 'stream()', params: { profile: 'defaults', handler: 'stream' }, baseline: null },
  { suffix: 'tuned', params: { profile: 'tuned' }, baseline: null },
]
const BASELINE_OF: Record<string, string> = {
  'tributary-memory': 'baseline-array',
  'tributary-file': 'baseline-fs',
  'tributary-sqlite': 'tributary-file',
}
const SYSTEMS = [
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
  plan: (mode) => {
    const messages = byMode(mode, 250_000, 1_000_000)
    const limitMs = byMode(mode, 5_000, 60_000)
    // Rows without a baseline of their own: the system's baseline, or for SQLite the file storage's same row.
    const tributary = tributaryTasks('consume', TRIBUTARY, ROWS, messages, limitMs).map((task) => {
      if (task.baseline) return task
      const base = BASELINE_OF[task.system]
      if (!base) return task
      return { ...task, baseline: base === 'tributary-file' ? task.label.replace('tributary-sqlite', 'tributary-file') : base }
    })
    return [...tributary, ...logTasks('consume', SYSTEMS, messages, limitMs)]
  },
  async run(task, dir) {
    const system = logSystem(task.system)
    let session = await system.open(dir, task.params)
    const fillDeadlineMs = nowMs() + task.timeLimitMs
    const produced = await session.produce({ count: task.messages, batchSize: BATCH_MESSAGES, deadlineMs: fillDeadlineMs, untimed: true })
    if (system.persistent) {
      await session.close()
      session = await system.open(dir, task.params)
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
