/**
 * One task of any workload in this process, profiled: `pnpm tsx bench/profile-workload.ts
 * <workload> <label> [full]`, e.g. `partitions-10k tributary-file` or `produce-acks-all
 * 'tributary-file ×64'`. Runs the workload's `prepare` (unprofiled) and then its `run` under a
 * V8 CPU profile written to $PROFILE_OUT (default profile-<workload>.cpuprofile); prints the
 * measurement, the CPU it used and the functions with the most self time. Use it for workloads
 * `profile-run.ts` does not cover (its produce/consume sessions).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import { messagePool } from './lib/data'
import { peakRssBytes } from './lib/memory'
import type { Mode, WorkloadName } from './lib/types'
import { workloadByName } from './workloads'
import { type CpuProfile, printTop } from './lib/cpu-profile'

async function main(): Promise<void> {
  const [name, label, modeArg] = process.argv.slice(2)
  if (!name || !label) throw new Error('usage: profile-workload.ts <workload> <label> [full]')
  const mode: Mode = modeArg === 'full' ? 'full' : 'quick'
  const workload = workloadByName(name as WorkloadName)
  const task = workload.plan(mode).find((t) => t.label === label)
  if (!task)
    throw new Error(
      `no task labelled ${label} in ${name}: ${workload
        .plan(mode)
        .map((t) => t.label)
        .join(', ')}`,
    )
  const dir = mkdtempSync(path.join(process.env.BENCH_TMPDIR ?? os.tmpdir(), 'tributary-profile-'))
  messagePool()
  try {
    if (workload.prepare) await workload.prepare(task, dir)
    const inspector = new Session()
    inspector.connect()
    await inspector.post('Profiler.enable')
    await inspector.post('Profiler.setSamplingInterval', { interval: 100 })
    await inspector.post('Profiler.start')
    const cpuBefore = process.cpuUsage()
    const measurement = await workload.run(task, dir)
    const cpu = process.cpuUsage(cpuBefore)
    const { profile } = await inspector.post('Profiler.stop')
    inspector.disconnect()
    const { extra, ...rest } = measurement
    console.log(
      JSON.stringify({
        ...rest,
        ...extra,
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        peakRssMiB: Math.round(peakRssBytes() / 2 ** 20),
      }),
    )
    writeFileSync(process.env.PROFILE_OUT ?? `profile-${name}.cpuprofile`, JSON.stringify(profile))
    printTop(profile as unknown as CpuProfile, Number(process.env.PROFILE_TOP ?? 25))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
