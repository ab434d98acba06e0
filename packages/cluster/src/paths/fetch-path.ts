import {
  TributaryError,
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type FetchRequest,
  type ListOffsetsPartitionRequest,
  type ListOffsetsPartitionResult,
} from '@tributary/core'
import {
  FetchBudget,
  checkFetchOffset,
  checkFetchRequest,
  checkPartitionRequests,
  deleteRecordsTarget,
  failedDeleteRecords,
  failedFetch,
  failedListOffset,
  fetchHasEnough,
  listOffsetFor,
  unknownPartition,
  type CheckedFetch,
} from '@tributary/core/internal'
import { key, type ClusterContext } from '../node/cluster-context'
import { notLeaderHere } from '../node/cluster-errors'

/** How often a fetch that includes partitions served by other nodes polls them again. */
const REMOTE_FETCH_POLL_MS = 50

/** DeleteRecordsResult is one partition's answer to deleteRecords. */
export interface DeleteRecordsResult {
  topic: string
  partition: number
  lowWatermark: number
  error?: TributaryError
}

/**
 * FetchPath serves reads and offsets of the partitions this node leads from their local replicas
 * (which hold committed batches only); those led elsewhere are asked of their leader, so that a
 * read after an acknowledged write sees it wherever it is made (a follower serves only while no
 * leader is known).
 * Request checks, the fetch budget and offset rules are core's broker rules, as on one node.
 */
