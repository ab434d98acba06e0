import { RemoteBroker } from '@tributary/client'
import { startTcpCluster } from '@tributary/cluster/testing'
import { runBrokerConformance } from '@tributary/core/testing'

// The Broker contract through the remote client: a RemoteBroker over TCP to a three-node cluster
// on localhost (each node a ClusterNode serving the wire protocol), routing partitions to leaders.
runBrokerConformance(
  'RemoteBroker over TCP (3 nodes)',
  {
    async create() {
      const { nodes, addresses } = await startTcpCluster(3, { groupCoordinator: { minSessionTimeoutMs: 50, initialRebalanceDelayMs: 0 } })
      const broker = new RemoteBroker({ brokers: addresses })
      return {
        broker,
        cleanup: async () => {
          await broker.close()
          await Promise.all(nodes.map((n) => n.close()))
        },
      }
    },
  },
  { nodes: 3 },
)
