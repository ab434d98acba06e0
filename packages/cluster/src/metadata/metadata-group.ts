import { assert } from '@tributary/core/internal'
import { randomUUID } from 'node:crypto'
import { TributaryError } from '@tributary/core'
import { EntryType, type ConfChange, type RaftNode, type RaftNodeStatus } from '@tributary/raft'
import type { ClusterContext } from '../node/cluster-context'
import type { MetadataCommand, MetadataResult } from './metadata-state'
import type { RpcArgs, RpcResult } from '@tributary/core'
import type { MetaApi, MetaMethod, PeerMethod } from '../server/peer-rpc'

export type { MetaMethod } from '../server/peer-rpc'

/** META_GROUP is the Raft group id of the metadata group, which every node replicates. */
export const META_GROUP = 'meta'
const EMPTY = new Uint8Array(0)

/** MetadataGroupHooks are what the metadata group tells the rest of its node. */
export interface MetadataGroupHooks {
  /** changed: the metadata changed (a command applied, or a snapshot restored); the local replicas follow it. */
  changed(): void
}

/**
 * MetadataGroup runs this node's replica of the metadata Raft group: it applies committed
 * commands to `ClusterContext.state`, proposes new ones, and runs admin changes on the group's
 * leader (here, or forwarded there and then awaited until this node applied them too).
 */
export class MetadataGroup {
  private node: RaftNode | undefined
  /** The term in which this node, as leader, first applied an entry (-1: not ready to lead). */
  private readyTerm = -1
  private appliedIndex = 0
  private readonly results = new Map<string, (r: MetadataResult) => void>()
  private nextRequest = 0

  constructor(
    private readonly ctx: ClusterContext,
    private readonly hooks: MetadataGroupHooks,
  ) {}

  /** start starts the group's replica on this node (no voters: a joining node waits to be added as a learner). */
  async start(voters: number[]): Promise<void> {
    const { host, state } = this.ctx
    this.node = await host.startGroup({
      groupId: META_GROUP,
      voters,
      storage: this.ctx.disk.raftStorage?.(META_GROUP),
      // Membership entries carry no metadata command (the Raft core applies them itself).
      stateMachine: {
        apply: (e) => this.apply(e.index, e.term, e.type === EntryType.Normal ? e.data : EMPTY),
        snapshot: () => state.snapshot(),
        restore: (d, i) => this.restore(d, i),
      },
    })
  }

  /** raft is the group's running replica (after start). */
  get raft(): RaftNode {
    assert(this.node !== undefined, 'MetadataGroup used before start')
    return this.node
  }

  /** applied is the index of the last entry this node applied. */
  get applied(): number {
    return this.appliedIndex
  }

  status(): RaftNodeStatus {
    return this.raft.status()
  }

  changeMembership(change: ConfChange): Promise<number> {
    return this.raft.changeMembership(change)
  }

  /** isLeader tells whether this node leads the group and has applied an entry of its term. */
  isLeader(): boolean {
    const s = this.raft.status()
    return s.role === 'leader' && s.term === this.readyTerm
  }

  /** onLeader runs `local` on the metadata leader: here, or forwarded, then waits until this node applied the change. */
  async onLeader<M extends MetaMethod>(
    method: M,
    args: RpcArgs<MetaApi, M>,
    local: () => Promise<RpcResult<MetaApi, M>>,
  ): Promise<RpcResult<MetaApi, M>> {
    await this.waitForLeader()
    if (this.isLeader()) return local()
    const leader = this.raft.status().leader
    if (leader === 0 || leader === this.ctx.nodeId) throw new TributaryError('LEADER_NOT_AVAILABLE', 'the metadata group has no leader yet')
    // `meta:${M}` is a PeerMethod whose arguments are M's and whose answer is { value: M's result, index }
    // (peer-rpc.ts); the compiler cannot follow a generic M through the template key, hence the one cast.
    const forward = this.ctx.peers.call as unknown as (
      to: number,
      method: PeerMethod,
      args: RpcArgs<MetaApi, M>,
    ) => Promise<{ value: RpcResult<MetaApi, M>; index: number }>
    const { value, index } = await forward.call(this.ctx.peers, leader, `meta:${method}` as PeerMethod, args)
    await this.ctx.waitFor(() => this.appliedIndex >= index, this.ctx.options.requestTimeoutMs)
    return value
  }

  /**
   * catchUp is a read barrier: it waits until this node has applied everything the metadata
   * leader had applied when asked, so that a read after it sees every change committed before.
   * @throws TributaryError LEADER_NOT_AVAILABLE (retriable) when no leader answers in time.
   */
  async catchUp(): Promise<void> {
    if (this.isLeader()) return
    await this.waitForLeader()
    const leader = this.raft.status().leader
    if (this.isLeader()) return
    if (leader === 0 || leader === this.ctx.nodeId) throw new TributaryError('LEADER_NOT_AVAILABLE', 'the metadata group has no leader yet')
    const { index } = await this.ctx.peers.call(leader, 'meta:syncMetadata', [])
    await this.ctx.waitFor(() => this.appliedIndex >= index, this.ctx.options.requestTimeoutMs)
    if (this.appliedIndex < index)
      throw new TributaryError(
        'LEADER_NOT_AVAILABLE',
        `node ${this.ctx.nodeId} has not caught up with the metadata (applied ${this.appliedIndex} of ${index})`,
      )
  }

  /** waitForLeader waits (bounded by an election or two) until the metadata group has a usable leader. */
  waitForLeader(): Promise<void> {
    return this.ctx.waitFor(() => {
      const leader = this.raft.status().leader
      return this.isLeader() || (leader !== 0 && leader !== this.ctx.nodeId)
    }, this.ctx.options.tickMs * 60)
  }

  /** propose replicates a command and resolves with its index and its result once applied here. */
  async propose(cmd: MetadataCommand): Promise<{ index: number; result: MetadataResult }> {
    const reqId = `${this.ctx.nodeId}-${this.nextRequest++}`
    let result: MetadataResult
    this.results.set(reqId, (r) => (result = r))
    try {
      const index = await this.raft.propose(Buffer.from(JSON.stringify({ ...cmd, reqId })))
      return { index, result }
    } finally {
      this.results.delete(reqId)
    }
  }

  private apply(index: number, term: number, data: Uint8Array): void {
    const { state } = this.ctx
    // RaftNode counts an entry applied only after this returns: waiters read appliedIndex instead.
    this.appliedIndex = index
    if (data.length > 0) {
      const cmd = JSON.parse(Buffer.from(data).toString('utf8')) as MetadataCommand & { reqId?: string }
      const result = state.apply(cmd)
      if (cmd.reqId !== undefined) this.results.get(cmd.reqId)?.(result)
      if (cmd.op === 'bootstrap' || cmd.op === 'registerBroker') this.ctx.learnAddresses()
      this.hooks.changed()
    }
    if (term !== this.readyTerm) {
      const s = this.raft.status()
      if (s.role === 'leader' && s.term === term) {
        this.readyTerm = term
        if (state.clusterId === '')
          void this.propose({ op: 'bootstrap', clusterId: randomUUID(), brokers: this.ctx.configuredBrokers() }).catch(() => undefined)
      }
    }
    this.ctx.wake(this.ctx.appliedWaiters)
  }

  private restore(data: Uint8Array, index: number): void {
    this.appliedIndex = index
    this.ctx.state.restore(data)
    this.ctx.learnAddresses()
    this.hooks.changed()
  }
}
