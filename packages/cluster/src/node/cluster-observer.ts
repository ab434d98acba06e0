import { Histogram, LATENCY_BUCKETS_SECONDS, type HistogramSnapshot, type Logger, type RaftGroupStats } from '@tributary/core'
import type { RaftNodeStatus, SoftState } from '@tributary/raft'

/**
 * ClusterObserver is what a ClusterNode tells operators about its Raft groups: it logs leader
 * changes and elections (info for a new leader, warn when a group this node hosts has lost the
 * leader it had; a new group's first election is debug), counts leader changes, and times produced batches from proposal to commit. Calls are
 * per role change and per proposed batch, never per message.
 */
export class ClusterObserver {
  private changes = 0
  private readonly commitLatency = new Histogram(LATENCY_BUCKETS_SECONDS)
  private readonly leaders = new Map<string, number>()

  constructor(
    private readonly nodeId: number,
    readonly logger: Logger,
  ) {}

  /** roleChanged is fed every Raft role event of a group this node hosts (`what`: 'metadata' or 'topic/partition'). */
  roleChanged(what: string, groupId: string, state: SoftState, term: number): void {
    const before = this.leaders.get(groupId)
    if (before === state.leader) return
    this.leaders.set(groupId, state.leader)
    const fields = { nodeId: this.nodeId, group: what, leader: state.leader, role: state.role, term }
    if (state.leader === 0) {
      // A group that had a leader and lost it is worth a warning; a new group's first election is not.
      const lost = before !== undefined && before !== 0
      this.logger[lost ? 'warn' : 'debug'](`${what}: the Raft group has no leader; an election is under way`, fields)
      return
    }
    if (before !== undefined) this.changes++
    this.logger.info(state.leader === this.nodeId ? `${what}: this node was elected leader` : `${what}: node ${state.leader} leads`, fields)
  }

  /** forget drops a group this node no longer hosts. */
  forget(groupId: string): void {
    this.leaders.delete(groupId)
  }

  /** proposed times `committed` (a produced batch's proposal) until it commits. */
  proposed(committed: Promise<unknown>): void {
    const started = performance.now()
    committed.then(
      () => this.commitLatency.observe((performance.now() - started) / 1000),
      () => undefined,
    )
  }

  /** leaderChanges is how many times a hosted group got a new leader after this node had seen it without one or with another (elections included). */
  get leaderChanges(): number {
    return this.changes
  }

  /** commitLatencySeconds is the proposal-to-commit histogram. */
  commitLatencySeconds(): HistogramSnapshot {
    return this.commitLatency.snapshot()
  }
}

/** raftGroupStats turns a RaftNode's status into the stats shape. */
export function raftGroupStats(s: RaftNodeStatus): RaftGroupStats {
  return {
    groupId: s.groupId,
    role: s.role,
    term: s.term,
    leader: s.leader,
    commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex,
    lastIndex: s.lastIndex,
    voters: [...s.membership.voters],
    learners: [...s.membership.learners],
  }
}
