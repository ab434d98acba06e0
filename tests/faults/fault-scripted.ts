import {
  TributaryError,
  encodeRecordBatch,
  iterateBatches,
  type Broker,
  type ProducePartitionData,
  type ProducePartitionResult,
  type ProduceRequest,
} from '@tributary/core'
import type { MemoryCluster } from '@tributary/cluster/testing'

/**
 * Helpers of the known-bug repros in cluster-faults.test.ts: a broker whose answers a test
 * scripts, to replay an interleaving the cluster produced, deterministically and without a cluster.
 */

/** produceOne appends one record through node `via` with acks=all, or throws its error. */
export async function produceOne(cluster: MemoryCluster, via: number, topic: string, value: string): Promise<void> {
  const batch = encodeRecordBatch([{ key: null, value: Buffer.from(value), timestamp: 1, headers: [] }] as never)
  const [r] = await cluster.node(via).produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic, partition: 0, batch }] })
  if (r?.error) throw r.error
}

/** scripted is `inner` with the methods of `overrides` in place of its own. */
export function scripted(inner: Broker, overrides: Partial<Broker>): Broker {
  return new Proxy(inner, {
    get: (target, name, receiver) => {
      const own = (overrides as Record<string | symbol, unknown>)[name]
      if (own !== undefined) return own
      const value = Reflect.get(target, name, receiver) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

/** ScriptedCode is an error a scripted produce answers with. */
export type ScriptedCode = 'LEADER_NOT_AVAILABLE' | 'OUT_OF_ORDER_SEQUENCE_NUMBER'

/**
 * perBatch answers each partition of a produce request on its own: with the error `script`
 * returns for the first value of its batch, or else by appending it to `local`.
 */
export async function perBatch(
  local: Broker,
  request: ProduceRequest,
  script: (firstValue: string) => Promise<ScriptedCode | undefined>,
): Promise<ProducePartitionResult[]> {
  return Promise.all(
    request.partitions.map(async (data) => {
      const code = await script(valuesOf(data)[0] ?? '')
      if (code === undefined) return (await local.produce({ ...request, partitions: [data] }))[0] as ProducePartitionResult
      return {
        topic: data.topic,
        partition: data.partition,
        baseOffset: -1,
        logAppendTime: -1,
        logStartOffset: -1,
        error: new TributaryError(code, `scripted ${code}`),
      }
    }),
  )
}

/** valuesOf lists the values of one partition's batch. */
export function valuesOf({ batch }: ProducePartitionData): Array<string | null> {
  return [...iterateBatches([batch])].flatMap((b) => [...b.records()].map((r) => r.value?.toString() ?? null))
}

/** sleep waits `ms` on real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
