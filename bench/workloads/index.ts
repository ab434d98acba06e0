import type { WorkloadName } from '../lib/types'
import { backlog } from './backlog'
import { cluster } from './cluster'
import { codec } from './codec'
import { consume } from './consume'
import { latency } from './latency'
import { partitions10k } from './partitions-10k'
import { produce } from './produce'
import { produceAcksAll } from './produce-acks-all'
import { raftCatchUp } from './raft-catch-up'
import type { Workload } from './types'

/** WORKLOADS maps each workload name to its module. */
export const WORKLOADS: Record<WorkloadName, Workload> = {
  produce,
  consume,
  'produce-acks-all': produceAcksAll,
  latency,
  'partitions-10k': partitions10k,
  backlog,
  codec,
  cluster,
  'raft-catch-up': raftCatchUp,
}

export function workloadByName(name: WorkloadName): Workload {
  return WORKLOADS[name]
}
