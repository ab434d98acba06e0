import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TributaryError, type Broker, type OffsetCommitEntry } from '@tributary/core'
import { ConsumerEvents, type ClientEmitter, type ConsumerEventName } from '../events'
import type { OffsetReset } from '../options'
import { isRejoinError, type GroupMembership } from './group-membership'
import type { PartitionState } from './partition-state'

const NO_STATES: readonly PartitionState[] = []

function ignore(): void {}

/**
 * OffsetCommitter commits a member's offsets in its current generation, one commit at a time (a
 * later commit never overtakes an earlier one), and learns from a rejected commit that the group
 * is rebalancing.
 */
export class OffsetCommitter {
  private chain: Promise<void> = Promise.resolve()
  /** A commitResolved that is queued but not started yet: later calls share it, since it commits whatever is handled when it starts. */
  private queued: Promise<void> | null = null
  /** The states the queued commitResolved commits from. */
  private queuedStates: readonly PartitionState[] = NO_STATES
  /** When the last commit finished (ms), for autoCommitIntervalMs. */
  lastCommitMs = 0

  constructor(
    private readonly broker: Broker,
    private readonly groupId: string,
    private readonly groupInstanceId: string | null,
    private readonly membership: GroupMembership,
    private readonly emitter: ClientEmitter<ConsumerEventName>,
    private readonly now: () => number,
  ) {}

  /**
   * commitResolved commits every partition of `states` whose handled offset moved since its last
   * commit. It runs after every handled chunk, so it makes no closure and no array it can avoid.
   */
  commitResolved(states: readonly PartitionState[]): Promise<void> {
    if (this.queued) return this.queued
    this.queuedStates = states
    const run = this.chain.then(this.runQueued)
    this.chain = run.catch(ignore)
    this.queued = run
    return run
  }

  /** runQueued starts the queued commitResolved (made once: a closure per commit is measurable). */
  private readonly runQueued = (): Promise<void> | undefined => {
    const states = this.queuedStates
    this.queued = null
    this.queuedStates = NO_STATES
    let dirty: PartitionState[] | null = null
    for (const s of states) if (s.needsCommit()) (dirty ??= []).push(s)
    return dirty === null ? undefined : this.commitDirty(dirty)
  }

  private async commitDirty(dirty: PartitionState[]): Promise<void> {
    const offsets = new Array<OffsetCommitEntry>(dirty.length)
    const counts = new Array<number>(dirty.length)
    for (let i = 0; i < dirty.length; i++) {
      const s = dirty[i] as PartitionState
      offsets[i] = { topic: s.topic, partition: s.partition, offset: s.resolved as number }
      counts[i] = s.uncommittedCount
    }
    await this.send(offsets)
    for (let i = 0; i < dirty.length; i++) {
      const s = dirty[i] as PartitionState
      s.committed = (offsets[i] as OffsetCommitEntry).offset
      // Messages handled while the commit was under way are still uncommitted.
      s.uncommittedCount = Math.max(0, s.uncommittedCount - (counts[i] as number))
    }
  }

  /** commit sends explicit offsets (the next offsets to read). Throws the coordinator's error. */
  commit(offsets: OffsetCommitEntry[]): Promise<void> {
    return this.serialize(() => this.send(offsets))
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn)
    this.chain = run.catch(() => undefined)
    return run
  }

  private async send(offsets: OffsetCommitEntry[]): Promise<void> {
    const { generationId, memberId } = this.membership
    try {
      await this.broker.commitOffsets({ groupId: this.groupId, generationId, memberId, groupInstanceId: this.groupInstanceId, offsets })
    } catch (error) {
      if (isRejoinError(error)) this.membership.requestRejoin(error)
      throw error
    }
    this.lastCommitMs = this.now()
    // The event's payload is built only for a listener: an auto-commit follows every handled chunk.
    if (!this.emitter.listens(ConsumerEvents.COMMIT_OFFSETS)) return
    const topics = new Map<string, Array<{ partition: number; offset: number }>>()
    for (const o of offsets) topics.set(o.topic, [...(topics.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }])
    this.emitter.emit(ConsumerEvents.COMMIT_OFFSETS, {
      groupId: this.groupId,
      memberId,
      groupGenerationId: generationId,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    })
  }
}

/**
 * startPositions sets each new partition's start: its committed offset, or where the reset policy
 * says when nothing is committed. Throws OFFSET_OUT_OF_RANGE for policy 'none' without a commit.
 */
export async function startPositions(
  broker: Broker,
  groupId: string,
  states: PartitionState[],
  policyFor: (topic: string) => OffsetReset,
): Promise<void> {
  if (states.length === 0) return
  const committed = await broker.fetchOffsets(
    groupId,
    states.map((s) => ({ topic: s.topic, partition: s.partition })),
  )
  const missing: PartitionState[] = []
  states.forEach((s, i) => {
    const offset = committed[i]?.offset ?? -1
    s.committed = offset
    if (offset >= 0) s.start(offset)
    else missing.push(s)
  })
  await resetPositions(broker, missing, policyFor)
}

/** resetPositions moves partitions to their log start or end by the reset policy (no commit, or out of range). */
export async function resetPositions(broker: Broker, states: PartitionState[], policyFor: (topic: string) => OffsetReset): Promise<void> {
  if (states.length === 0) return
  const none = states.find((s) => policyFor(s.topic) === 'none')
  if (none) {
    throw new TributaryError(
      'OFFSET_OUT_OF_RANGE',
      `No valid committed offset for ${none.topic}-${none.partition} and autoOffsetReset is 'none'`,
      {
        details: { topic: none.topic, partition: none.partition },
      },
    )
  }
  const results = await broker.listOffsets(
    states.map((s) => ({
      topic: s.topic,
      partition: s.partition,
      timestamp: policyFor(s.topic) === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
    })),
  )
  states.forEach((s, i) => {
    const r = results[i]
    if (!r || r.error) throw r?.error ?? new TributaryError('UNKNOWN_SERVER_ERROR', 'listOffsets returned no result')
    s.start(r.offset)
  })
}
