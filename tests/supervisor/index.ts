/**
 * The one process supervisor of this repository, shared by tests, `examples/cluster` and the
 * bench: `ProcessSupervisor` forks TypeScript children (tsx), waits for them to be ready, kills
 * them with SIGKILL and stops them cleanly; `ClusterProcesses` runs ClusterNodes on it and
 * `RaftProcesses` bare Raft nodes. Free ports come from `freePortPair` (@tributary/cluster/testing).
 */
export { ProcessSupervisor, REPO_ROOT } from './process-supervisor'
export { ClusterProcesses } from './cluster-processes'
export { RaftProcesses } from './raft-processes'
export { freePortPair } from '@tributary/cluster/testing'

export type { SpawnOptions, SupervisorOptions, ReadyMessage } from './process-supervisor'
export type { ClusterProcessesOptions, NodeProcessOptions } from './cluster-processes'
export type { ChildStatus } from './raft-processes'
