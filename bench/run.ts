/**
 * The bench CLI. `pnpm bench` runs every workload in quick mode (smaller counts, one run each);
 * `pnpm bench --full` uses the issue's counts and reports the median of three runs; `pnpm bench
 * produce consume` runs only the named workloads. See bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runInChild } from './lib/child-runner'
import { writeResults } from './lib/json'
import { describeMachine } from './lib/machine'
import { progress } from './lib/progress'
import { toResult, withRatios, type RunSample } from './lib/results'
import { fmtCount, fmtMb, fmtMs } from './lib/format'
import { textTable } from './lib/table'
import { WORKLOAD_NAMES, type Mode, type Result, type Skipped, type Task, type WorkloadName } from './lib/types'
import { WORKLOADS } from './workloads'

interface Options {
  mode: Mode
  runs: number
  workloads: WorkloadName[]
  /** systems, when given, keeps only tasks whose system is listed. */
  systems: string[] | null
}

const USAGE = `usage: pnpm bench [--full] [--runs N] [--systems a,b] [workload …]
workloads: ${WORKLOAD_NAMES.join(', ')}
  --full      the issue's message counts and 3 runs per measurement (median reported)
  --runs N    runs per measurement (default 1 quick, 3 full)
  --systems   only these systems (comma-separated), e.g. --systems tributary-file,baseline-fs
  --list      print the workloads and exit
data goes to a temporary directory under $BENCH_TMPDIR (default: the OS temp directory)`

function parseArgs(argv: string[]): Options | null {
  const options: Options = { mode: 'quick', runs: 0, workloads: [], systems: null }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--full') options.mode = 'full'
    else if (arg === '--runs') options.runs = Number(argv[++i])
    else if (arg === '--systems') options.systems = (argv[++i] ?? '').split(',').filter(Boolean)
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE)
      return null
    } else if (arg === '--list') {
      for (const name of WORKLOAD_NAMES) console.log(`${name.padEnd(18)} ${WORKLOADS[name].summary}`)
      return null
    } else if ((WORKLOAD_NAMES as readonly string[]).includes(arg)) options.workloads.push(arg as WorkloadName)
    else throw new Error(`unknown argument ${arg}\n${USAGE}`)
  }
  if (options.runs === 0) options.runs = options.mode === 'full' ? 3 : 1
  if (!Number.isInteger(options.runs) || options.runs < 1 || options.runs > 20) throw new Error(`--runs must be 1..20\n${USAGE}`)
  if (options.workloads.length === 0) options.workloads = [...WORKLOAD_NAMES]
  return options
}

function describe(sample: RunSample): string {
  const m = sample.measurement
  const parts = [`${fmtCount(m.messages)} msgs in ${fmtMs(m.elapsedMs)} ms`]
  if (m.messages > 0) parts.push(`${fmtCount((m.messages * 1000) / m.elapsedMs)} msgs/s`)
  else parts.push(`${fmtMb(m.payloadBytes / 1000 / m.elapsedMs)} MB/s`)
  if (m.p99Ms != null) parts.push(`p50 ${fmtMs(m.p50Ms ?? null)} ms, p99 ${fmtMs(m.p99Ms)} ms`)
  return parts.join(', ')
}

/** runTask runs a task `runs` times (each in fresh children and a fresh directory). */
async function runTask(task: Task, runs: number, tmpRoot: string): Promise<Result | Skipped> {
  const workload = WORKLOADS[task.workload]
  const samples: RunSample[] = []
  for (let run = 1; run <= runs; run++) {
    const tag = `${task.workload} / ${task.label}${runs > 1 ? ` run ${run}/${runs}` : ''}`
    const dir = mkdtempSync(path.join(tmpRoot, `${task.workload}-${task.system}-`))
    try {
      if (workload.prepare) {
        progress(`${tag}: preparing ${fmtCount(task.messages)} messages`)
        const prepared = await runInChild(task, 'prepare', dir)
        if (prepared.kind !== 'ok') return skippedOf(task, prepared)
      }
      progress(`${tag}: running`)
      const outcome = await runInChild(task, 'run', dir)
      if (outcome.kind !== 'ok') return skippedOf(task, outcome)
      samples.push(outcome)
      progress(`${tag}: ${describe(outcome)}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return toResult(task, samples)
}

function skippedOf(task: Task, outcome: { kind: 'skip'; reason: string } | { kind: 'error'; message: string }): Skipped {
  const failed = outcome.kind === 'error'
  const reason = outcome.kind === 'skip' ? outcome.reason : outcome.message
  progress(`${task.workload} / ${task.label}: ${failed ? 'FAILED' : 'skipped'}: ${reason.split('\n')[0]}`)
  if (failed) process.stderr.write(`${reason}\n`)
  return { workload: task.workload, system: task.system, label: task.label, reason, failed }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  if (!options) return
  const startedAt = new Date()
  const tmpRoot = mkdtempSync(path.join(process.env.BENCH_TMPDIR ?? os.tmpdir(), 'tributary-bench-'))
  // Ctrl-C reaches the children and their servers too (same process group); remove the data.
  process.once('SIGINT', () => {
    rmSync(tmpRoot, { recursive: true, force: true })
    process.exit(130)
  })
  const results: Result[] = []
  const skipped: Skipped[] = []
  progress(`${options.mode} run, ${options.runs} run(s) per measurement, data in ${tmpRoot}`)
  try {
    for (const name of options.workloads) {
      const workload = WORKLOADS[name]
      const tasks = workload.plan(options.mode).filter((t) => !options.systems || options.systems.includes(t.system))
      for (const task of tasks) {
        const outcome = await runTask(task, options.runs, tmpRoot)
        if ('reason' in outcome) skipped.push(outcome)
        else results.push(outcome)
      }
      if (workload.derive) results.push(...workload.derive(results))
    }
  } finally {
    rmSync(tmpRoot, { recursive: true, force: true })
  }
  const final = withRatios(results)
  const durationMs = Date.now() - startedAt.getTime()
  const command = ['pnpm bench', ...process.argv.slice(2)].join(' ')
  const file = writeResults({
    command,
    mode: options.mode,
    runs: options.runs,
    startedAt: startedAt.toISOString(),
    durationMs,
    machine: describeMachine(),
    results: final,
    skipped,
  })
  const runsNote = options.runs === 1 ? 'one run each' : `medians of ${options.runs} runs`
  const note =
    options.mode === 'quick'
      ? `quick mode: smaller message counts than --full (see the messages column), ${runsNote}`
      : `full mode: ${runsNote}`
  console.log(`\n${textTable(final, skipped)}\n\n${note}; ${(durationMs / 1000).toFixed(0)} s in all; written to ${file}`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
