import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ProcessSupervisor, freePortPair } from '@tributary/tests/supervisor'

const SERVE_CHILD = resolve(__dirname, 'serve-child.ts')

/**
 * KafkaServeCluster runs `tributary serve` in cluster mode as OS processes on localhost, through
 * the process supervisor: node n serves Tributary's protocol on a free port p (Raft on p + 1),
 * Kafka on a port of its own (registered in the cluster metadata, so Metadata lists every node's
 * Kafka listener), and keeps its data in `<dir>/n<n>`. A node killed with SIGKILL comes back from
 * its own files when spawned again (with a new Kafka port, which the metadata learns).
 */
export class KafkaServeCluster {
  private readonly supervisor = new ProcessSupervisor({ startLimitMs: 60_000 })
  /** kafka maps each running node id to its Kafka listener, 'host:port'. */
  readonly kafka = new Map<number, string>()

  private constructor(
    readonly dir: string,
    /** listen maps each node id to its own-protocol address, 'host:port'. */
    readonly listen: ReadonlyMap<number, string>,
    private readonly extraArgs: readonly string[],
  ) {}

  /** start runs nodes 1..n (`extraArgs` added to each `tributary serve`) and resolves once each serves Kafka. */
  static async start(n = 3, extraArgs: string[] = []): Promise<KafkaServeCluster> {
    const listen = new Map<number, string>()
    for (let id = 1; id <= n; id++) listen.set(id, `127.0.0.1:${await freePortPair()}`)
    const cluster = new KafkaServeCluster(await mkdtemp(join(tmpdir(), 'tributary-serve-cluster-')), listen, extraArgs)
    try {
      await Promise.all([...listen.keys()].map((id) => cluster.spawn(id)))
    } catch (error) {
      await cluster.stop()
      throw error
    }
    return cluster
  }

  /** bootstrap lists the Kafka listeners of the running nodes. */
  get bootstrap(): string[] {
    return [...this.kafka.values()]
  }

  /** spawn starts node `id` (again, after a kill) and resolves once it serves Kafka. */
  async spawn(id: number): Promise<void> {
    const peers = [...this.listen]
      .filter(([other]) => other !== id)
      .map(([other, address]) => `${other}=${address}`)
      .join(',')
    const args = ['--node-id', String(id), '--listen', this.listen.get(id) as string, '--peers', peers]
    args.push('--dir', join(this.dir, `n${id}`), '--kafka', '127.0.0.1:0', '--log-level', 'warn', ...this.extraArgs)
    const ready = await this.supervisor.spawn(id, { script: SERVE_CHILD, env: { SERVE_ARGS: JSON.stringify(args) } })
    this.kafka.set(id, ready.kafka as string)
  }

  /** kill SIGKILLs node `id`: no flush, no goodbye. */
  async kill(id: number): Promise<void> {
    this.kafka.delete(id)
    await this.supervisor.kill(id)
  }

  /** stop closes every node cleanly and removes the data. */
  async stop(): Promise<void> {
    await this.supervisor.stop()
    await rm(this.dir, { recursive: true, force: true })
  }
}
