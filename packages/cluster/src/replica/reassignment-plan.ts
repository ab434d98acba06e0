import type { Membership, NodeId } from '@tributary/raft'

/**
 * ReassignmentStep is the next thing the leader of a moving partition does to its Raft group.
 * Moves use single-server membership changes only, one at a time:
 * add each new replica as a learner, promote it once it is in sync, then remove each old replica
 * (handing leadership to a new replica first when the leader itself leaves), then record the
 * move as complete in the metadata group.
 */
export type ReassignmentStep =
  | { kind: 'add-learner'; nodeId: NodeId }
  | { kind: 'promote'; nodeId: NodeId }
  | { kind: 'remove'; nodeId: NodeId }
  | { kind: 'transfer-leadership'; to: NodeId }
  | { kind: 'complete' }
  /** A new replica is still catching up (or no in-sync successor exists yet): try again later. */
  | { kind: 'wait' }

/**
 * nextReassignmentStep plans one step from the group's membership towards `target`, as seen by
 * the leader `self`. `inSync(id)` tells whether a replica has caught up with the leader's log.
 * Pure: the caller executes the step and calls again once it committed.
 */
export function nextReassignmentStep(
  m: Membership,
  target: readonly NodeId[],
  self: NodeId,
  inSync: (id: NodeId) => boolean,
): ReassignmentStep {
  // A learner added by a move that was since changed or cancelled leaves first.
  const strayLearner = m.learners.find((id) => !target.includes(id))
  if (strayLearner !== undefined) return { kind: 'remove', nodeId: strayLearner }
  const missing = target.find((id) => !m.voters.includes(id) && !m.learners.includes(id))
  if (missing !== undefined) return { kind: 'add-learner', nodeId: missing }
  const learners = m.learners.filter((id) => target.includes(id))
  if (learners.length > 0) {
    const ready = learners.find(inSync)
    return ready !== undefined ? { kind: 'promote', nodeId: ready } : { kind: 'wait' }
  }
  const leaving = m.voters.filter((id) => !target.includes(id))
  // Remove the others before the leader itself, so leadership moves once, at the end.
  const other = leaving.find((id) => id !== self)
  if (other !== undefined) return { kind: 'remove', nodeId: other }
  if (leaving.includes(self)) {
    const successor = target.find((id) => id !== self && m.voters.includes(id) && inSync(id))
    return successor !== undefined ? { kind: 'transfer-leadership', to: successor } : { kind: 'wait' }
  }
  return { kind: 'complete' }
}
