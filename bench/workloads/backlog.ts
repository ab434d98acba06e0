import { MESSAGE_PAYLOAD_BYTES } from '../lib/data'
import { nowMs } from '../lib/stats'
import { logSystem } from '../systems'
import { BATCH_MESSAGES, byMode, logTasks } from './log-tasks'
import type { Workload } from './types'

/**
 * backlog: a large backlog (10 million messages in --full, 1 million in quick mode) is written
 * by a child of its own, then a fresh child opens it and one group member reads it all. The
 * reading child's peak RSS is the point: memory must not grow with the backlog.
 */
const SYSTEMS = ['tributary-file', 'tributary-sqlite', 'baseline-fs']

export const backlog: Workload = {
  name: 'backlog',
  summary: 'read a 10M-message backlog (1M in quick mode) with bounded memory; peak RSS of the reader',
  plan: (mode) => logTasks('backlog', SYSTEMS, byMode(mode, 1_000_000, 10_000_000), byMode(mode, 60_000, 300_000)),
  async prepare(task, dir) {
    const session = await logSystem(task.system).open(dir, task.params)
    await session.produce({ count: task.messages, batchSize: BATCH_MESSAGES, deadlineMs: nowMs() + task.timeLimitMs })
    await session.close()
  },
  async run(task, dir) {
    const session = await logSystem(task.system).open(dir, task.params)
    const startMs = nowMs()
    const seen = await session.consume(task.messages, startMs + task.timeLimitMs)
    const elapsedMs = nowMs() - startMs
    await session.close()
    return { messages: seen, elapsedMs, payloadBytes: seen * MESSAGE_PAYLOAD_BYTES }
  },
}
