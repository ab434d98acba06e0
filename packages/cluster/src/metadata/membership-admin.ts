import { TributaryError, type OngoingReassignment, type PartitionReassignment } from '@tributary/core'
import { coversAddress, key, type ClusterContext } from '../node/cluster-context'
import { unknownPartition } from '@tributary/core/internal'
import type { MetadataGroup } from './metadata-group'
import type { BrokerAddress } from './metadata-state'

/** ReassignmentResult is one partition's answer to alterPartitionReassignments. */
export interface ReassignmentResult {
  topic: string
  partition: number
  error?: TributaryError
}

/**
 * MembershipAdmin changes which nodes make up the cluster and where partitions live: nodes
 * join and register (as learners of the metadata group), leave, and partitions move between
 * them. Every change is a metadata command proposed on the metadata leader.
 */
export class MembershipAdmin {
  private registering: Promise<void> | undefined
  /** The chain of this node's own registrations (see registerSelf). */
  private selfRegistrations: Promise<void> = Promise.resolve()

  constructor(
    private readonly ctx: ClusterContext,
    private readonly meta: MetadataGroup,
  ) {}

  async alterPartitionReassignments(reassignments: PartitionReassignment[]): Promise<ReassignmentResult[]> {
    this.ctx.assertOpen()
    if (!Array.isArray(reassignments)) throw new TributaryError('INVALID_REQUEST', 'reassignments must be an array')
    return this.meta.onLeader('alterPartitionReassignments', [reassignments], async () => {
      const out: ReassignmentResult[] = []
      for (const r of reassignments) {
        try {
          const target = this.checkReassignment(r)
          await this.meta.propose({ op: 'reassign', topic: r.topic, partition: r.partition, target })
          out.push({ topic: r.topic, partition: r.partition })
        } catch (error) {
          if (!(error instanceof TributaryError)) throw error
          out.push({ topic: r?.topic, partition: r?.partition, error })
        }
      }
      return out
    })
  }

  async listPartitionReassignments(): Promise<OngoingReassignment[]> {
    const { ctx } = this
    ctx.assertOpen()
    return [...ctx.state.reassignments.values()].map((r) => ({
      topic: r.topic,
      partition: r.partition,
      replicas: ctx.state.hostsOf(r.topic, r.partition),
      addingReplicas: r.target.filter((id) => !r.original.includes(id)),
      removingReplicas: r.original.filter((id) => !r.target.includes(id)),
    }))
  }

  async unregisterBroker(nodeId: number): Promise<void> {
    const { ctx } = this
    ctx.assertOpen()
    await this.meta.onLeader('unregisterBroker', [nodeId], async () => {
      if (!ctx.nodeIds().includes(nodeId))
        throw new TributaryError('BROKER_NOT_AVAILABLE', `node ${String(nodeId)} is not registered`, { details: { nodeId } })
      const hosted = [...ctx.state.topics.values()].flatMap((t) =>
        t.replicas.map((_, p) => `${t.name}-${p}`).filter((_, p) => ctx.state.hostsOf(t.name, p).includes(nodeId)),
      )
      if (hosted.length > 0) {
        throw new TributaryError(
          'INVALID_REQUEST',
          `node ${nodeId} still hosts ${hosted.length} replicas (e.g. ${hosted.slice(0, 3).join(', ')}): move them with alterPartitionReassignments first`,
          { details: { nodeId, partitions: hosted.slice(0, 100) } },
        )
      }
      await this.meta.propose({ op: 'unregisterBroker', nodeId })
      const m = this.meta.status().membership
      if (m.voters.includes(nodeId)) {
        const successor = m.learners.find((id) => ctx.state.brokers.has(id))
        if (successor !== undefined) await this.meta.changeMembership({ type: 'promote', nodeId: successor })
      }
      if (m.voters.includes(nodeId) || m.learners.includes(nodeId)) await this.meta.changeMembership({ type: 'remove', nodeId })
    })
  }

  async completeReassignment(topic: string, partition: number, target: number[]): Promise<void> {
    await this.meta.onLeader(
      'completeReassignment',
      [topic, partition, target],
      async () => void (await this.meta.propose({ op: 'completeReassignment', topic, partition, target })),
    )
  }

