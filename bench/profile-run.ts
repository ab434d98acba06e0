/**
 * One workload of the bench in this process, profiled: `pnpm tsx bench/profile-run.ts
 * <produce|consume> <system> [profile=defaults] [acks=1] [handler=eachMessage] [messages=N]`
 * runs the same session as `pnpm bench` and writes a V8 CPU profile of the timed part only (not
 * the fill) to $PROFILE_OUT (default profile-<what>.cpuprofile), plus the top functions by self
 * time to stdout. Open the profile in Chrome DevTools or speedscope.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import { messagePool } from './lib/data'
import { nowMs } from './lib/stats'
import type { Params } from './lib/types'
import { logSystem } from './systems'
import { BATCH_MESSAGES } from './workloads/log-tasks'
import { type CpuProfile, printTop } from './lib/cpu-profile'

async function main(): Promise<void> {
  const [what, systemName, ...rest] = process.argv.slice(2)
  if ((what !== 'produce' && what !== 'consume') || !systemName)
    throw new Error('usage: profile-run.ts <produce|consume> <system> [key=value …]')
  const params: Params = {}
  for (const arg of rest) {
    const [key, value] = arg.split('=') as [string, string]
    params[key] = /^\d+$/.test(value) ? Number(value) : value
  }
  const count = typeof params.messages === 'number' ? params.messages : 1_000_000
  const system = logSystem(systemName)
  const dir = mkdtempSync(path.join(process.env.BENCH_TMPDIR ?? os.tmpdir(), 'tributary-profile-'))
  messagePool()
  try {
    let session = await system.open(dir, params)
    const deadlineMs = nowMs() + 120_000
    if (what === 'consume') {
      await session.produce({ count, batchSize: BATCH_MESSAGES, deadlineMs, untimed: true })
      await session.close()
      session = await system.open(dir, params)
    }
    const inspector = new Session()
    inspector.connect()
    await inspector.post('Profiler.enable')
    await inspector.post('Profiler.setSamplingInterval', { interval: 100 })
    await inspector.post('Profiler.start')
    const startMs = nowMs()
    const cpuBefore = process.cpuUsage()
    const faultsBefore = process.resourceUsage().minorPageFault
    const n =
      what === 'produce'
        ? await session.produce({ count, batchSize: BATCH_MESSAGES, deadlineMs })
        : await session.consume(count, deadlineMs)
    const elapsedMs = nowMs() - startMs
    const cpu = process.cpuUsage(cpuBefore)
    const cpuMs = (cpu.user + cpu.system) / 1000
    const faults = process.resourceUsage().minorPageFault - faultsBefore
    const { profile } = await inspector.post('Profiler.stop')
    inspector.disconnect()
    await session.close()
    console.log(
      `${what} ${systemName} ${JSON.stringify(params)}: ${n} msgs in ${elapsedMs.toFixed(0)} ms, ${Math.round((n * 1000) / elapsedMs)} msgs/s; ${cpuMs.toFixed(0)} ms of CPU, ${Math.round((n * 1000) / cpuMs)} msgs per CPU-second (less sensitive to a shared machine's load); ${(cpu.system / 1000).toFixed(0)} ms of it in the kernel, ${faults} minor page faults`,
    )
    writeFileSync(process.env.PROFILE_OUT ?? `profile-${what}.cpuprofile`, JSON.stringify(profile))
    printTop(profile as unknown as CpuProfile, Number(process.env.PROFILE_TOP ?? 25))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
