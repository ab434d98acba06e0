import type { Clock } from '@tributary/core'
import type { MetadataState, Reassignment } from '../metadata/metadata-state'
import type { PartitionReplica } from './partition-replica'
import { nextReassignmentStep, type ReassignmentStep } from './reassignment-plan'

/** ReassignerDeps are what the reassigner needs from its node. */
export interface ReassignerDeps {
  readonly nodeId: number
  readonly clock: Clock
  /** intervalMs: how often moves are advanced. */
  readonly intervalMs: number
  readonly state: MetadataState
  /** replica returns this node's replica of a partition, if it hosts one. */
  replica(topic: string, partition: number): PartitionReplica | undefined
  /** complete records a finished move in the metadata group (on its leader). */
  complete(r: Reassignment): Promise<void>
}

/**
 * Reassigner advances the partition moves recorded in the metadata: for every moving partition
 * this node leads, it executes one step of `nextReassignmentStep` at a time (membership changes
 * through the partition's own Raft group), so a move survives leader changes: the next leader
 * reads the membership and the target and carries on from there.
 */
export class Reassigner {
  private timer: { cancel(): void } | undefined
  private readonly busy = new Set<string>()
  private stopped = false

  constructor(private readonly deps: ReassignerDeps) {}

  start(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      if (this.stopped) return
      this.advanceAll()
      this.start()
    }, this.deps.intervalMs)
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
  }

  private advanceAll(): void {
    for (const [k, r] of this.deps.state.reassignments) {
      const replica = this.deps.replica(r.topic, r.partition)
      if (replica === undefined || !replica.isReady() || this.busy.has(k)) continue
      this.busy.add(k)
      void this.advance(r, replica)
        .catch(() => undefined) // refused or lost leadership: the next round (or leader) retries
        .finally(() => this.busy.delete(k))
    }
  }

  private async advance(r: Reassignment, replica: PartitionReplica): Promise<void> {
    const { membership } = replica.raft.status()
    const step = nextReassignmentStep(membership, r.target, this.deps.nodeId, (id) => replica.caughtUp(id))
    await this.execute(step, r, replica)
  }

  private async execute(step: ReassignmentStep, r: Reassignment, replica: PartitionReplica): Promise<void> {
    switch (step.kind) {
      case 'add-learner':
      case 'promote':
      case 'remove':
        await replica.raft.changeMembership({ type: step.kind, nodeId: step.nodeId })
        return
      case 'transfer-leadership':
        replica.raft.transferLeadership(step.to)
        return
      case 'complete':
        await this.deps.complete(r)
        return
      case 'wait':
        return
    }
  }
}
