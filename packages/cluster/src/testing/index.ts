/**
 * @tributary/cluster/testing — test support for code built on ClusterNode: a MemoryCluster of
 * nodes in one process on in-memory networks (crash, restart, partition, seeded message faults),
 * and a cluster on localhost TCP with the free-port finder every multi-process test shares.
 */
export { MemoryCluster } from './memory-cluster'
export { startTcpCluster, freePortPair } from './tcp-cluster'

export type { MemoryClusterOptions } from './memory-cluster'
// The argument shapes of every call the client port serves (what the fuzz tests draw methods from).
export { BROKER_ARGS } from '../server/call-checks'
