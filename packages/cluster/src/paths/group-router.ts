import {
  TributaryError,
  resolveGroupCoordinatorOptions,
  type BrokerRpc,
  type JoinGroupRequest,
  type RpcArgs,
  type RpcResult,
} from '@tributary/core'
import { type CallOptions, GroupCoordinator } from '@tributary/core/internal'
import type { GroupMethod, PeerMethod } from '../server/peer-rpc'
import type { ClusterContext } from '../node/cluster-context'
import type { MetadataGroup } from '../metadata/metadata-group'

/**
 * GROUP_CALLS runs each group call on the coordinator (here, for a client or a forwarding node):
 * one entry per GroupMethod, so a forwarded name that is not one is refused before anything runs.
 */
const GROUP_CALLS: { readonly [M in GroupMethod]: (c: GroupCoordinator, args: RpcArgs<BrokerRpc, M>) => Promise<RpcResult<BrokerRpc, M>> } =
  {
    joinGroup: (c, [r]) => c.joinGroup(r),
    syncGroup: (c, [r]) => c.syncGroup(r),
    heartbeat: (c, [r]) => c.heartbeat(r),
    leaveGroup: (c, [r]) => c.leaveGroup(r),
    commitOffsets: (c, [r]) => c.commitOffsets(r),
    fetchOffsets: (c, [groupId, partitions]) => c.fetchOffsets(groupId, partitions),
    listGroups: (c) => c.listGroups(),
    describeGroups: (c, [groupIds]) => c.describeGroups(groupIds),
    deleteGroups: (c, [groupIds]) => c.deleteGroups(groupIds),
  }

/**
 * GroupRouter sends consumer-group calls to the group coordinator, which runs on the metadata
 * leader (its committed offsets are metadata commands): here, or forwarded to that node.
 */
export class GroupRouter {
  private coordinator: GroupCoordinator | null = null
  /** The longest session a member may have: a forwarded sync may be held that long. */
  private readonly maxSessionTimeoutMs: number

  constructor(
    private readonly ctx: ClusterContext,
    private readonly meta: MetadataGroup,
  ) {
    this.maxSessionTimeoutMs = resolveGroupCoordinatorOptions(ctx.options.groupCoordinator).maxSessionTimeoutMs
  }

  /** current is the coordinator while this node runs one (it leads the metadata), else null. */
  current(): GroupCoordinator | null {
    return this.coordinator
  }

  /** call runs group call `method` on the coordinator here, or forwards it to the metadata leader. */
  async call<M extends GroupMethod>(method: M, args: RpcArgs<BrokerRpc, M>): Promise<RpcResult<BrokerRpc, M>> {
    const { ctx } = this
    ctx.assertOpen()
    await this.meta.waitForLeader()
    if (this.meta.isLeader()) return GROUP_CALLS[method](this.ensureCoordinator(), args)
    const leader = this.meta.status().leader
    if (leader === 0 || leader === ctx.nodeId)
      throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is moving (no metadata leader yet)')
    // `group:${M}` has M's arguments and result (peer-rpc.ts); the compiler cannot follow a
    // generic M through the template key, hence the one cast.
    const forward = ctx.peers.call as unknown as (
      to: number,
      method: PeerMethod,
      args: RpcArgs<BrokerRpc, M>,
      options: CallOptions,
    ) => Promise<RpcResult<BrokerRpc, M>>
    try {
      return await forward.call(ctx.peers, leader, `group:${method}` as PeerMethod, args, { extraWaitMs: this.heldMs(method, args) })
    } catch (error) {
      // An unreachable coordinator is a coordinator that is moving: the client retries.
      if (error instanceof TributaryError && error.code === 'LEADER_NOT_AVAILABLE')
        throw new TributaryError('COORDINATOR_NOT_AVAILABLE', error.message)
      throw error
    }
  }

  /**
   * heldMs is how long the coordinator may hold a call: a join until the rebalance completes
   * (its rebalance timeout), a sync until the leader's assignment or a session ends.
   */
  private heldMs<M extends GroupMethod>(method: M, args: RpcArgs<BrokerRpc, M>): number {
    if (method === 'joinGroup') return (args[0] as JoinGroupRequest).rebalanceTimeoutMs
    if (method === 'syncGroup') return this.maxSessionTimeoutMs
    return 0
  }

  /**
   * servePeer runs a group call that another node forwarded (`method` without its `group:` prefix).
   * @throws TributaryError NOT_COORDINATOR when this node no longer leads the metadata, INVALID_REQUEST for an unknown method.
   */
  servePeer(method: string, args: unknown[]): Promise<unknown> {
    if (!this.meta.isLeader()) throw new TributaryError('NOT_COORDINATOR', `node ${this.ctx.nodeId} is not the group coordinator`)
    if (!Object.hasOwn(GROUP_CALLS, method)) throw new TributaryError('INVALID_REQUEST', `unknown peer method group:${method}`)
    // Arguments off the wire: the coordinator checks them as it checks a client's.
    return GROUP_CALLS[method as GroupMethod](this.ensureCoordinator(), args as never)
  }

  /** dropCoordinator closes the coordinator when this node stops leading metadata: members re-join the next one. */
  async dropCoordinator(): Promise<void> {
    const c = this.coordinator
    this.coordinator = null
    await c?.close()
  }

  private ensureCoordinator(): GroupCoordinator {
    const { ctx, meta } = this
    this.coordinator ??= new GroupCoordinator(
      {
        clock: ctx.options.clock,
        partitionCount: (topic) => ctx.state.topics.get(topic)?.replicas.length,
        offsets: {
          loadCommittedOffsets: () => ctx.state.committedOffsets(),
          commitOffsets: async (offsets) => void (await meta.propose({ op: 'commitOffsets', offsets: [...offsets] })),
          deleteCommittedOffsets: async (groupId, partitions) =>
            void (await meta.propose({ op: 'deleteOffsets', groupId, partitions: partitions ? [...partitions] : undefined })),
        },
      },
      ctx.options.groupCoordinator,
    )
    return this.coordinator
  }
}
