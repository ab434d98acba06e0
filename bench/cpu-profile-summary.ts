import { readFileSync } from 'node:fs'

/**
 * Where a Node process spent its CPU, from a `node --cpu-prof` profile:
 *
 *   pnpm tsx bench/cpu-profile-summary.ts FILE.cpuprofile [--window REGEX] [--top N]
 *
 * Each sample is charged to the innermost frame of the stack that lies in a workspace package
 * (`packages/<name>/src/<dir>/`, kafka-protocol split by directory: codec, server, …), so a native
 * call (a socket write, a file write, a copy) counts for the code that made it; samples with no
 * package frame are the runtime (event loop, stream plumbing), garbage collection its own line.
 * Samples are counted, not weighted by their time deltas: a sample is only taken while the thread
 * runs, so on a machine shared with other processes counts follow CPU time, where the deltas would
 * charge the time the process waited for a core to whatever it was doing when it was descheduled.
 *
 * `--window REGEX` (default: the Produce and Fetch handlers) keeps the samples between the first
 * and the last whose stack has a frame whose URL matches it, leaving start-up out.
 */

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function area(url: string): string | null {
  const m = /packages\/([^/]+)\/src\/(?:([^/]+)\/)?/.exec(url)
  if (m) return m[1] === 'kafka-protocol' && m[2] !== undefined && !m[2].endsWith('.ts') ? `kafka-protocol/${m[2]}` : (m[1] as string)
  return url.includes('node_modules') ? 'node_modules' : null
}

function main(): void {
  const args = process.argv.slice(2)
  const file = args.find((a) => !a.startsWith('--'))
  if (file === undefined) throw new Error('usage: cpu-profile-summary.ts FILE.cpuprofile [--window REGEX] [--top N]')
  const windowArg = args.indexOf('--window')
  const windowRe = new RegExp(windowArg >= 0 ? (args[windowArg + 1] as string) : 'apis/0[01]-')
  const topArg = args.indexOf('--top')
  const top = topArg >= 0 ? Number(args[topArg + 1]) : 15
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

  const inWindow = new Map<number, boolean>()
  const matches = (id: number): boolean => {
    const known = inWindow.get(id)
    if (known !== undefined) return known
    const up = parent.get(id)
    const { url, functionName } = (byId.get(id) as ProfileNode).callFrame
    // A function of a matching file, not the file's module evaluation at start-up.
    const result = (functionName !== '' && windowRe.test(url)) || (up !== undefined && matches(up))
    inWindow.set(id, result)
    return result
  }
  let first = -1
  let last = -1
  profile.samples.forEach((id, i) => {
    if (!matches(id)) return
    if (first < 0) first = i
    last = i
  })
  if (first < 0) throw new Error(`no sample matches --window ${windowRe}`)

  const byArea = new Map<string, number>()
  const byLeaf = new Map<string, number>()
  let busy = 0
  let idle = 0
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
  for (let i = first; i <= last; i++) {
    const leaf = byId.get(profile.samples[i] as number) as ProfileNode
    const fn = leaf.callFrame.functionName
    if (fn === '(idle)') {
      idle++
      continue
    }
    busy++
    let name: string | null = fn === '(garbage collector)' ? 'GC' : null
    for (let id: number | undefined = leaf.id; name === null && id !== undefined; id = parent.get(id))
      name = area((byId.get(id) as ProfileNode).callFrame.url)
    name ??= 'runtime'
    add(byArea, name)
    add(byLeaf, `${name} | ${fn || '(anonymous)'} ${leaf.callFrame.url.split('/').pop() ?? ''}`)
  }
  const pct = (n: number) => `${((n / busy) * 100).toFixed(1).padStart(5)}%`
  console.log(`${file}\nsamples in the window: ${busy} busy, ${idle} idle`)
  const protocol = [...byArea].filter(([k]) => k.startsWith('kafka-protocol')).reduce((s, [, n]) => s + n, 0)
  console.log(`kafka-protocol (all directories): ${pct(protocol)} of busy samples\n\nby area:`)
  for (const [k, n] of [...byArea].sort((a, b) => b[1] - a[1])) console.log(`${pct(n)} ${String(n).padStart(7)}  ${k}`)
  console.log('\nby area | leaf function:')
  for (const [k, n] of [...byLeaf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(n)} ${String(n).padStart(7)}  ${k}`)
}

main()
