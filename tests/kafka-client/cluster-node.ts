/**
 * One Tributary cluster node with a Kafka listener, as its own OS process (started by
 * kafka-cluster.ts, not by hand): a ClusterNode (Raft-replicated partitions and metadata) served to
 * Kafka clients by a KafkaServer whose topology names every node's Kafka listener, so Metadata
 * lists three Kafka brokers with their partitions' real leaders.
 *
 * Env: NODE_ID, LISTEN (Tributary's own protocol; Raft on port + 1), PEERS (JSON), DATA_DIR,
 * KAFKA_PORTS (JSON `{ "1": port, … }`: every node's Kafka listener on 127.0.0.1).
 */
import { silentLogger, type NodeInfo } from '@tributary/core'
import { KafkaServer } from '@tributary/kafka-protocol'
import { ClusterNode } from '@tributary/raft'

async function main(): Promise<void> {
  const nodeId = Number(process.env.NODE_ID)
  const kafkaPorts = JSON.parse(process.env.KAFKA_PORTS as string) as Record<string, number>
  const listener = (id: number): NodeInfo => ({ nodeId: id, host: '127.0.0.1', port: kafkaPorts[String(id)] as number })
  const node = await ClusterNode.start({
    nodeId,
    listen: process.env.LISTEN as string,
    peers: JSON.parse(process.env.PEERS as string) as Record<number, string>,
    dir: process.env.DATA_DIR as string,
    // Short ticks: a failover takes well under a second.
    tickMs: 25,
    groupCoordinator: { minSessionTimeoutMs: 1000, initialRebalanceDelayMs: 0 },
  })
  await KafkaServer.start({
    broker: node,
    listen: `127.0.0.1:${kafkaPorts[String(nodeId)]}`,
    logger: silentLogger,
    topology: {
      brokers: (metadata) => metadata.brokers.filter((b) => kafkaPorts[String(b.nodeId)] !== undefined).map((b) => listener(b.nodeId)),
      // Every node serves group calls (it forwards them to the group's coordinator inside the cluster).
      coordinator: async () => listener(nodeId),
    },
  })
  process.send?.({ type: 'ready' })
  process.on('disconnect', () => process.exit(0))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
