import { Tributary } from '@tributary/client'
import * as facade from '@tributary/client/kafkajs'
import type { ClusterNode } from '@tributary/cluster'
import { startTcpCluster } from '@tributary/cluster/testing'
import type { KafkaLib } from './programs'

/*
 * The places the KafkaJS programs run in the tests: an embedded Tributary on memory storage, and
 * a one-node Tributary cluster on localhost TCP reached through `brokers` (each facade client
 * then opens its own `Tributary.connect`). Each gives the `new Kafka()` fields that choose it.
 */

/** ProgramBackend is one place to run the programs: the library, the `new Kafka()` fields, and how to stop it. */
export interface ProgramBackend {
  readonly lib: KafkaLib
  readonly connection: Record<string, unknown>
  close(): Promise<void>
}

/** embeddedBackend runs the programs on Tributary.open() with memory storage. */
export async function embeddedBackend(): Promise<ProgramBackend> {
  const tb = await Tributary.open()
  return { lib: facade, connection: { tributary: tb }, close: () => tb.close() }
}

/** tcpBackend runs the programs on a one-node Tributary cluster over localhost TCP. */
export async function tcpBackend(): Promise<ProgramBackend> {
  const { nodes, addresses } = await startTcpCluster(1, { groupCoordinator: { initialRebalanceDelayMs: 0 } })
  return {
    lib: facade,
    connection: { brokers: addresses },
    close: async () => {
      await Promise.all(nodes.map((n: ClusterNode) => n.close()))
    },
  }
}

/**
 * realKafkaJSBackend runs the same programs with the real `kafkajs` package against a
 * Kafka-protocol server (e.g. `tributary serve`, or Apache Kafka) at `brokers`: the parity run.
 */
export async function realKafkaJSBackend(brokers: string[]): Promise<ProgramBackend> {
  const real = (await import('kafkajs')) as unknown as KafkaLib
  return { lib: real, connection: { brokers }, close: async () => {} }
}

/**
 * BACKENDS names each backend for describe.each. Setting KAFKAJS_PARITY_BROKERS=host:port,…
 * adds the parity run: the real KafkaJS against that server, with the same assertions.
 */
export const BACKENDS: ReadonlyArray<[string, () => Promise<ProgramBackend>]> = [
  ['an embedded Tributary (memory storage)', embeddedBackend],
  ['a one-node Tributary cluster over TCP (brokers)', tcpBackend],
  ...(process.env.KAFKAJS_PARITY_BROKERS
    ? ([
        [
          `the real kafkajs against ${process.env.KAFKAJS_PARITY_BROKERS}`,
          () => realKafkaJSBackend((process.env.KAFKAJS_PARITY_BROKERS as string).split(',')),
        ],
      ] as Array<[string, () => Promise<ProgramBackend>]>)
    : []),
]
