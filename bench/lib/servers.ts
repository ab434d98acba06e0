import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { processPeakRssBytes } from './memory'
import { SkipError } from './types'

/**
 * Peer servers (redis-server, nats-server) are started by the child process that measures them,
 * bound to 127.0.0.1 on a free port with their data in the task's temporary directory, and
 * stopped before the child reports. The child tells the parent each server's pid, so that the
 * parent can kill a server whose child crashed or timed out.
 */

/** STARTUP_LIMIT_MS bounds how long a server may take to accept connections. */
const STARTUP_LIMIT_MS = 10_000
/** STOP_LIMIT_MS bounds how long a server may take to exit after SIGTERM before it is killed. */
const STOP_LIMIT_MS = 10_000

/** live holds the servers this process started and has not seen exit. */
const live = new Set<ChildProcess>()

/** killServers kills every server this process started that is still running (parent gone). */
export function killServers(): void {
  for (const child of live) child.kill('SIGKILL')
}

/** requireBinary throws SkipError (with the install hint) when `name` is not on PATH. */
export function requireBinary(name: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  if (found.status !== 0) throw new SkipError(`${name} not installed (run bench/peers/install.sh)`)
}

/** freePort asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Server is a running peer server process. */
export class Server {
  private exited: Promise<void>

  constructor(
    private readonly process_: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => process_.once('exit', () => resolve()))
  }

  /** peakRssBytes is the server's peak RSS so far (VmHWM). */
  peakRssBytes(): number {
    return this.process_.pid ? processPeakRssBytes(this.process_.pid) : 0
  }

  /** stop sends SIGTERM (both servers flush and exit cleanly on it) and waits, then kills. */
  async stop(): Promise<void> {
    if (this.process_.exitCode !== null || this.process_.signalCode !== null) return
    this.process_.kill('SIGTERM')
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(STOP_LIMIT_MS).then(() => true)])
    if (timedOut) this.process_.kill('SIGKILL')
    await this.exited
  }
}

/**
 * startServer spawns `command args`, reports its pid to the parent and waits until
 * `ready()` succeeds (retrying every 50 ms) or `startupLimitMs` (default 10 s) passes.
 */
export async function startServer(
  command: string,
  args: string[],
  port: number,
  ready: () => Promise<void>,
  startupLimitMs = STARTUP_LIMIT_MS,
): Promise<Server> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString()
  })
  if (child.pid !== undefined) process.send?.({ type: 'server', pid: child.pid })
  const server = new Server(child, port)
  const deadline = Date.now() + startupLimitMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${stderr.trim()}`)
    try {
      await ready()
      return server
    } catch (error) {
      if (Date.now() > deadline) {
        await server.stop()
        throw new Error(`${command} not ready after ${startupLimitMs} ms: ${String(error)} ${stderr.trim()}`)
      }
      await sleep(50)
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
