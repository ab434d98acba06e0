import { resolveTopicConfig, type TributaryError } from '@tributary/core'
import { partitionLogConfig, wrapStorageError } from '@tributary/core/internal'
import type { Message } from '@tributary/raft'
import { key, type ClusterContext } from '../node/cluster-context'
import { META_GROUP } from '../metadata/metadata-group'
import type { ClusterTopic } from '../metadata/metadata-state'
import { PartitionReplica } from './partition-replica'
import { peerFetchRange } from './partition-snapshot'
import { cleanReplica } from './replica-cleaner'

/** ReplicaError is the last error that stopped one of this node's replicas, for operators. */
export interface ReplicaError {
  partition: string
  error: TributaryError
  atMs: number
}

/**
 * LocalReplicas keeps the partition replicas this node hosts (`ClusterContext.replicas`) in line
 * with the metadata: it starts the ones placed here, stops those of deleted topics or moved
 * away, restarts failed ones, hands leadership back to preferred replicas and runs the log cleaner.
 */
export class LocalReplicas {
  private reconciling: Promise<void> = Promise.resolve()
  private lastError: ReplicaError | undefined

  constructor(private readonly ctx: ClusterContext) {}

  /** lastReplicaError is the last error that stopped a replica here (see replicaFailed). */
  get lastReplicaError(): ReplicaError | undefined {
    return this.lastError
  }

  /** settled resolves when the passes started so far have finished (close waits for it). */
  settled(): Promise<void> {
    return this.reconciling
  }

  /**
   * observe notes a Raft message from a peer: when it was heard from (for the live replica count
   * of acks=all produces), and, for a partition group, shows it to the local replica of that group.
   */
  observe(groupId: string, m: Message): void {
    const { ctx } = this
    ctx.peerHeardAt.set(m.from, ctx.options.clock.now())
    if (groupId === META_GROUP) return
    for (const r of ctx.replicas.values()) {
      if (r.groupId === groupId) {
        r.observe(m)
        return
      }
    }
  }

  /** reconcile starts the replicas this node should host and stops those of deleted topics, one pass at a time. */
  reconcile(): void {
    this.reconciling = this.reconciling.then(() => this.reconcileOnce()).catch(() => undefined)
  }

  private async reconcileOnce(): Promise<void> {
    const { ctx } = this
    if (ctx.closed) return
    const wanted = new Map<string, { topic: ClusterTopic; partition: number }>()
    for (const topic of ctx.state.topics.values()) {
      topic.replicas.forEach((_, partition) => {
        if (ctx.state.hostsOf(topic.name, partition).includes(ctx.nodeId)) wanted.set(key(topic.name, partition), { topic, partition })
      })
    }
    for (const [k, replica] of [...ctx.replicas]) {
      const w = wanted.get(k)
      if (w !== undefined && replica.groupId === groupIdOf(w.topic, w.partition)) continue
      ctx.replicas.delete(k)
      await ctx.host.stopGroup(replica.groupId)
      await ctx.disk.storage.deletePartition({ topic: replica.topic, partition: replica.partition })
    }
    let failed = false
    for (const [k, { topic, partition }] of wanted) {
      if (ctx.replicas.has(k) || ctx.closed) continue
      try {
        await this.startReplica(k, topic, partition)
        ctx.replicaStartErrors.delete(k)
      } catch (err) {
        failed = true
        this.startFailed(k, wrapStorageError(err, `starting the replica of ${topic.name}-${partition}`))
      }
    }
    for (const k of ctx.replicaStartErrors.keys()) if (!wanted.has(k)) ctx.replicaStartErrors.delete(k)
    // A replica that could not start (out of file descriptors, disk full) is tried again after a pause.
    if (failed && !ctx.closed) ctx.options.clock.setTimeout(() => this.reconcile(), ctx.options.tickMs * 20)
  }

  /**
   * startFailed records and logs why a replica placed here could not start: requests for the
   * partition on this node then fail with that error (e.g. KAFKA_STORAGE_ERROR "EMFILE: too many
   * open files"), not a bare LEADER_NOT_AVAILABLE, and operators see a line for it.
   */
  private startFailed(k: string, error: TributaryError): void {
    const { ctx } = this
    const first = !ctx.replicaStartErrors.has(k)
    ctx.replicaStartErrors.set(k, error)
    this.lastError = { partition: k, error, atMs: ctx.options.clock.now() }
    const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code
    if (first)
      ctx.options.logger.error('a partition replica could not start on this node', {
        nodeId: ctx.nodeId,
        partition: k,
        code: error.code,
        cause,
        error: error.message,
      })
  }

