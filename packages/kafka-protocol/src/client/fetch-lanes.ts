import type { FetchPartitionRequest, FetchPartitionResult } from '@tributary/core'
import type { BrokerConnections, Lease } from './broker-connections'
import { type FetchLimits, fetchRequest, parseFetch } from './requests/partitions'

/** A Fetch before v13 names topics; from v13 by id: a topic without one caps the version. */
const LAST_FETCH_VERSION_BY_NAME = 12

interface InFlightFetch {
  /** The partitions and offsets asked for, as a canonical string. */
  key: string
  result: Promise<FetchPartitionResult[]>
  lease: Lease
  /** Callers awaiting `result` right now. */
  waiters: number
  settled: boolean
}

/** TopicIds looks topic ids up (for Fetch v13+), both ways. */
export interface TopicIds {
  topicId(topic: string): string | undefined
  topicName(topicId: string): string | undefined
}

/**
 * FetchLanes sends long-poll fetches, each on a leased connection of its own, so that a fetch
 * waiting at one broker never holds back produce, metadata, heartbeats or commits (Kafka answers
 * a connection's requests in order).
 *
 * A caller may stop waiting for a fetch (its signal aborts: another leader answered first, or the
 * consumer paused, sought or stopped) while the request stays at the broker, which cannot be told
 * to stop. Such an abandoned fetch is kept: the next fetch for the same partitions at the same
 * offsets — which is what a consumer asks next for partitions that got nothing — joins it instead
 * of sending another request behind it, and gets its answer the moment the broker has data. An
 * abandoned fetch nobody joins is dropped when its answer comes, or closed when its connection
 * is needed for a new fetch and every lease of the broker is taken.
 */
export class FetchLanes {
  private readonly inFlight = new Map<string, Set<InFlightFetch>>()

  constructor(private readonly ids: TopicIds) {}

  /**
   * fetch asks `broker` for `parts` and resolves with their results, or null once `signal`
   * aborts first. Rejects with the request's error (network, timeout, version).
   */
  async fetch(
    broker: BrokerConnections,
    parts: readonly FetchPartitionRequest[],
    limits: FetchLimits,
    signal: AbortSignal,
  ): Promise<FetchPartitionResult[] | null> {
    if (signal.aborted) return null
    const key = fetchKey(parts)
    // A fetch that does not wait must not join one that does.
    let f = limits.maxWaitMs === 0 ? undefined : this.joinable(broker.address, key)
    if (f === undefined) {
      // Registered with this caller as its waiter, so that no other fetch takes it for abandoned meanwhile.
      const started = await this.start(broker, parts, limits, key, signal)
      if (started === null) return null
      f = started
    } else f.waiters++
    try {
      const results = await untilAborted(f.result, signal)
      return results === null ? null : results.map((r) => ({ ...r }))
    } finally {
      f.waiters--
    }
  }

  /** close forgets every fetch (their connections are closed by the pool). */
  close(): void {
    this.inFlight.clear()
  }

  private joinable(address: string, key: string): InFlightFetch | undefined {
    for (const f of this.inFlight.get(address) ?? []) if (!f.settled && f.key === key) return f
    return undefined
  }

  private async start(
    broker: BrokerConnections,
    parts: readonly FetchPartitionRequest[],
    limits: FetchLimits,
    key: string,
    signal: AbortSignal,
  ): Promise<InFlightFetch | null> {
    if (!broker.canLeaseNow()) this.dropAbandoned(broker.address)
    const leasing = broker.lease()
    const lease = await untilAborted(leasing, signal)
    if (lease === null) {
      leasing.then(
        (l) => l.release(),
        () => undefined,
      )
      return null
    }
    const topicIds = new Map<string, string>()
    const topicNames = new Map<string, string>()
    let byName = false
    for (const { topic } of parts) {
      const id = this.ids.topicId(topic)
      if (id) {
        topicIds.set(topic, id)
        topicNames.set(id, topic)
      } else byName = true
    }
    const result = lease.connection
      .request(1, fetchRequest(parts, limits, topicIds), {
        maxVersion: byName ? LAST_FETCH_VERSION_BY_NAME : undefined,
        extraWaitMs: limits.maxWaitMs,
      })
      .then(({ body }) => parseFetch(body, parts, topicNames))
    const f: InFlightFetch = { key, result, lease, waiters: 1, settled: false }
    let set = this.inFlight.get(broker.address)
    if (set === undefined) this.inFlight.set(broker.address, (set = new Set()))
    set.add(f)
    const done = (): void => {
      f.settled = true
      set.delete(f)
      lease.release()
    }
    result.then(done, done)
    return f
  }

  /** dropAbandoned closes one fetch nobody waits for, freeing its connection for a new fetch. */
  private dropAbandoned(address: string): void {
    for (const f of this.inFlight.get(address) ?? []) {
      if (!f.settled && f.waiters === 0) {
        f.settled = true
        this.inFlight.get(address)?.delete(f)
        f.lease.release(true)
        return
      }
    }
  }
}

/** fetchKey is the partitions and offsets of a fetch, in a canonical order. */
export function fetchKey(parts: readonly FetchPartitionRequest[]): string {
  return parts
    .map((p) => `${p.topic}\u0000${p.partition}\u0000${p.offset}`)
    .sort()
    .join('\u0001')
}

/** untilAborted resolves as `promise` does, or with null as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null)
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = (): void => resolve(null)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
