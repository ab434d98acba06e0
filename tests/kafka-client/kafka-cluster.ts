import { KafkaServeCluster } from '../kafka/serve-cluster'

/**
 * KafkaCluster is three Tributary cluster nodes, each a `tributary serve` process in cluster mode
 * with a Kafka listener (registered in the cluster metadata): a replicated Kafka cluster made of
 * Tributary, for the Kafka backend's tests. Short Raft ticks and group timeouts keep failovers and
 * rebalances quick. A node killed with SIGKILL comes back from its own files when spawned again.
 */
export class KafkaCluster {
  private constructor(private readonly nodes: KafkaServeCluster) {}

  /**
   * start spawns nodes 1..n and resolves once every one serves Kafka. `raftTickMs` (elections take
   * 10–20 ticks): short for failover tests, longer where a starved process must not cause one.
   */
  static async start(n = 3, raftTickMs = 25): Promise<KafkaCluster> {
    const args = ['--raft-tick-ms', String(raftTickMs), '--group-min-session-timeout-ms', '1000', '--group-initial-rebalance-delay-ms', '0']
    return new KafkaCluster(await KafkaServeCluster.start(n, args))
  }

  /** kafka maps each running node id to its Kafka listener, 'host:port'. */
  get kafka(): ReadonlyMap<number, string> {
    return this.nodes.kafka
  }

  /** bootstrap lists every running node's Kafka listener. */
  get bootstrap(): string[] {
    return this.nodes.bootstrap
  }

  /** kill SIGKILLs node `id`. */
  kill(id: number): Promise<void> {
    return this.nodes.kill(id)
  }

  /** restart spawns node `id` again over its own data. */
  restart(id: number): Promise<void> {
    return this.nodes.spawn(id)
  }

  /** stop stops every node and removes their data. */
  stop(): Promise<void> {
    return this.nodes.stop()
  }
}
