import { type TopicPartition, TributaryError } from '@tributary/core'
import type { BrokerConnections } from './broker-connections'
import type { KafkaContext } from './context'
import { partitionError, rounds } from './request-checks'

/** Per-partition errors that say the cached leader (or topic id) is stale: metadata is asked again. */
export const STALE_METADATA = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_ID',
  'INCONSISTENT_TOPIC_ID',
  'KAFKA_STORAGE_ERROR',
  'NETWORK_EXCEPTION',
  'REQUEST_TIMED_OUT',
])

/** RouteOptions tune one routed call. */
export interface RouteOptions<P> {
  /** check refuses an item before anything is sent (its result carries the error). */
  check?: (item: P) => TributaryError | null
  /**
   * Kafka's requests name a partition once, so items naming a partition again go in later rounds:
   * one after another (produce: order matters), or at once (`parallelRounds`, fetch).
   */
  parallelRounds?: boolean
  /** onEarlyError runs when some item failed before anything was sent (fetch ends the others' waits). */
  onEarlyError?: () => void
}

/**
 * Router sends partition calls (produce, fetch, listOffsets, deleteRecords) to partition leaders:
 * it splits the items by leader, sends each leader its part in parallel, and merges the answers in
 * request order. A partition metadata does not list fails at once with UNKNOWN_TOPIC_OR_PARTITION
 * (retriable: a new topic may not have reached the metadata yet), one without a leader with
 * LEADER_NOT_AVAILABLE; a part whose request fails retriably (connection lost, timed out) fails
 * per partition, so the others keep their answers; anything else is thrown. Errors that show a
 * moved leader make the next call ask for metadata again.
 */
export class Router {
  constructor(private readonly ctx: KafkaContext) {}

  async routed<P extends TopicPartition, R extends { error?: TributaryError }>(
    items: readonly P[],
    send: (broker: BrokerConnections, part: P[]) => Promise<R[]>,
    failed: (item: P, error: TributaryError) => R,
    options: RouteOptions<P> = {},
  ): Promise<R[]> {
    const out = new Array<R>(items.length)
    const routable: number[] = []
    items.forEach((p, i) => {
      const refused = partitionError(p.topic, p.partition) ?? options.check?.(p) ?? null
      if (refused) out[i] = failed(p, refused)
      else routable.push(i)
    })
    await this.ctx.cache.ensure(routable.map((i) => items[i] as P))
    const parts = new Map<number, number[]>()
    for (const i of routable) {
      const p = items[i] as P
      const leader = this.ctx.cache.leaderOf(p.topic, p.partition)
      if (leader === undefined || leader < 0) {
        out[i] = failed(p, leader === undefined ? unknownPartition(p) : noLeader(p))
        continue
      }
      const list = parts.get(leader)
      if (list === undefined) parts.set(leader, [i])
      else list.push(i)
    }
    // Only items that failed before anything was sent are in `out` yet.
    if (options.onEarlyError !== undefined && out.some(Boolean)) options.onEarlyError()
    await Promise.all(
      [...parts].map(async ([leader, indexes]) => {
        const split = rounds(indexes.map((i) => ({ topic: (items[i] as P).topic, partition: (items[i] as P).partition, i })))
        const sendRound = (round: Array<{ i: number }>): Promise<void> => this.sendPart(leader, round, items, send, failed, out)
        if (options.parallelRounds) await Promise.all(split.map(sendRound))
        else for (const round of split) await sendRound(round)
      }),
    )
    if (out.some((r) => r.error !== undefined && STALE_METADATA.has(r.error.code))) this.ctx.cache.markStale()
    return out
  }

  /** routedWithRetry is `routed` for calls safe to repeat: partitions that failed for a stale leader are sent again, with backoff. */
  async routedWithRetry<P extends TopicPartition, R extends { error?: TributaryError }>(
    items: readonly P[],
    send: (broker: BrokerConnections, part: P[]) => Promise<R[]>,
    failed: (item: P, error: TributaryError) => R,
    options: RouteOptions<P> = {},
  ): Promise<R[]> {
    const out = await this.routed(items, send, failed, options)
    for (let attempt = 0; attempt < this.ctx.options.retry.retries; attempt++) {
      const redo = out.flatMap((r, i) => (r.error?.retriable && STALE_METADATA.has(r.error.code) ? [i] : []))
      if (redo.length === 0) break
      await this.ctx.backoff(attempt)
      const again = await this.routed(
        redo.map((i) => items[i] as P),
        send,
        failed,
        options,
      )
      redo.forEach((i, j) => {
        out[i] = again[j] as R
      })
    }
    return out
  }

  private async sendPart<P extends TopicPartition, R>(
    leader: number,
    round: Array<{ i: number }>,
    items: readonly P[],
    send: (broker: BrokerConnections, part: P[]) => Promise<R[]>,
    failed: (item: P, error: TributaryError) => R,
    out: R[],
  ): Promise<void> {
    const part = round.map(({ i }) => items[i] as P)
    let results: R[]
    try {
      results = await send(this.ctx.connections.node(leader), part)
    } catch (error) {
      if (!(error instanceof TributaryError) || !error.retriable) throw error
      this.ctx.cache.markStale()
      results = part.map((p) => failed(p, error))
    }
    round.forEach(({ i }, j) => {
      out[i] = results[j] ?? failed(items[i] as P, new TributaryError('UNKNOWN_SERVER_ERROR', `broker ${leader} gave no answer`))
    })
  }
}

function unknownPartition(p: TopicPartition): TributaryError {
  return new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `the cluster has no partition ${p.topic}-${p.partition}`, {
    details: { topic: p.topic, partition: p.partition },
  })
}

function noLeader(p: TopicPartition): TributaryError {
  return new TributaryError('LEADER_NOT_AVAILABLE', `partition ${p.topic}-${p.partition} has no leader now`, {
    details: { topic: p.topic, partition: p.partition },
  })
}
