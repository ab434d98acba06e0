import { TributaryError } from '@tributary/core'
import { GroupCoordinator } from '@tributary/core/internal'
import type { ClusterContext } from '../node/cluster-context'
import type { MetadataGroup } from '../metadata/metadata-group'

/** GroupMethod names the GroupCoordinator calls that clients make and other nodes forward as `group:<method>`. */
export type GroupMethod =
  | 'joinGroup'
  | 'syncGroup'
  | 'heartbeat'
  | 'leaveGroup'
  | 'commitOffsets'
  | 'fetchOffsets'
  | 'listGroups'
  | 'describeGroups'
  | 'deleteGroups'

const GROUP_METHODS: ReadonlySet<string> = new Set<GroupMethod>([
  'joinGroup',
  'syncGroup',
  'heartbeat',
  'leaveGroup',
  'commitOffsets',
  'fetchOffsets',
  'listGroups',
  'describeGroups',
  'deleteGroups',
])

/**
 * GroupRouter sends consumer-group calls to the group coordinator, which runs on the metadata
 * leader (its committed offsets are metadata commands): here, or forwarded to that node.
 */
export class GroupRouter {
  private coordinator: GroupCoordinator | null = null

  constructor(
    private readonly ctx: ClusterContext,
    private readonly meta: MetadataGroup,
  ) {}

  /** current is the coordinator while this node runs one (it leads the metadata), else null. */
  current(): GroupCoordinator | null {
    return this.coordinator
  }

  /** onCoordinator runs `run` on the coordinator here, or forwards `method` with `args` to the metadata leader. */
  async onCoordinator<T>(method: GroupMethod, args: unknown[], run: (c: GroupCoordinator) => Promise<T>): Promise<T> {
    const { ctx } = this
    ctx.assertOpen()
    await this.meta.waitForLeader()
    if (this.meta.isLeader()) return run(this.ensureCoordinator())
    const leader = this.meta.status().leader
    if (leader === 0 || leader === ctx.nodeId)
      throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is moving (no metadata leader yet)')
    try {
      return (await ctx.peers.call(leader, `group:${method}`, args)) as T
    } catch (error) {
      // An unreachable coordinator is a coordinator that is moving: the client retries.
      if (error instanceof TributaryError && error.code === 'LEADER_NOT_AVAILABLE')
        throw new TributaryError('COORDINATOR_NOT_AVAILABLE', error.message)
      throw error
    }
  }

  /**
   * servePeer runs a group call that another node forwarded (`method` without its `group:` prefix).
   * @throws TributaryError NOT_COORDINATOR when this node no longer leads the metadata, INVALID_REQUEST for an unknown method.
   */
  servePeer(method: string, args: unknown[]): Promise<unknown> {
    if (!this.meta.isLeader()) throw new TributaryError('NOT_COORDINATOR', `node ${this.ctx.nodeId} is not the group coordinator`)
    if (!GROUP_METHODS.has(method)) throw new TributaryError('INVALID_REQUEST', `unknown peer method group:${method}`)
    const c = this.ensureCoordinator()
    return (c[method as GroupMethod] as (...a: unknown[]) => Promise<unknown>).apply(c, args)
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
