import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Measurement, Task } from './types'

/**
 * Each run of a task happens in a child process of its own, so that its peak RSS belongs to
 * one system alone and one system's heap and JIT state cannot slow the next. The child is
 * `bench/child.ts`, forked with the parent's tsx loader; it reports over IPC.
 */

const CHILD_PATH = fileURLToPath(new URL('../child.ts', import.meta.url))
/**
 * Grace on top of a task's time limit for process start, setup and teardown. Two minutes: a
 * consume run of a served system fills its backlog (up to the limit), then restarts
 * `tributary serve` from source, which alone took over 10 s on the shared machine.
 */
const GRACE_MS = 120_000

/** Phase: `prepare` fills data in a child of its own (so `run` sees only its own RSS), `run` measures. */
export type Phase = 'prepare' | 'run'

/** ChildMessage is what a child sends: a server it started, its result, a skip or an error. */
export type ChildMessage =
  | { type: 'server'; pid: number }
  | { type: 'result'; measurement: Measurement; peakRssBytes: number }
  | { type: 'skip'; reason: string }
  | { type: 'error'; message: string }

export type ChildOutcome =
  | { kind: 'ok'; measurement: Measurement; peakRssBytes: number }
  | { kind: 'skip'; reason: string }
  | { kind: 'error'; message: string }

/**
 * runInChild runs one phase of a task in a new child process and resolves with its outcome. A
 * child that outlives the time limit is killed with SIGKILL, and so is every server it said it
 * started, so that no process outlives the bench.
 */
export function runInChild(task: Task, phase: Phase, dir: string): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const serverPids: number[] = []
    let outcome: ChildOutcome | null = null
    const child = fork(CHILD_PATH, [], {
      env: { ...process.env, BENCH_TASK: JSON.stringify(task), BENCH_PHASE: phase, BENCH_DIR: dir },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const timer = setTimeout(() => {
      outcome ??= { kind: 'error', message: `timed out after ${task.timeLimitMs + GRACE_MS} ms` }
      child.kill('SIGKILL')
    }, task.timeLimitMs + GRACE_MS)
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'server') serverPids.push(message.pid)
      else if (message.type === 'result') outcome ??= { kind: 'ok', measurement: message.measurement, peakRssBytes: message.peakRssBytes }
      else if (message.type === 'skip') outcome ??= { kind: 'skip', reason: message.reason }
      else outcome ??= { kind: 'error', message: message.message }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      killLeftovers(serverPids)
      resolve(outcome ?? { kind: 'error', message: `child exited (${signal ?? `code ${code}`}) without a result` })
    })
  })
}

/** killLeftovers kills servers a child started and did not stop (it crashed or was killed). */
function killLeftovers(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone: the child stopped it, as it should.
    }
  }
}
