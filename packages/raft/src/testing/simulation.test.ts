import { SimFailure, Simulation, runSeed } from './simulation'

/** CI_SEEDS is the fixed seed set every CI run checks (seeds 1..CI_SEEDS). */
const CI_SEEDS = 1500

describe('deterministic simulation', () => {
  it(`keeps every safety property and recovers liveness on ${CI_SEEDS} fixed seeds`, () => {
    let acked = 0
    for (let seed = 1; seed <= CI_SEEDS; seed++) {
      try {
        acked += runSeed(seed).acked
      } catch (err) {
        if (err instanceof SimFailure) {
          throw new Error(
            `seed ${err.seed} failed: ${err.cause.message}\nreplay: SIM_SEED=${err.seed} SIM_TRACE=1 pnpm --filter @tributary/raft sim\n${err.trace}`,
          )
        }
        throw err
      }
    }
    // Guard against a harness that silently stops generating load.
    expect(acked).toBeGreaterThan(CI_SEEDS * 20)
  }, 240_000)

  // Issue 19: seeds from the 1,000,001 and 2,000,001 ranges whose healed group did not commit on
  // every member within the liveness bound. Each had a leader that had accepted a long tail it
  // could not commit and followers that caught up one entry per round trip, slowed further by
  // re-sends on a timer shorter than the round trip. Replayed in full: a few milliseconds each.
  it.each([
    [1026033, 'leader 3 back in term 6 behind 77 uncommitted entries of its term 3'],
    [1008797, 'leader 3 of term 5 with 60 entries it accepted while it could not commit'],
    [2019891, 'member 1 (the only other voter once 2 was removed) 113 entries behind leader 3'],
    // Found by the 200,000-seed run: removed node 3 led term 19 forever (no pre-vote, no check-quorum).
    [3073679, 'the marker on a removed leader of an old term that nobody told of the newer one'],
  ])('seed %i recovers liveness (was: %s)', (seed) => {
    const r = runSeed(seed)
    expect(r.livenessMs).toBeGreaterThan(0)
    expect(r.livenessMs).toBeLessThanOrEqual(new Simulation(seed).params.livenessMs)
  })

  it('replays a seed exactly', () => {
    const a = new Simulation(42).run()
    const b = new Simulation(42).run()
    expect(b).toEqual(a)
  })
})