  private async startReplica(k: string, topic: ClusterTopic, partition: number): Promise<void> {
    const { ctx } = this
    const config = resolveTopicConfig(topic.configs)
    const log = ctx.disk.storage.partitionLog({ topic: topic.name, partition }, partitionLogConfig(config))
    const groupId = groupIdOf(topic, partition)
    const replica = await PartitionReplica.start(
      ctx.host,
      // A replica that a move adds (not among the partition's replicas yet) joins the group as a learner.
      {
        topic: topic.name,
        partition,
        groupId,
        replicas: topic.replicas[partition] ?? [],
        log,
        storage: ctx.disk.raftStorage?.(groupId),
        electionTicks: 10,
        join: !(topic.replicas[partition] ?? []).includes(ctx.nodeId),
        snapshots: ctx.options.partitionSnapshots,
      },
      {
        nodeId: ctx.nodeId,
        clock: ctx.options.clock,
        replicaLagTimeMaxMs: ctx.options.replicaLagTimeMaxMs,
        onData: () => ctx.wake(ctx.dataWaiters),
        fetchRange: peerFetchRange(ctx.peers, () => ctx.closed),
        producerIdExpirationMs: ctx.options.producerIdExpirationMs,
        proposed: (committed) => ctx.observer.proposed(committed),
      },
    )
    ctx.replicas.set(k, replica)
    replica.raft.on('error', (error: TributaryError) => this.replicaFailed(k, replica, error))
    replica.raft.on('role', (s) => ctx.observer.roleChanged(k, groupId, s, replica.raft.status().term))
  }

  /**
   * replicaFailed handles a partition group that stopped on an error (its storage failed, or a
   * restore found no peer holding the data it lacks): the replica is dropped and started again
   * after a pause, from what its storage holds. `lastReplicaError` keeps the error for operators.
   */
  private replicaFailed(k: string, replica: PartitionReplica, error: TributaryError): void {
    const { ctx } = this
    if (ctx.closed || ctx.replicas.get(k) !== replica) return
    this.lastError = { partition: k, error, atMs: ctx.options.clock.now() }
    ctx.observer.logger.error(`${k}: the partition replica failed; it restarts from its storage after a pause`, {
      nodeId: ctx.nodeId,
      group: replica.groupId,
      code: error.code,
      error: error.message,
    })
    ctx.observer.forget(replica.groupId)
    ctx.replicas.delete(k)
    this.reconciling = this.reconciling
      .then(async () => {
        await ctx.host.stopGroup(replica.groupId)
        await replica.close()
      })
      .catch(() => undefined)
    ctx.options.clock.setTimeout(() => this.reconcile(), ctx.options.tickMs * 20)
  }

  /**
   * handBackLeadership hands each partition this node leads back to its preferred leader (its
   * first replica) once that replica is in sync, so leadership stays spread over the nodes after
   * failovers and after racy first elections (Kafka's auto.leader.rebalance).
   */
  handBackLeadership(): void {
    const { ctx } = this
    for (const r of ctx.replicas.values()) {
      const preferred = ctx.state.topics.get(r.topic)?.replicas[r.partition]?.[0]
      if (preferred !== undefined && preferred !== ctx.nodeId && r.isReady() && r.inSyncReplicas().includes(preferred))
        r.raft.transferLeadership(preferred)
    }
  }

  /**
   * runLogCleaner applies compaction to every local replica and retention to those this node
   * leads (replicated as a log-start move).
   */
  async runLogCleaner(): Promise<void> {
    const { ctx } = this
    const now = ctx.options.clock.now()
    for (const replica of [...ctx.replicas.values()]) {
      const topic = ctx.state.topics.get(replica.topic)
      if (topic === undefined || ctx.closed) continue
      await cleanReplica(replica, resolveTopicConfig(topic.configs), now, ctx.options.requestTimeoutMs).catch(() => undefined) // retried next pass
    }
  }
}

/** groupIdOf is the Raft group id of a partition: its topic id, so a re-created topic gets new groups. */
function groupIdOf(topic: ClusterTopic, partition: number): string {
  return `p/${topic.topicId}/${partition}`
}
