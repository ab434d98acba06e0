import { fork, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** ROOT is the repository root, whose tsconfig.json maps the workspace packages for tsx. */
const ROOT = resolve(__dirname, '../..')
const NODE_SCRIPT = resolve(__dirname, 'node.ts')
/** How long a node may take to start serving (a Node process with the tsx loader on a busy machine). */
const START_LIMIT_MS = 20_000

/** NodeProcessOptions choose the node program and add to its environment. */
export interface NodeProcessOptions {
  /** script: the node program (a .ts file run through tsx). Default this directory's node.ts. */
  script?: string
  /** env: added to every node's environment. */
  env?: Record<string, string>
}

/**
 * NodeProcesses runs cluster nodes as child processes on localhost: node `id` listens on its
 * own free port (Raft on port + 1) and keeps its data in `<dir>/n<id>`, so a node killed with
 * SIGKILL comes back from its own files when spawned again.
 */
export class NodeProcesses {
  private readonly children = new Map<number, ChildProcess>()

  private constructor(
    /** dir is the temporary directory holding every node's data. */
    readonly dir: string,
    /** addresses maps each node id to its client address, 'host:port'. */
    readonly addresses: ReadonlyMap<number, string>,
    private readonly options: NodeProcessOptions = {},
  ) {}

  /**
   * start spawns nodes `ids` and resolves once every one serves. `options.script` runs another
   * node program (default `node.ts`) with `options.env` added to each node's environment.
   */
  static async start(ids: number[], options: NodeProcessOptions = {}): Promise<NodeProcesses> {
    const addresses = new Map<number, string>()
    for (const id of ids) addresses.set(id, `127.0.0.1:${await freePortPair()}`)
    const procs = new NodeProcesses(await mkdtemp(join(tmpdir(), 'tributary-cluster-demo-')), addresses, options)
    try {
      await Promise.all(ids.map((id) => procs.spawn(id)))
    } catch (error) {
      await procs.stop()
      throw error
    }
    return procs
  }

  /** brokers lists every node's client address (what `Tributary.connect` takes). */
  get brokers(): string[] {
    return [...this.addresses.values()]
  }

  /** pid is node `id`'s process id, or undefined while it is down. */
  pid(id: number): number | undefined {
    return this.children.get(id)?.pid
  }

  /** spawn starts node `id` (again, after a kill) and resolves once it serves. */
  spawn(id: number): Promise<void> {
    const peers = Object.fromEntries([...this.addresses].filter(([other]) => other !== id))
    const child = fork(this.options.script ?? NODE_SCRIPT, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        NODE_ID: String(id),
        LISTEN: this.addresses.get(id),
        PEERS: JSON.stringify(peers),
        DATA_DIR: join(this.dir, `n${id}`),
        TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
        ...this.options.env,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.children.set(id, child)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${id} did not start within ${START_LIMIT_MS} ms`)), START_LIMIT_MS)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`node ${id} exited (${signal ?? `code ${code}`}) before serving`))
      })
      child.on('message', (m: { type?: string }) => {
        if (m.type !== 'ready') return
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** kill sends SIGKILL to node `id`: it gets no chance to flush, close files or tell its peers. */
  async kill(id: number): Promise<void> {
    const child = this.children.get(id)
    this.children.delete(id)
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }

  /** stop kills every node still running and removes the data directory. */
  async stop(): Promise<void> {
    for (const id of [...this.children.keys()]) await this.kill(id)
    await rm(this.dir, { recursive: true, force: true })
  }
}

/** freePort finds a free localhost port. */
export function freePort(): Promise<number> {
  return listenOnce(0)
}

/** freePortPair finds a localhost port p such that p and p + 1 are both free (client and Raft). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await listenOnce(0)
    if ((await listenOnce(port + 1).catch(() => 0)) !== 0) return port
  }
}

/** listenOnce listens on `port` (0: any), closes again, and resolves with the port it got. */
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
