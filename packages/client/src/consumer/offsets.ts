import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TributaryError, type Broker, type OffsetCommitEntry } from '@tributary/core'
import { ConsumerEvents, type ClientEmitter, type ConsumerEventName } from '../events'
import type { OffsetReset } from '../options'
import { isRejoinError, type GroupMembership } from './group-membership'
import type { PartitionState } from './partition-state'

/**
 * OffsetCommitter commits a member's offsets in its current generation, one commit at a time (a
 * later commit never overtakes an earlier one), and learns from a rejected commit that the group
 * is rebalancing.
 */
export class OffsetCommitter {
  private chain: Promise<void> = Promise.resolve()
  /** A commitResolved that is queued but not started yet: later calls share it, since it commits whatever is handled when it starts. */
  private queued: Promise<void> | null = null
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

  /** commitResolved commits every partition whose handled offset moved since its last commit. */
  commitResolved(states: Iterable<PartitionState>): Promise<void> {
    if (this.queued) return this.queued
    const run = this.serialize(async () => {
      this.queued = null
      const dirty = [...states].filter((s) => s.needsCommit())
      if (dirty.length === 0) return
      const offsets = dirty.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.resolved as number }))
      const counts = dirty.map((s) => s.uncommittedCount)
      await this.send(offsets)
      dirty.forEach((s, i) => {
        s.committed = (offsets[i] as OffsetCommitEntry).offset
        // Messages handled while the commit was under way are still uncommitted.
        s.uncommittedCount = Math.max(0, s.uncommittedCount - (counts[i] as number))
      })
    })
    this.queued = run
    return run
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
