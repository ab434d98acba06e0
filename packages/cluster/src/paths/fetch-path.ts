import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  TributaryError,
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type FetchRequest,
  type ListOffsetsPartitionRequest,
  type ListOffsetsPartitionResult,
} from '@tributary/core'
import { fetchHasEnough } from '@tributary/core/internal'
import { key, type ClusterContext } from '../node/cluster-context'
import { asError, unknownPartition } from '../node/cluster-errors'

const DEFAULT_FETCH_MAX_BYTES = 52_428_800
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
 * FetchPath serves reads and offsets from the local replicas, which hold committed batches only;
 * a partition hosted elsewhere, or read past a lagging follower's end, is asked of its leader.
 */
export class FetchPath {
  constructor(private readonly ctx: ClusterContext) {}

  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    const { ctx } = this
    ctx.assertOpen()
    const minBytes = request.minBytes ?? 1
    const deadline = ctx.options.clock.now() + Math.max(0, request.maxWaitMs ?? 0)
    for (;;) {
      const { results, remote } = await this.readPartitions(request)
      const left = deadline - ctx.options.clock.now()
      if (left <= 0 || request.signal?.aborted || ctx.closed || fetchHasEnough(results, minBytes)) return results
      await this.waitForData(remote ? Math.min(left, REMOTE_FETCH_POLL_MS) : left, request.signal)
    }
  }

  /** servePeer reads, for another node, from the local replicas only (never forwarding again). */
  servePeer(request: FetchRequest): FetchPartitionResult[] {
    return request.partitions.map((p) => this.readLocal(p, request.maxBytes ?? DEFAULT_FETCH_MAX_BYTES))
  }

  private async readPartitions(request: FetchRequest): Promise<{ results: FetchPartitionResult[]; remote: boolean }> {
    const { ctx } = this
    let budget = request.maxBytes ?? DEFAULT_FETCH_MAX_BYTES
    const forwards = new Map<number, number[]>()
    const results = request.partitions.map((p, i) => {
      const replica = ctx.replicas.get(key(p.topic, p.partition))
      const leader = replica?.leader() || ctx.guessLeader(p.topic, p.partition)
      // A lagging follower forwards reads past its end to the leader, which may have them.
      if ((replica === undefined || p.offset > replica.log.endOffset()) && leader !== 0 && leader !== ctx.nodeId) {
        forwards.set(leader, [...(forwards.get(leader) ?? []), i])
        return undefined
      }
      const r = this.readLocal(p, budget)
      for (const b of r.batches) budget -= b.length
      return r
    })
    for (const [leader, indexes] of forwards) {
      const parts = indexes.map((i) => request.partitions[i] as FetchPartitionRequest)
      let remote: FetchPartitionResult[]
      try {
        remote = (await ctx.peers.call(leader, 'fetch', [{ partitions: parts, maxWaitMs: 0, maxBytes: budget }])) as FetchPartitionResult[]
      } catch (error) {
        remote = parts.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          highWatermark: -1,
          logStartOffset: -1,
          batches: [],
          error: asError(error),
        }))
      }
      indexes.forEach((i, j) => (results[i] = remote[j]))
    }
    return { results: results as FetchPartitionResult[], remote: forwards.size > 0 }
  }

  private readLocal({ topic, partition, offset, maxBytes }: FetchPartitionRequest, budget: number): FetchPartitionResult {
    try {
      const replica = this.ctx.replicas.get(key(topic, partition))
      if (replica === undefined)
        throw this.ctx.state.topics.has(topic)
          ? new TributaryError('LEADER_NOT_AVAILABLE', `${topic}-${partition} is not available on node ${this.ctx.nodeId}`)
          : unknownPartition(topic, partition)
      const { log } = replica
      // The local log holds committed batches only: its end is the high watermark.
      const highWatermark = log.endOffset()
      const logStartOffset = log.startOffset()
      // Past the end of a replica that does not lead (behind, or cut off): the offset may well be
      // committed elsewhere, so the answer is "ask the leader" (retriable), never out of range.
      if (Number.isSafeInteger(offset) && offset > highWatermark && !replica.isReady()) throw replica.notLeader()
      if (!Number.isSafeInteger(offset) || offset < logStartOffset || offset > highWatermark) {
        throw new TributaryError(
          'OFFSET_OUT_OF_RANGE',
          `Offset ${offset} is outside [${logStartOffset}, ${highWatermark}] of ${topic}-${partition}`,
          { details: { topic, partition, offset, logStartOffset, highWatermark } },
        )
      }
      const batches = budget > 0 && offset < highWatermark ? log.read(offset, Math.min(maxBytes, budget)) : []
      return { topic, partition, highWatermark, logStartOffset, batches }
    } catch (error) {
      return { topic, partition, highWatermark: -1, logStartOffset: -1, batches: [], error: asError(error) }
    }
  }

  private waitForData(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const { ctx } = this
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
      partitions.map(async ({ topic, partition, timestamp }) => {
        try {
          const replica = ctx.replicas.get(key(topic, partition))
          if (replica === undefined) {
            const leader = ctx.guessLeader(topic, partition)
            if (leader === 0 || leader === ctx.nodeId) throw unknownPartition(topic, partition)
            return (
              (await ctx.peers.call(leader, 'listOffsets', [[{ topic, partition, timestamp }]])) as ListOffsetsPartitionResult[]
            )[0] as ListOffsetsPartitionResult
          }
          const { log } = replica
          if (timestamp === LATEST_TIMESTAMP) return { topic, partition, offset: log.endOffset(), timestamp: -1 }
          if (timestamp === EARLIEST_TIMESTAMP) return { topic, partition, offset: log.startOffset(), timestamp: -1 }
          if (!Number.isSafeInteger(timestamp) || timestamp < 0)
            throw new TributaryError('INVALID_TIMESTAMP', `Invalid timestamp ${timestamp}`)
          return { topic, partition, offset: log.offsetForTimestamp(timestamp) ?? -1, timestamp }
        } catch (error) {
          return { topic, partition, offset: -1, timestamp: -1, error: asError(error) }
        }
      }),
    )
  }

  async deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>): Promise<DeleteRecordsResult[]> {
    const { ctx } = this
    ctx.assertOpen()
    return Promise.all(
      partitions.map(async ({ topic, partition, offset }): Promise<DeleteRecordsResult> => {
        try {
          const replica = ctx.replicas.get(key(topic, partition))
          if (!replica?.isReady()) {
            const leader = replica?.leader() || ctx.guessLeader(topic, partition)
            if (leader === 0 || leader === ctx.nodeId) throw replica?.notLeader() ?? unknownPartition(topic, partition)
            const r = (await ctx.peers.call(leader, 'deleteRecords', [[{ topic, partition, offset }]])) as DeleteRecordsResult[]
            return r[0] as DeleteRecordsResult
          }
          const target = offset === -1 ? replica.log.endOffset() : offset
          if (!Number.isSafeInteger(target) || target < 0 || target > replica.log.endOffset())
            throw new TributaryError(
              'OFFSET_OUT_OF_RANGE',
              `Cannot delete records before ${offset}: the log ends at ${replica.log.endOffset()}`,
            )
          return { topic, partition, lowWatermark: await replica.deleteBefore(target, this.ctx.options.requestTimeoutMs) }
        } catch (error) {
          return { topic, partition, lowWatermark: -1, error: asError(error) }
        }
      }),
    )
  }
}
