import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync } from 'node:fs'

/**
 * spawnTs runs a TypeScript file of this package in a child Node process through tsx, in this
 * process's working directory (inside the repository: tsx finds tsconfig.json and its paths there).
 */
export function spawnTs(file: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
}

/**
 * spawnInPidNamespace runs a TypeScript file as `spawnTs` does, but as PID 1 of a new PID namespace
 * (`unshare -pf --mount-proc`, root only), as a container would.
 * @throws Error when `unshare` is not installed.
 */
export function spawnInPidNamespace(file: string, args: string[]): ChildProcessWithoutNullStreams {
  const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p))
  if (unshare === undefined) throw new Error('unshare (util-linux) is required for the PID namespace test')
  return spawn(unshare, ['-pf', '--mount-proc', '--kill-child', process.execPath, '--import', 'tsx', file, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** waitForLine resolves when the child prints a line starting with `prefix`, and rejects if it exits first. */
export function waitForLine(child: ChildProcessWithoutNullStreams, prefix: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`no '${prefix}' line within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs)
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const line = out.split('\n').find((l) => l.startsWith(prefix))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(line)
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`child exited (code ${code}, signal ${signal}) before '${prefix}'; stderr: ${err}`))
    })
  })
}

/** killAndWait SIGKILLs the child and resolves once it is gone. */
export function killAndWait(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}
