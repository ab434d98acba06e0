import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/*
 * Test support: how the tests run the `tributary` command. The built bin (packages/cli/dist/bin.js,
 * what users run) when every workspace package's build is newer than its sources, as after
 * `pnpm build` in CI; otherwise the sources through tsx, so a test never runs stale code.
 */

const PACKAGES = join(__dirname, '..', '..')

/** newestSourceMs is the newest modification time of a package's non-test sources. */
function newestSourceMs(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

/** builtIsFresh tells whether every package's dist/index.js is newer than that package's sources. */
function builtIsFresh(): boolean {
  for (const name of readdirSync(PACKAGES)) {
    const src = join(PACKAGES, name, 'src')
    const built = join(PACKAGES, name, 'dist', 'index.js')
    if (!existsSync(src)) continue
    if (!existsSync(built) || statSync(built).mtimeMs < newestSourceMs(src)) return false
  }
  return existsSync(join(PACKAGES, 'cli', 'dist', 'bin.js'))
}

let chosen: string[] | null = null

/** tributaryCommand is the argv prefix that runs `tributary`: [node, …, bin]. */
export function tributaryCommand(): string[] {
  chosen ??= builtIsFresh()
    ? [process.execPath, join(PACKAGES, 'cli', 'dist', 'bin.js')]
    : [process.execPath, '--import', 'tsx', join(PACKAGES, 'cli', 'src', 'bin.ts')]
  return chosen
}
