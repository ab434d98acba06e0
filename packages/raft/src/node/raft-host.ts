import { checkInt, checkMs } from '@tributary/core/internal'
import { randomInt } from 'node:crypto'
import { TributaryError, systemClock, type Clock, type TimerHandle } from '@tributary/core'
import { Sfc32 } from '../core/random'
import type { NodeId } from '../core/types'
import type { Transport } from '../transport/transport'
import type { RaftGroupOptions } from './options'
import { RaftNode } from './raft-node'

/** RaftHostOptions configures the per-process host of many Raft groups. */
export interface RaftHostOptions {
  /** id: this node's id in every group it hosts (positive integer). Required. */
  readonly id: NodeId
  readonly transport: Transport
  /** clock: time source for ticks and timeouts. Default: the system clock. */
  readonly clock?: Clock
  /** tickMs: length of one Raft tick. Election timeout = electionTicks × tickMs. Default 100 ms. */
  readonly tickMs?: number
  /** seed: seed of the election-timeout random source. Default: a random seed. */
  readonly seed?: number
}

/**
 * RaftHost runs every Raft group replica of one node: one ticker for all of them (not a timer
 * per group, so thousands of idle groups stay cheap) and one transport whose frames carry
 * messages of many groups.
 */
export class RaftHost {
  private readonly groups = new Map<string, RaftNode>()
  private readonly clock: Clock
  private readonly tickMs: number
  private readonly random: Sfc32
  private timer: TimerHandle | undefined
  private closed = false

  constructor(readonly options: RaftHostOptions) {
    checkInt(options.id, 'options.id', 1)
    this.clock = options.clock ?? systemClock
    this.tickMs = checkMs(options.tickMs ?? 100, 'options.tickMs', 1)
    if (options.seed !== undefined) checkInt(options.seed, 'options.seed', 0)
    this.random = new Sfc32(options.seed ?? randomInt(0, 2 ** 47))
    options.transport.onMessage((groupId, m) => this.groups.get(groupId)?.receive(m))
    this.schedule()
  }

  /**
   * startGroup loads and starts one group replica on this node.
   * @throws TributaryError INVALID_CONFIG (bad or duplicate group), KAFKA_STORAGE_ERROR, CLIENT_CLOSED.
   */
  async startGroup(options: RaftGroupOptions): Promise<RaftNode> {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the raft host is closed')
    if (this.groups.has(options.groupId))
      throw new TributaryError('INVALID_CONFIG', `group ${options.groupId} already runs on this node`, {
        details: { path: 'options.groupId' },
      })
    const deps = {
      id: this.options.id,
      clock: this.clock,
      random: this.random.fork(),
      send: (g: string, m: Parameters<Transport['send']>[1]) => this.options.transport.send(g, m),
    }
    const node = await RaftNode.start(deps, options)
    this.groups.set(options.groupId, node)
    return node
  }

  /** group returns a running replica by id. */
  group(groupId: string): RaftNode | undefined {
    return this.groups.get(groupId)
  }

  /** stopGroup closes one replica. */
  async stopGroup(groupId: string): Promise<void> {
    const node = this.groups.get(groupId)
    this.groups.delete(groupId)
    await node?.close()
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => this.tickAll(), this.tickMs)
  }

  private tickAll(): void {
    if (this.closed) return
    const now = this.clock.now()
    for (const node of this.groups.values()) node.tick(now)
    this.schedule()
  }

  /** close stops the ticker, every group and the transport. */
  async close(): Promise<void> {
    this.closed = true
    this.timer?.cancel()
    await Promise.all([...this.groups.values()].map((g) => g.close()))
    this.groups.clear()
    await this.options.transport.close()
  }
}
