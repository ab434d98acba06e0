/**
 * @tributary/raft/testing — the deterministic simulation harness that checks the Raft core:
 * whole clusters under a seeded network (delay, loss, duplication, reordering, partitions),
 * crashes that lose unsynced writes, membership changes and transfers, with the safety
 * properties checked after every event. Kept out of the main entry: it is test code.
 */
export { Simulation, runSeed, SimFailure } from './simulation'
export { Cluster as SimCluster } from './cluster'
export { SafetyChecker, SafetyViolation } from './checker'
// The Raft wire codec, for tests that forge peer frames (hostile-peer suites).
export { encodedMessageBytes, writeMessage } from '../transport/codec'

export type { SimParams, SimResult } from './simulation'
export type { ClusterOptions as SimClusterOptions } from './cluster'
