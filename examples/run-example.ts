import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

/**
 * Helpers for the examples' smoke tests: each example runs as its own Node process, exactly as a
 * user would start it (TypeScript through tsx, workspace packages through tsconfig paths).
 */

/** ROOT is the repository root, where tsconfig.json maps the workspace packages. */
export const ROOT = join(__dirname, '..')

/** startExample starts `examples/<name>/index.ts` in one Node process (no tsx wrapper, so signals reach it). */
export function startExample(name: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join('examples', name, 'index.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** runExample runs an example to completion and returns its exit code and output. */
export function runExample(
  name: string,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startExample(name, env)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`example ${name} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
