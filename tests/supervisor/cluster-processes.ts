import { mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ClusterNodeOptions } from '@tributary/cluster'
import { freePortPair } from '@tributary/cluster/testing'
import { ProcessSupervisor, type SupervisorOptions } from './process-supervisor'

const NODE_SCRIPT = resolve(__dirname, 'cluster-node-child.ts')

/**
 * NodeProcessOptions are the options of every node that can cross a process boundary (JSON):
 * `nodeId`, `listen`, `peers` and `dir` are set by ClusterProcesses.
 */
export type NodeProcessOptions = Omit<
  ClusterNodeOptions,
  'nodeId' | 'listen' | 'peers' | 'dir' | 'storage' | 'raftStorage' | 'transport' | 'peerChannel' | 'clock'
>

/** ClusterProcessesOptions configure a ClusterProcesses. */
export interface ClusterProcessesOptions extends SupervisorOptions {
  /** dir holds node n's data in `<dir>/n<n>`. Default: a new temporary directory, removed by `stop()`. */
  readonly dir?: string
  /** node: options every node starts with (e.g. `tickMs`). */
  readonly node?: NodeProcessOptions
  /** execArgv: extra Node flags for node `id` (e.g. `--cpu-prof`). */
  readonly execArgv?: (id: number) => string[]
}

/**
 * ClusterProcesses runs ClusterNodes as OS processes on localhost, one per node id: node n serves
 * clients and peers on a free port p (its Raft transport on p + 1) and keeps its data in
 * `<dir>/n<n>`, so a node killed with SIGKILL comes back from its own files when spawned again.
 * Tests, `examples/cluster` and the bench's cluster workload all run their nodes through it.
 */
export class ClusterProcesses {
  private readonly supervisor: ProcessSupervisor

  private constructor(
    /** dir holds every node's data. */
    readonly dir: string,
    /** addresses maps each node id to its client address, 'host:port'. */
    readonly addresses: ReadonlyMap<number, string>,
    private readonly options: ClusterProcessesOptions,
    private readonly ownsDir: boolean,
  ) {
    this.supervisor = new ProcessSupervisor(options)
  }

  /** start runs nodes `ids` (or 1..n for a count) and resolves once every one serves. */
  static async start(ids: number[] | number, options: ClusterProcessesOptions = {}): Promise<ClusterProcesses> {
    const list = typeof ids === 'number' ? Array.from({ length: ids }, (_, i) => i + 1) : ids
    const addresses = new Map<number, string>()
    for (const id of list) addresses.set(id, `127.0.0.1:${await freePortPair()}`)
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tributary-cluster-')))
    const procs = new ClusterProcesses(dir, addresses, options, options.dir === undefined)
    try {
      await Promise.all(list.map((id) => procs.spawn(id)))
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
    return this.supervisor.pid(id)
  }

  /** dataDir is node `id`'s directory. */
  dataDir(id: number): string {
    return join(this.dir, `n${id}`)
  }

  /** spawn starts node `id` (again, after a kill) and resolves once it serves. */
  async spawn(id: number): Promise<void> {
    const listen = this.addresses.get(id)
    if (listen === undefined) throw new Error(`node ${id} is not part of this cluster`)
    mkdirSync(this.dataDir(id), { recursive: true })
    await this.supervisor.spawn(id, {
      script: NODE_SCRIPT,
      execArgv: this.options.execArgv?.(id),
      env: {
        NODE_ID: String(id),
        LISTEN: listen,
        PEERS: JSON.stringify(Object.fromEntries([...this.addresses].filter(([other]) => other !== id))),
        DATA_DIR: this.dataDir(id),
        NODE_OPTIONS_JSON: JSON.stringify(this.options.node ?? {}),
      },
    })
  }

  /** kill sends SIGKILL to node `id`: it gets no chance to flush, close files or tell its peers. */
  kill(id: number): Promise<void> {
    return this.supervisor.kill(id)
  }

  /** stop closes every node cleanly (killing stragglers) and removes the data when the directory was its own. */
  async stop(): Promise<void> {
    await this.supervisor.stop()
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true })
  }
}
