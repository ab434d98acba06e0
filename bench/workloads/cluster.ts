import { SkipError } from '../lib/types'
import { importOptional } from '../systems/tributary-api'
import type { Workload } from './types'

/**
 * cluster: three processes replicating with Raft, produce with acks=all. It runs only once
 * @tributary/raft exports a ClusterNode; until then it reports "skipped: cluster not available".
 */
export const cluster: Workload = {
  name: 'cluster',
  summary: 'three processes, acks=all (once @tributary/raft has a ClusterNode)',
  plan: () => [{ workload: 'cluster', system: 'tributary-cluster', label: 'tributary-cluster ×3', messages: 100_000, timeLimitMs: 60_000, params: { nodes: 3 } }],
  async run() {
    try {
      await importOptional('@tributary/raft', 'ClusterNode')
    } catch {
      throw new SkipError('cluster not available (@tributary/raft exports no ClusterNode yet)')
    }
    throw new SkipError('ClusterNode exists, but the bench has no three-process driver for it yet')
  },
}
