import path from 'node:path'
import { ClusterProcesses } from '@tributary/tests/supervisor'
import { processPeakRssBytes } from './memory'

/**
 * The `cluster` workload's nodes: Tributary ClusterNodes as processes of their own on this
 * machine (the repository's one process supervisor, `ClusterProcesses` of `tests/supervisor`),
 * each on localhost TCP with its own directory under the task's. Like the peer servers, each
 * node's pid is reported to the bench parent, so that a node outliving a crashed or timed-out
 * child is killed; a node also exits by itself when the child that started it goes.
 *
 * Set BENCH_CLUSTER_CPU_PROF to a directory to run every node with `node --cpu-prof`: node n
 * writes to `<dir>/node-<n>/` when it stops (one profile for its main thread, one for the tsx
 * loader's thread; none for a node killed with SIGKILL).
 */

/** BenchCluster is the running nodes and their memory use. */
export interface BenchCluster {
  readonly procs: ClusterProcesses
  /** peakRssBytes is the sum of the nodes' peak RSS (VmHWM), including nodes already killed or stopped. */
  peakRssBytes(): number
}

/** startBenchCluster runs nodes 1..count with their data under `dir` and resolves once all serve. */
export async function startBenchCluster(dir: string, count: number, tickMs: number): Promise<BenchCluster> {
  const pids = new Map<number, number>()
  let goneRssBytes = 0
  const profileDir = process.env.BENCH_CLUSTER_CPU_PROF
  const procs = await ClusterProcesses.start(count, {
    dir,
    node: { tickMs },
    // One directory per node: the tsx loader's thread writes a profile of its own beside the main one.
    execArgv: (id) => (profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, `node-${id}`)] : []),
    onSpawn: (id, pid) => {
      pids.set(id, pid)
      process.send?.({ type: 'server', pid })
    },
    beforeExit: (id, pid) => {
      goneRssBytes += processPeakRssBytes(pid)
      pids.delete(id)
    },
  })
  return {
    procs,
    peakRssBytes: () => [...pids.values()].reduce((total, pid) => total + processPeakRssBytes(pid), goneRssBytes),
  }
}
