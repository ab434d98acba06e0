import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { processPeakRssBytes } from './memory'
import { sleep } from './servers'

/**
 * ClusterProcesses runs Tributary ClusterNodes as processes of their own on this machine (the
 * `cluster` workload), each on localhost TCP with its own directory. Like the peer servers, each
 * node's pid is reported to the bench parent, so that a node outliving a crashed or timed-out
 * child is killed; a node also exits by itself when the child that started it goes.
 *
 * Set BENCH_CLUSTER_CPU_PROF to a directory to run every node with `node --cpu-prof`: node n
 * writes to `<dir>/node-<n>/` when it stops (one profile for its main thread, one for the tsx
 * loader's thread; none for a node killed with SIGKILL).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const NODE_SCRIPT = fileURLToPath(new URL('../cluster-node.ts', import.meta.url))
/** START_LIMIT_MS bounds how long a node may take to serve (a tsx process on a busy machine). */
const START_LIMIT_MS = 30_000
/** STOP_LIMIT_MS bounds a clean stop before the node is killed. */
const STOP_LIMIT_MS = 10_000

/** ClusterProcessOptions are the nodes' settings. */
export interface ClusterProcessOptions {
  /** tickMs is one Raft tick (the election timeout is 10–20 ticks). */
  tickMs: number
}

/** ClusterProcesses starts, kills (SIGKILL), restarts and stops the node processes: see above. */
export class ClusterProcesses {
  private readonly children = new Map<number, ChildProcess>()
  /** Peak RSS of nodes that were killed, kept for the total. */
  private goneRssBytes = 0

  private constructor(
    private readonly dir: string,
    readonly addresses: ReadonlyMap<number, string>,
    private readonly options: ClusterProcessOptions,
  ) {}

  /** start runs nodes 1..count with their data under `dir` and resolves once all serve. */
  static async start(dir: string, count: number, options: ClusterProcessOptions): Promise<ClusterProcesses> {
    const addresses = new Map<number, string>()
    for (let id = 1; id <= count; id++) addresses.set(id, `127.0.0.1:${await freePortPair()}`)
    const procs = new ClusterProcesses(dir, addresses, options)
    try {
      await Promise.all([...addresses.keys()].map((id) => procs.spawn(id)))
    } catch (error) {
      await procs.stop()
      throw error
    }
    return procs
  }

  /** brokers are the nodes' client addresses, for `Tributary.connect`. */
  get brokers(): string[] {
    return [...this.addresses.values()]
  }

  /** spawn starts node `id` (again, after a kill) and resolves once it serves. */
  spawn(id: number): Promise<void> {
    const dataDir = path.join(this.dir, `node-${id}`)
    mkdirSync(dataDir, { recursive: true })
    const profileDir = process.env.BENCH_CLUSTER_CPU_PROF
    const child = fork(NODE_SCRIPT, [], {
      cwd: ROOT,
      // One directory per node: the tsx loader's thread writes a profile of its own beside the main one.
      execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, `node-${id}`)] : [])],
      env: {
        ...process.env,
        NODE_ID: String(id),
        LISTEN: this.addresses.get(id),
        PEERS: JSON.stringify(Object.fromEntries([...this.addresses].filter(([other]) => other !== id))),
        DATA_DIR: dataDir,
        TICK_MS: String(this.options.tickMs),
        TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.children.set(id, child)
    if (child.pid !== undefined) process.send?.({ type: 'server', pid: child.pid })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cluster node ${id} did not serve within ${START_LIMIT_MS} ms`)), START_LIMIT_MS)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`cluster node ${id} exited (${signal ?? `code ${code}`}) before serving`))
      })
      child.on('message', (message: { type?: string }) => {
        if (message.type !== 'ready') return
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** kill sends SIGKILL to node `id` and waits for it to be gone. */
  async kill(id: number): Promise<void> {
    const child = this.children.get(id)
    this.children.delete(id)
    if (child === undefined || !running(child)) return
    this.goneRssBytes += child.pid ? processPeakRssBytes(child.pid) : 0
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  /** peakRssBytes is the sum of the nodes' peak RSS (VmHWM), including nodes already killed. */
  peakRssBytes(): number {
    let total = this.goneRssBytes
    for (const child of this.children.values()) total += child.pid ? processPeakRssBytes(child.pid) : 0
    return total
  }

  /** stop asks every node to close cleanly (writing CPU profiles, when asked for), then kills stragglers. */
  async stop(): Promise<void> {
    const children = [...this.children.values()].filter(running)
    this.children.clear()
    await Promise.all(
      children.map(async (child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.send({ type: 'stop' }, () => undefined)
        if (await Promise.race([exited.then(() => false), sleep(STOP_LIMIT_MS).then(() => true)])) child.kill('SIGKILL')
        await exited
      }),
    )
  }
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

/** freePortPair finds a localhost port p with p and p + 1 free (a node serves on p, Raft on p + 1). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await listenOnce(0)
    if ((await listenOnce(port + 1).catch(() => 0)) !== 0) return port
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const got = (server.address() as { port: number }).port
      server.close(() => resolve(got))
    })
  })
}
