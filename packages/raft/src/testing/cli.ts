/**
 * The simulation CLI: `SIM_SEEDS=N` runs seeds 1..N (default 1000), `SIM_SEED=S` replays one
 * seed and prints its full event trace when `SIM_TRACE=1`. `SIM_START=K` offsets the seed range.
 * Exits non-zero on the first violation, printing the seed, the property and the last events.
 */
import { SimFailure, runSeed } from './simulation'

function main(): number {
  const one = process.env.SIM_SEED
  if (one !== undefined) return replay(Number(one))
  const count = Number(process.env.SIM_SEEDS ?? 1000)
  const start = Number(process.env.SIM_START ?? 1)
  const t0 = performance.now()
  let events = 0
  let resent = 0
  let slowest = { seed: 0, livenessMs: 0 }
  for (let seed = start; seed < start + count; seed++) {
    try {
      const r = runSeed(seed)
      events += r.events
      resent += r.resentEntries
      if (r.livenessMs > slowest.livenessMs) slowest = { seed, livenessMs: r.livenessMs }
    } catch (err) {
      report(err)
      return 1
    }
    if ((seed - start + 1) % 1000 === 0) console.log(`${seed - start + 1} seeds ok (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1)
  console.log(`${count} seeds passed (${start}..${start + count - 1}), ${events} events in ${seconds} s`)
  console.log(`slowest recovery after healing: seed ${slowest.seed}, ${slowest.livenessMs} ms; entries re-sent while healed: ${resent}`)
  return 0
}

function replay(seed: number): number {
  try {
    const r = runSeed(seed, { echo: process.env.SIM_TRACE === '1' })
    console.log(`seed ${seed} passed: ${JSON.stringify(r)}`)
    return 0
  } catch (err) {
    report(err)
    return 1
  }
}

function report(err: unknown): void {
  if (!(err instanceof SimFailure)) throw err
  console.error(`FAILED seed ${err.seed}: ${err.cause.message}`)
  console.error(`replay with: SIM_SEED=${err.seed} SIM_TRACE=1 pnpm --filter @tributary/raft sim`)
  console.error('last events:')
  console.error(err.trace)
}

process.exitCode = main()
