import { fork, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

/**
 * ProcessSupervisor runs child processes of this repository's TypeScript scripts (forked with the
 * tsx loader, from the repository root so that tsconfig.json maps `@tributary/*` to sources) and
 * is the one place where tests, examples and the bench start, kill and stop processes.
 *
 * The protocol with a child is small: once it serves, the child sends `{ type: 'ready', ... }`
 * over IPC (the whole message is what `spawn` resolves with); on `{ type: 'stop' }` it closes
 * cleanly and exits; it exits by itself when its parent goes (IPC disconnect), so no child
 * outlives the process that started it.
 */

/** REPO_ROOT is where children run: tsx finds tsconfig.json (and its paths) there. */
export const REPO_ROOT = resolve(__dirname, '../..')

/** ReadyMessage is what a child sends once it serves (with whatever it reports, e.g. a port). */
export type ReadyMessage = { type: 'ready' } & Record<string, unknown>

/** SpawnOptions describe one child. */
export interface SpawnOptions {
  /** script: absolute path of the .ts file to run. */
  readonly script: string
  /** env: added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>
  /** execArgv: extra Node flags (e.g. `--cpu-prof`). */
  readonly execArgv?: readonly string[]
}

/** SupervisorOptions are limits and hooks shared by every child of one supervisor. */
export interface SupervisorOptions {
  /** startLimitMs bounds how long a child may take to be ready (a tsx process on a busy machine). Default 30,000 ms. */
  readonly startLimitMs?: number
  /** stopLimitMs bounds a clean stop before the child is killed. Default 10,000 ms. */
  readonly stopLimitMs?: number
  /** onSpawn is told each child's pid (the bench reports it to its parent, which kills leftovers). */
  readonly onSpawn?: (id: number, pid: number) => void
  /** beforeExit is told a child's pid just before it is killed or stopped (the bench reads its peak RSS). */
  readonly beforeExit?: (id: number, pid: number) => void
}

/** ProcessSupervisor starts, kills (SIGKILL), and stops children by id: see above. */
export class ProcessSupervisor {
  private readonly children = new Map<number, ChildProcess>()
  private readonly startLimitMs: number
  private readonly stopLimitMs: number

  constructor(private readonly options: SupervisorOptions = {}) {
    this.startLimitMs = options.startLimitMs ?? 30_000
    this.stopLimitMs = options.stopLimitMs ?? 10_000
  }

  /** ids lists the children that run. */
  ids(): number[] {
    return [...this.children].filter(([, c]) => running(c)).map(([id]) => id)
  }

  /** pid is child `id`'s process id, or undefined while it is down. */
  pid(id: number): number | undefined {
    const child = this.children.get(id)
    return child !== undefined && running(child) ? child.pid : undefined
  }

  /** child is the process of child `id` (to send it messages), or undefined while it is down. */
  child(id: number): ChildProcess | undefined {
    const child = this.children.get(id)
    return child !== undefined && running(child) ? child : undefined
  }

  /**
   * spawn starts child `id` (again, after a kill) and resolves with its ready message.
   * @throws Error when it exits first or is not ready within `startLimitMs` (it is killed then).
   */
  spawn(id: number, spawn: SpawnOptions): Promise<ReadyMessage> {
    if (this.pid(id) !== undefined) return Promise.reject(new Error(`child ${id} is already running`))
    const child = fork(spawn.script, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx', ...(spawn.execArgv ?? [])],
      env: { ...process.env, ...spawn.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.children.set(id, child)
    if (child.pid !== undefined) this.options.onSpawn?.(id, child.pid)
    return new Promise((resolveReady, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`child ${id} (${spawn.script}) was not ready within ${this.startLimitMs} ms`))
      }, this.startLimitMs)
      child.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`child ${id} (${spawn.script}) exited (${signal ?? `code ${code}`}) before it was ready`))
      })
      child.on('message', (message: { type?: string }) => {
        if (message?.type !== 'ready') return
        clearTimeout(timer)
        resolveReady(message as ReadyMessage)
      })
    })
  }

  /** kill sends SIGKILL to child `id` (no chance to flush or say goodbye) and waits until it is gone. */
  async kill(id: number): Promise<void> {
    const child = this.children.get(id)
    this.children.delete(id)
    if (child === undefined || !running(child)) return
    if (child.pid !== undefined) this.options.beforeExit?.(id, child.pid)
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }

  /** stop asks every child to close cleanly (`{ type: 'stop' }`), and kills those still running after `stopLimitMs`. */
  async stop(): Promise<void> {
    const children = [...this.children].filter(([, c]) => running(c))
    this.children.clear()
    await Promise.all(
      children.map(async ([id, child]) => {
        if (child.pid !== undefined) this.options.beforeExit?.(id, child.pid)
        const exited = new Promise((r) => child.once('exit', r))
        child.send({ type: 'stop' }, () => undefined)
        const timer = setTimeout(() => child.kill('SIGKILL'), this.stopLimitMs)
        await exited
        clearTimeout(timer)
      }),
    )
  }
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}
