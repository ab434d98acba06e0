import type { Broker, ClusterMetadata, NodeInfo } from '@tributary/core'
import type { HostPort } from './address'

/**
 * ServerTopology tells the Kafka server where the nodes' Kafka listeners are. Kafka clients connect
 * to the addresses Metadata and FindCoordinator give them, so these must be the Kafka listeners of
 * the nodes (not the addresses of Tributary's own wire protocol, which the Broker's metadata
 * lists).
 */
export interface ServerTopology {
  /** brokers lists every node a client may reach, with its Kafka listener address. */
  brokers(metadata: ClusterMetadata): NodeInfo[]
  /**
   * coordinator names the node whose Kafka listener serves a consumer group's coordinator calls,
   * or throws a retriable TributaryError (COORDINATOR_NOT_AVAILABLE) while there is none.
   */
  coordinator(groupId: string): Promise<NodeInfo>
}

/**
 * singleNodeTopology is one node that leads everything: itself at its advertised address. Metadata
 * lists just this node, whatever the broker reports about its own client address.
 */
export function singleNodeTopology(broker: Broker, advertised: () => HostPort): ServerTopology {
  const self = (): NodeInfo => ({ nodeId: broker.nodeId, ...advertised() })
  return {
    brokers: () => [self()],
    coordinator: async () => self(),
  }
}
