import { join } from 'node:path'
import { NodeProcesses, freePort } from '../../examples/cluster/processes'

/**
 * KafkaCluster is three Tributary cluster nodes, each its own process with a Kafka listener
 * (cluster-node.ts): a replicated Kafka cluster made of Tributary, for the Kafka backend's tests.
 * A node killed with SIGKILL comes back from its own files when spawned again.
 */
export class KafkaCluster {
  private constructor(
    readonly procs: NodeProcesses,
    /** kafka maps each node id to its Kafka listener, 'host:port'. */
    readonly kafka: ReadonlyMap<number, string>,
  ) {}

  /** start spawns nodes 1..n and resolves once every one serves Kafka. */
  static async start(n = 3): Promise<KafkaCluster> {
    const ids = Array.from({ length: n }, (_, i) => i + 1)
    const ports: Record<string, number> = {}
    for (const id of ids) ports[String(id)] = await freePort()
    const procs = await NodeProcesses.start(ids, {
      script: join(__dirname, 'cluster-node.ts'),
      env: { KAFKA_PORTS: JSON.stringify(ports) },
    })
    return new KafkaCluster(procs, new Map(ids.map((id) => [id, `127.0.0.1:${ports[String(id)]}`])))
  }

  /** bootstrap lists every node's Kafka listener. */
  get bootstrap(): string[] {
    return [...this.kafka.values()]
  }

  /** kill SIGKILLs node `id`. */
  kill(id: number): Promise<void> {
    return this.procs.kill(id)
  }

  /** restart spawns node `id` again over its own data. */
  restart(id: number): Promise<void> {
    return this.procs.spawn(id)
  }

  /** stop kills every node and removes their data. */
  stop(): Promise<void> {
    return this.procs.stop()
  }
}
