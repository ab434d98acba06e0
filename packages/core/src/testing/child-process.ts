import { type ChildProcess, spawn } from 'node:child_process'

/**
 * Child processes for tests that drive real tools (kcat, /usr/bin/python3, the tributary command):
 * `run` to completion with the output collected, `start` a long-lived one and wait on its output.
 */

/** RunResult is a finished child's exit code and output. */
export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** run runs a command to its end (killed after timeoutMs), feeding `input` on stdin. */
export function run(
  command: string,
  args: string[],
  options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}

/** Running is a long-lived child whose output is collected as it comes. */
export interface Running {
  readonly child: ChildProcess
  stdout(): string
  stderr(): string
  /** waitFor resolves once `test` holds on the output so far (polled), or rejects after timeoutMs. */
  waitFor(test: (stdout: string, stderr: string) => boolean, timeoutMs?: number, what?: string): Promise<void>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** start starts a long-lived child (a kcat consumer in a group, a Python consumer). */
export function start(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Running {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')))
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')))
  child.stdin?.on('error', () => undefined)
  if (options.input !== undefined) child.stdin?.end(options.input)
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(test, timeoutMs = 30_000, what = 'output') {
      const deadline = Date.now() + timeoutMs
      while (!test(out, err)) {
        if (child.exitCode !== null)
          throw new Error(`${command} exited (${child.exitCode}) before ${what}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`)
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
