import { iterateBatches, type Broker, type PartitionLog, type Storage } from '@tributary/core'
import type { Consumer } from '../consumer/consumer'
import { deferred } from '../deferred'
import type { ConsumerOptions } from '../options'
import { Tributary } from '../tributary'
import type { TributaryOptions } from '../options'

/**
 * Helpers shared by this package's tests (not exported from the package). Timeouts are short
 * real ones: a whole group test takes a few hundred milliseconds.
 */

/** FAST_GROUP are consumer settings that make joins, heartbeats and retries quick in tests. */
export const FAST_GROUP = Object.freeze({
  sessionTimeoutMs: 2_000,
  heartbeatIntervalMs: 40,
  rebalanceTimeoutMs: 3_000,
  maxWaitMs: 500,
  retry: { retries: 2, initialRetryTimeMs: 10, maxRetryTimeMs: 40 },
}) satisfies Partial<ConsumerOptions>

/** openMemory opens a Tributary on memory storage whose coordinator accepts short sessions. */
export function openMemory(options: TributaryOptions = {}): Promise<Tributary> {
  return Tributary.open({ ...options, brokerOptions: { minSessionTimeoutMs: 50, ...options.brokerOptions } })
}

/** waitFor polls `condition` until it holds, failing with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** StoredMessage is a record read straight from the broker, for assertions. */
export interface StoredMessage {
  partition: number
  offset: number
  key: string | null
  value: string | null
}

/** readTopic reads every record of a topic straight from the broker, partition by partition. */
export async function readTopic(broker: Broker, topic: string): Promise<StoredMessage[]> {
  const [meta] = (await broker.metadata({ topics: [topic] })).topics
  const out: StoredMessage[] = []
  for (const { partition } of meta?.partitions ?? []) {
    for (let offset = 0; ; ) {
      const [r] = await broker.fetch({ partitions: [{ topic, partition, offset, maxBytes: 1 << 20 }], maxWaitMs: 0 })
      if (!r || r.error || r.batches.length === 0) break
      for (const batch of iterateBatches(r.batches)) {
        for (const rec of batch.records()) {
          if (rec.offset >= offset)
            out.push({ partition, offset: rec.offset, key: rec.key?.toString() ?? null, value: rec.value?.toString() ?? null })
        }
        offset = batch.lastOffset + 1
      }
    }
  }
  return out
}

/** wrapBroker returns a broker that answers with `overrides` where given and with `inner` elsewhere. */
export function wrapBroker(inner: Broker, overrides: Partial<Broker>): Broker {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop in overrides) return (overrides as Record<string | symbol, unknown>)[prop]
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * gatedSyncStorage wraps a storage so that partition logs' `sync()` waits until `release()`:
 * a test can then observe what resolves before data is on disk (acks 0 and 1) and what after (all).
 */
export function gatedSyncStorage(inner: Storage): { storage: Storage; release(): void; syncs(): number } {
  const gate = deferred<void>()
  let released = false
  let calls = 0
  const wrapLog = (log: PartitionLog): PartitionLog =>
    new Proxy(log, {
      get(target, prop, receiver) {
        if (prop === 'sync') {
          return async () => {
            calls++
            if (!released) await gate.promise
            return target.sync()
          }
        }
        const value = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  const storage = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'partitionLog') return (...args: Parameters<Storage['partitionLog']>) => wrapLog(target.partitionLog(...args))
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    storage,
    release: () => {
      released = true
      gate.resolve()
    },
    syncs: () => calls,
  }
}

/** settledState reports whether a promise has settled yet, without waiting for it. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return settled
}

/**
 * rejoining tells whether a consumer has a rebalance pending (it must join the group again before
 * consuming further). Tests read it to know a group has settled; the consumer keeps its group
 * membership private, so this peeks past the type on purpose.
 */
export function rejoining(consumer: Consumer): boolean {
  return (consumer as unknown as { membership: { needsRejoin: boolean } }).membership.needsRejoin
}
