import {
  TributaryError,
  resolveTopicConfig,
  type ProducePartitionData,
  type ProducePartitionResult,
  type ProduceRequest,
} from '@tributary/core'
import { checkProduceRequest, checkProducedBatch, failedProduce, unknownPartition } from '@tributary/core/internal'
import { key, type ClusterContext } from '../node/cluster-context'
import { notEnoughReplicas, notLeaderHere } from '../node/cluster-errors'

/**
 * ProducePath appends produced batches: each partition's batch on its leader, here or forwarded
 * over the peer channel (one call per leader node). Failures are answered per partition.
 */
export class ProducePath {
  constructor(private readonly ctx: ClusterContext) {}

  async produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    const { ctx } = this
    ctx.assertOpen()
    const { acks, timeoutMs, partitions } = checkProduceRequest(request)
    const results: Array<Promise<ProducePartitionResult>> = []
    const remote = new Map<number, number[]>()
    partitions.forEach((data, i) => {
      const replica = ctx.replicas.get(key(data.topic, data.partition))
      // A replica knows its leader (0 while none: answered here, e.g. NOT_ENOUGH_REPLICAS); others guess the preferred one.
      const leader = replica === undefined ? ctx.guessLeader(data.topic, data.partition) : replica.isReady() ? ctx.nodeId : replica.leader()
      if (leader === ctx.nodeId || leader === 0) results[i] = this.produceLocal(data, acks, timeoutMs)
      else if (request.forward === false)
        results[i] = Promise.resolve(failedProduce(data, replica?.notLeader() ?? notLeaderHere(ctx.nodeId, data, leader)))
      else remote.set(leader, [...(remote.get(leader) ?? []), i])
    })
    for (const [leader, indexes] of remote) {
      const sub = { acks, timeoutMs, partitions: indexes.map((i) => partitions[i] as ProducePartitionData) }
      const call = ctx.peers.call(leader, 'produce', [sub], { extraWaitMs: timeoutMs })
      indexes.forEach((i, j) => {
        const data = partitions[i] as ProducePartitionData
        results[i] = call.then(
          (r) => r[j] as ProducePartitionResult,
          (error: unknown) => failedProduce(data, error),
        )
      })
    }
    const out = await Promise.all(results)
    return acks === 0 ? out.map((r) => ({ ...r, baseOffset: -1 })) : out
  }

  /** servePeer appends the batches another node forwarded here (never forwarding them again). */
  servePeer({ acks, timeoutMs, partitions }: ProduceRequest): Promise<ProducePartitionResult[]> {
    return Promise.all(partitions.map((p) => this.produceLocal(p, acks, timeoutMs)))
  }

  /** produceLocal appends one batch on this node, which must lead the partition. */
  private async produceLocal(data: ProducePartitionData, acks: number, timeoutMs: number): Promise<ProducePartitionResult> {
    const { topic, partition } = data
    try {
      const t = this.ctx.requireTopic(topic)
      if (!Number.isSafeInteger(partition) || partition < 0 || partition >= t.replicas.length) throw unknownPartition(topic, partition)
      const config = resolveTopicConfig(t.configs)
      checkProducedBatch(topic, data.batch, config)
      const replica = this.ctx.replicas.get(key(topic, partition))
      if (replica === undefined || !replica.isReady()) {
        if (acks === -1 && this.liveReplicas(t.replicas[partition] ?? []) < config.minInsyncReplicas)
          throw notEnoughReplicas(topic, partition, this.liveReplicas(t.replicas[partition] ?? []), config)
        throw (
          replica?.notLeader() ??
          this.ctx.replicaStartErrors.get(key(topic, partition)) ??
          new TributaryError('LEADER_NOT_AVAILABLE', `${topic}-${partition} has no known leader`)
        )
      }
      if (acks === -1) {
        const isr = replica.inSyncReplicas().length
        if (isr < config.minInsyncReplicas) throw notEnoughReplicas(topic, partition, isr, config)
      }
      const r = await replica.append(data.batch, acks, timeoutMs, config.messageTimestampType === 'LogAppendTime')
      return { topic, partition, baseOffset: r.baseOffset, logAppendTime: r.logAppendTime, logStartOffset: replica.log.startOffset() }
    } catch (error) {
      return failedProduce(data, error)
    }
  }

  /** liveReplicas counts this node (if a replica) and the replicas heard from within the lag time. */
  private liveReplicas(replicas: readonly number[]): number {
    const { ctx } = this
    const now = ctx.options.clock.now()
    return replicas.filter((id) => id === ctx.nodeId || now - (ctx.peerHeardAt.get(id) ?? -Infinity) <= ctx.options.replicaLagTimeMaxMs)
      .length
  }
}
