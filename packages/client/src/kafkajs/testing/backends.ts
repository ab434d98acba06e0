import type { ClusterNode } from '@tributary/raft'
import { startTcpCluster } from '../../../../raft/src/cluster/test-kit'
import { Tributary } from '../../tributary'

/*
 * The places the KafkaJS programs run in the tests: an embedded Tributary on memory storage, and
 * a one-node Tributary cluster on localhost TCP reached through `brokers` (each facade client
 * then opens its own `Tributary.connect`). Each gives the `new Kafka()` fields that choose it.
 */

/** ProgramBackend is one place to run the programs: the `new Kafka()` fields, and how to stop it. */
export interface ProgramBackend {
  readonly connection: Record<string, unknown>
  close(): Promise<void>
}

/** embeddedBackend runs the programs on Tributary.open() with memory storage. */
export async function embeddedBackend(): Promise<ProgramBackend> {
  const tb = await Tributary.open()
  return { connection: { tributary: tb }, close: () => tb.close() }
}

/** tcpBackend runs the programs on a one-node Tributary cluster over localhost TCP. */
export async function tcpBackend(): Promise<ProgramBackend> {
  const { nodes, addresses } = await startTcpCluster(1, { groupCoordinator: { initialRebalanceDelayMs: 0 } })
  return {
    connection: { brokers: addresses },
    close: async () => {
      await Promise.all(nodes.map((n: ClusterNode) => n.close()))
    },
  }
}

/** BACKENDS names each backend for describe.each. */
export const BACKENDS: ReadonlyArray<[string, () => Promise<ProgramBackend>]> = [
  ['an embedded Tributary (memory storage)', embeddedBackend],
  ['a one-node Tributary cluster over TCP (brokers)', tcpBackend],
]
