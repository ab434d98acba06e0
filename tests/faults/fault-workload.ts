import { TributaryError } from '@tributary/core'
import type { Tributary } from '@tributary/client'
import type { ClientHooks, FetchedRecord } from './fault-client'
import { eventually } from '@tributary/core/testing'

/**
 * The client workload of the cluster fault tests: an idempotent acks=all producer sending keyed
 * messages at load, and a consumer group consuming concurrently. It records what the checks in
 * testing-faults-checks.ts compare with the final log. Values are `<key>:<seq>`, where `seq`
 * counts the sends of that key from 0.
 */

/** WorkloadRecord is everything the workload saw while it ran. */
export interface WorkloadRecord {
  /** acked: the values whose send was acknowledged. */
  readonly acked: Set<string>
  /** failedSends: per error code, how many sends failed for good. */
  readonly failedSends: Map<string, number>
  /** fetched: every record a consumer's fetch returned. */
  readonly fetched: FetchedRecord[]
  /** consumed: the values the group's handlers were given. */
  readonly consumed: Set<string>
  /** outOfRange: every OFFSET_OUT_OF_RANGE a consumer's fetch got, with the offset it asked for. */
  readonly outOfRange: Array<{ partition: number; offset: number; nodeId: number }>
  /** commits: every offset commit of the group, per partition, with its outcome ('ok' or an error code). */
  readonly commits: Array<{ partition: number; offset: number; outcome: string }>
}

/** newWorkloadRecord returns an empty record. */
export function newWorkloadRecord(): WorkloadRecord {
  return { acked: new Set(), failedSends: new Map(), fetched: [], consumed: new Set(), outOfRange: [], commits: [] }
}

/** consumerHooks record what the consumers fetched and committed (for ClusterClientBroker). */
export function consumerHooks(w: WorkloadRecord): ClientHooks {
  return {
    onFetch: (records) => void w.fetched.push(...records),
    onFetchError: (r, offset, nodeId) => {
      if (r.error?.code === 'OFFSET_OUT_OF_RANGE') w.outOfRange.push({ partition: r.partition, offset, nodeId })
    },
    onCommit: (request, error) => {
      for (const o of request.offsets)
        w.commits.push({ partition: o.partition, offset: o.offset, outcome: error === undefined ? 'ok' : codeOf(error) })
    },
  }
}

/** Load is a running producer load. */
export interface Load {
  /** stop stops sending and resolves once every send has its outcome. */
  stop(): Promise<void>
}

/** MAX_PENDING_SENDS bounds the sends waiting for their outcome. */
const MAX_PENDING_SENDS = 200

/** produceLoad sends keyed messages (`keys` keys, round robin) without waiting for each other, a few every 5 ms, until stopped. */
export function produceLoad(w: WorkloadRecord, tb: Tributary, topic: string, keys: number): Load {
  const producer = tb.producer({
    acks: 'all',
    idempotent: true,
    lingerMs: 2,
    timeoutMs: 2000,
    retry: { retries: 30, initialRetryTimeMs: 20, maxRetryTimeMs: 250 },
  })
  const seqs = new Array<number>(keys).fill(0)
  const pending = new Set<Promise<void>>()
  let stopped = false
  let n = 0
  const sendOne = (): void => {
    const k = n++ % keys
    const seq = seqs[k] ?? 0
    seqs[k] = seq + 1
    const value = `k${k}:${seq}`
    const p = producer.send({ topic, messages: [{ key: `k${k}`, value }] }).then(
      () => void w.acked.add(value),
      (error: unknown) => void w.failedSends.set(codeOf(error), (w.failedSends.get(codeOf(error)) ?? 0) + 1),
    )
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  const loop = (async () => {
    while (!stopped) {
      for (let i = 0; i < 4 && pending.size < MAX_PENDING_SENDS; i++) sendOne()
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      await Promise.all([...pending])
      await producer.disconnect().catch(() => undefined)
    },
  }
}

/** Member is one running member of the consumer group. */
export interface Member {
  disconnect(): Promise<void>
}

/** startConsumers runs one member of `group` on each Tributary, subscribed to `topic` from the beginning. */
export async function startConsumers(w: WorkloadRecord, tbs: readonly Tributary[], topic: string, group: string): Promise<Member[]> {
  return Promise.all(
    tbs.map(async (tb) => {
      const consumer = tb.consumer({
        groupId: group,
        sessionTimeoutMs: 1500,
        heartbeatIntervalMs: 50,
        maxWaitMs: 100,
        retry: { retries: 50, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
      })
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      const eachMessage = async ({ message }: { message: { value: Buffer | null } }): Promise<void> =>
        void w.consumed.add(String(message.value))
      // Works around a known client bug (cluster-faults.test.ts, 'known bugs'): run() rejects on one retriable error at start-up.
      await eventually(
        () =>
          consumer.run({ eachMessage }).then(
            () => true,
            (error: unknown) => (isRetriable(error) ? undefined : Promise.reject(error)),
          ),
        15_000,
      )
      return consumer
    }),
  )
}

/** codeOf is an error's code (or its text), for tallies and reports. */
export function codeOf(error: unknown): string {
  return error instanceof TributaryError ? error.code : String(error)
}

function isRetriable(error: unknown): boolean {
  return error instanceof TributaryError && error.retriable
}
