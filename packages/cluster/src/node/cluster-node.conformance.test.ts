import { runBrokerConformance, waitUntil } from '@tributary/core/testing'
import { MemoryCluster } from '../testing/memory-cluster'

// The Broker contract on a ClusterNode: a one-node cluster, and node 1 of a three-node cluster (so
// that requests for partitions other nodes lead are forwarded), on in-memory networks.
for (const size of [1, 3]) {
  runBrokerConformance(
    `ClusterNode (${size} node${size > 1 ? 's' : ''})`,
    {
      async create() {
        const cluster = await MemoryCluster.start(size, { groupCoordinator: { minSessionTimeoutMs: 50, initialRebalanceDelayMs: 0 } })
        await waitUntil(() => cluster.metaLeader() !== 0, 10_000)
        return { broker: cluster.node(1), cleanup: () => cluster.close() }
      },
    },
    { nodes: size },
  )
}
