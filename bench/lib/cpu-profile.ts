/**
 * Self time per function of a `node --cpu-prof` profile, for the profiling scripts
 * (profile-run.ts, profile-workload.ts); cpu-profile-summary.ts groups by package instead.
 */

/** CpuProfile is the part of a V8 CPU profile that printTop reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]
  samples: number[]
  timeDeltas: number[]
}

/** printTop prints the `top` functions with the most self time (share of the samples). */
export function printTop(profile: CpuProfile, top: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<string, number>()
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + 1)
  }
  const total = profile.samples.length
  for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((n * 100) / total).toFixed(1).padStart(5)}%  ${key}`)
}
