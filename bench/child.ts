/**
 * The child process side of `lib/child-runner.ts`: runs one phase of one task and reports its
 * measurement and peak RSS over IPC. Not meant to be started by hand.
 */
import type { ChildMessage } from './lib/child-runner'
import { messagePool } from './lib/data'
import { peakRssBytes } from './lib/memory'
import { killServers } from './lib/servers'
import { SkipError, type Task } from './lib/types'
import { workloadByName } from './workloads'

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()))
}

// If the parent goes away (killed, Ctrl-C), take the peer servers down too and stop.
process.on('disconnect', () => {
  killServers()
  process.exit(1)
})

async function main(): Promise<void> {
  const task = JSON.parse(process.env.BENCH_TASK!) as Task
  const phase = process.env.BENCH_PHASE
  const dir = process.env.BENCH_DIR!
  const workload = workloadByName(task.workload)
  // Build the message pool (65,536 random messages) before any timing starts.
  messagePool()
  try {
    if (phase === 'prepare') {
      await workload.prepare!(task, dir)
      await send({ type: 'result', measurement: { messages: 0, elapsedMs: 0, payloadBytes: 0 }, peakRssBytes: peakRssBytes() })
    } else {
      const measurement = await workload.run(task, dir)
      const rss = peakRssBytes() + (measurement.serverRssBytes ?? 0)
      await send({ type: 'result', measurement, peakRssBytes: rss })
    }
  } catch (error) {
    if (error instanceof SkipError) await send({ type: 'skip', reason: error.message })
    else await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  }
  // Exit explicitly: a client library may keep a timer or socket alive after close.
  process.exit(0)
}

void main()