export class FetchPath {
  constructor(private readonly ctx: ClusterContext) {}

  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    const { ctx } = this
    ctx.assertOpen()
    const fetch = checkFetchRequest(request)
    const deadline = ctx.options.clock.now() + fetch.maxWaitMs
    for (;;) {
      const { results, remote } = await this.readPartitions(fetch, request.forward !== false)
      const left = deadline - ctx.options.clock.now()
      if (left <= 0 || request.signal?.aborted || ctx.closed || fetchHasEnough(results, fetch.minBytes)) return results
      await this.waitForData(remote ? Math.min(left, REMOTE_FETCH_POLL_MS) : left, request.signal)
    }
  }

  /** servePeer reads, for another node, from the local replicas only (never forwarding again). */
  servePeer(request: FetchRequest): FetchPartitionResult[] {
    const fetch = checkFetchRequest(request)
    // The asking node applied "the first batch whole" already (it asks for at least 1 byte while it has none).
    const budget = new FetchBudget(fetch.maxBytes, false)
    return fetch.partitions.map((p) => this.readLocal(p, budget))
  }

  /** readPartitions reads each partition here or from its leader (forward), or answers NOT_LEADER_OR_FOLLOWER (not forward). */
  private async readPartitions(fetch: CheckedFetch, forward: boolean): Promise<{ results: FetchPartitionResult[]; remote: boolean }> {
    const { ctx } = this
    const budget = new FetchBudget(fetch.maxBytes)
    const forwards = new Map<number, number[]>()
    const results = fetch.partitions.map((p, i) => {
      const replica = ctx.replicas.get(key(p.topic, p.partition))
      const leader = replica?.leader() || ctx.guessLeader(p.topic, p.partition)
      // Reads go to the leader, as Kafka's do: a follower's log may lag its high watermark and its
      // log start, so a fetch through it after an acknowledged write would not see that write.
      if (!replica?.isReady() && leader !== 0 && leader !== ctx.nodeId) {
        // A client that routes by leader (a Kafka client) is told to go there itself.
        if (!forward) return failedFetch(p, replica?.notLeader() ?? notLeaderHere(ctx.nodeId, p, leader))
        forwards.set(leader, [...(forwards.get(leader) ?? []), i])
        return undefined
      }
      return this.readLocal(p, budget)
    })
    for (const [leader, indexes] of forwards) {
      const parts = indexes.map((i) => fetch.partitions[i] as FetchPartitionRequest)
      let remote: FetchPartitionResult[]
      try {
        remote = await ctx.peers.call(leader, 'fetch', [
          { partitions: parts, maxWaitMs: 0, maxBytes: budget.anyGiven ? budget.remaining : Math.max(1, budget.remaining) },
        ])
      } catch (error) {
        remote = parts.map((p) => failedFetch(p, error))
      }
      indexes.forEach((i, j) => {
        const r =
          remote[j] ??
          failedFetch(
            parts[j] as FetchPartitionRequest,
            new TributaryError('UNKNOWN_SERVER_ERROR', `node ${leader} answered ${remote.length} of ${parts.length} partitions`),
          )
        budget.spend(r.batches)
        results[i] = r
      })
    }
    return { results: results as FetchPartitionResult[], remote: forwards.size > 0 }
  }

  private readLocal({ topic, partition, offset, maxBytes }: FetchPartitionRequest, budget: FetchBudget): FetchPartitionResult {
    try {
      const replica = this.ctx.replicas.get(key(topic, partition))
      if (replica === undefined) throw this.missingHere(topic, partition)
      const { log } = replica
      // The local log holds committed batches only: its end is the high watermark.
      const highWatermark = log.endOffset()
      const logStartOffset = log.startOffset()
      // Past the end of a replica that does not lead (behind, or cut off): the offset may well be
      // committed elsewhere, so the answer is "ask the leader" (retriable), never out of range.
      if (Number.isSafeInteger(offset) && offset > highWatermark && !replica.isReady()) throw replica.notLeader()
      checkFetchOffset(topic, partition, offset, logStartOffset, highWatermark)
      return { topic, partition, highWatermark, logStartOffset, batches: budget.read(log, offset, maxBytes, highWatermark) }
    } catch (error) {
      return failedFetch({ topic, partition }, error)
    }
  }

  /** first is the one answer a peer gave to a one-partition request. */
  private first<R>(answers: readonly R[], leader: number): R {
    const r = answers[0]
    if (r === undefined) throw new TributaryError('UNKNOWN_SERVER_ERROR', `node ${leader} answered a one-partition request with nothing`)
    return r
  }

  /**
   * missingHere is the error of a partition with no replica here and no leader to ask:
   * UNKNOWN_TOPIC_OR_PARTITION when the metadata has no such partition, else LEADER_NOT_AVAILABLE.
   */
  private missingHere(topic: string, partition: number): TributaryError {
    const t = this.ctx.state.topics.get(topic)
    if (t === undefined || !Number.isSafeInteger(partition) || partition < 0 || partition >= t.replicas.length)
      return unknownPartition(topic, partition)
    return (
      this.ctx.replicaStartErrors.get(key(topic, partition)) ??
      new TributaryError('LEADER_NOT_AVAILABLE', `${topic}-${partition} is not available on node ${this.ctx.nodeId}`)
    )
  }

  private waitForData(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const { ctx } = this
    // Bounded, as a single node's FetchWaiters: beyond the cap a fetch answers at once with what it has.
    if (ctx.dataWaiters.size >= ctx.options.maxFetchWaiters) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        ctx.dataWaiters.delete(finish)
        timer.cancel()
        signal?.removeEventListener('abort', finish)
        resolve()
      }
      const timer = ctx.options.clock.setTimeout(finish, ms)
      ctx.dataWaiters.add(finish)
      signal?.addEventListener('abort', finish)
    })
  }

  async listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    const { ctx } = this
    ctx.assertOpen()
    return Promise.all(
      checkPartitionRequests(partitions, 'listOffsets partitions').map(async (p) => {
        const { topic, partition } = p
        try {
          const replica = ctx.replicas.get(key(topic, partition))
          // As fetches: the leader's log knows the high watermark and the log start.
          const leader = replica?.leader() || ctx.guessLeader(topic, partition)
          if (!replica?.isReady() && leader !== 0 && leader !== ctx.nodeId)
            return this.first(await ctx.peers.call(leader, 'listOffsets', [[p]]), leader)
          if (replica === undefined) throw this.missingHere(topic, partition)
          return listOffsetFor(replica.log, p)
        } catch (error) {
          return failedListOffset(p, error)
        }
      }),
    )
  }

  async deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>): Promise<DeleteRecordsResult[]> {
    const { ctx } = this
    ctx.assertOpen()
    return Promise.all(
      checkPartitionRequests(partitions, 'deleteRecords partitions').map(
        async ({ topic, partition, offset }): Promise<DeleteRecordsResult> => {
          try {
            const replica = ctx.replicas.get(key(topic, partition))
            if (!replica?.isReady()) {
              const leader = replica?.leader() || ctx.guessLeader(topic, partition)
              if (leader === 0 || leader === ctx.nodeId) throw replica?.notLeader() ?? unknownPartition(topic, partition)
              return this.first(await ctx.peers.call(leader, 'deleteRecords', [[{ topic, partition, offset }]]), leader)
            }
            const target = deleteRecordsTarget(offset, replica.log.endOffset())
            return { topic, partition, lowWatermark: await replica.deleteBefore(target, this.ctx.options.requestTimeoutMs) }
          } catch (error) {
            return failedDeleteRecords({ topic, partition }, error)
          }
        },
      ),
    )
  }
}