  async registerBroker(nodeId: number, address: BrokerAddress): Promise<void> {
    if (!Number.isSafeInteger(nodeId) || nodeId <= 0 || typeof address?.host !== 'string' || !Number.isSafeInteger(address.port)) {
      throw new TributaryError('INVALID_REQUEST', `cannot register node ${String(nodeId)} at ${JSON.stringify(address)}`)
    }
    await this.meta.onLeader('registerBroker', [nodeId, address], async () => {
      if (!coversAddress(this.ctx.state.brokers.get(nodeId), address)) await this.meta.propose({ op: 'registerBroker', nodeId, address })
      const m = this.meta.status().membership
      if (!m.voters.includes(nodeId) && !m.learners.includes(nodeId)) await this.meta.changeMembership({ type: 'add-learner', nodeId })
    })
  }

  /**
   * joinCluster asks the configured peers to admit this new node, then waits to hold the metadata.
   * @throws TributaryError BROKER_NOT_AVAILABLE when no peer admitted it in time (the caller closes the node).
   */
  async joinCluster(): Promise<void> {
    const { ctx } = this
    const deadline = ctx.options.clock.now() + ctx.options.requestTimeoutMs * 3
    let lastError: unknown
    while (!ctx.closed && ctx.options.clock.now() < deadline) {
      for (const id of ctx.options.peers.keys()) {
        try {
          await ctx.peers.call(id, 'join', [ctx.nodeId, ctx.myAddress()])
          await ctx.waitFor(() => ctx.state.brokers.has(ctx.nodeId), ctx.options.requestTimeoutMs)
          if (ctx.state.brokers.has(ctx.nodeId)) return
        } catch (error) {
          lastError = error
        }
      }
      await new Promise<void>((resolve) => ctx.options.clock.setTimeout(resolve, ctx.options.tickMs * 10))
    }
    throw new TributaryError('BROKER_NOT_AVAILABLE', `node ${ctx.nodeId} could not join the cluster through its peers`, {
      cause: lastError,
    })
  }

  /** ensureRegistered re-registers this node when the metadata holds an old address for it (e.g. port 0). */
  ensureRegistered(): void {
    const { ctx } = this
    const mine = ctx.state.brokers.get(ctx.nodeId)
    if (this.registering !== undefined || mine === undefined || coversAddress(mine, ctx.myAddress())) return
    this.registering = this.registerSelf()
      .catch(() => undefined)
      .finally(() => (this.registering = undefined))
  }

  /**
   * registerSelf records this node's current address (read when its turn comes). Registrations of
   * this node run one after another, so an older address (say, before its Kafka listener was
   * known) can never land after a newer one.
   */
  registerSelf(): Promise<void> {
    const next = this.selfRegistrations.then(() => this.registerBroker(this.ctx.nodeId, this.ctx.myAddress()))
    this.selfRegistrations = next.catch(() => undefined)
    return next
  }

  private checkReassignment(r: PartitionReassignment): number[] {
    const { ctx } = this
    const t = ctx.requireTopic(r?.topic)
    if (!Number.isSafeInteger(r.partition) || r.partition < 0 || r.partition >= t.replicas.length)
      throw unknownPartition(r.topic, r.partition)
    const pending = ctx.state.reassignments.get(key(r.topic, r.partition))
    if (r.replicas === null) {
      if (pending === undefined) throw new TributaryError('NO_REASSIGNMENT_IN_PROGRESS', `${r.topic}-${r.partition} is not being moved`)
      return pending.original
    }
    const nodes = ctx.nodeIds()
    const ok =
      Array.isArray(r.replicas) &&
      r.replicas.length > 0 &&
      new Set(r.replicas).size === r.replicas.length &&
      r.replicas.every((id) => nodes.includes(id))
    if (!ok)
      throw new TributaryError(
        'INVALID_REPLICA_ASSIGNMENT',
        `replicas for ${r.topic}-${r.partition} must be distinct registered node ids, got ${JSON.stringify(r.replicas)}`,
        { details: { nodes } },
      )
    return [...r.replicas]
  }
}
