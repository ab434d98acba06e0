import type { Broker } from '@tributary/core'
import { checkAllConsumed, checkOutOfRangeWasReal, logEnds } from './fault-checks'
import type { LogRecord } from './fault-client'
import type { WorkloadRecord } from './fault-workload'
import { eventually } from '@tributary/core/testing'

/**
 * Waiting for the consumer group of the cluster fault tests to finish: consume every record of
 * the healed log and commit up to its end. Some stalls have known causes (reported bugs); they
 * end the wait early, once the group made no progress for a while, instead of running into the
 * time limit.
 */

/** GroupOutcome is how waiting ended: done, stalled by a known bug (named), or timed out. */
export type GroupOutcome = 'done' | 'idleCommitNotRedone' | 'groupAssignedNothing' | 'timed out'

/** GroupWatch says which group to watch through which broker, and which known stalls to accept. */
export interface GroupWatch {
  readonly broker: Broker
  readonly groupId: string
  /** timeoutMs: the longest wait. */
  readonly timeoutMs: number
  /** quietMs: how long the group must have made no progress before a stall counts as one. */
  readonly quietMs: number
  /** known: the known stalls that end the wait (the others wait for the timeout). */
  readonly known: { readonly idleCommitNotRedone: boolean; readonly groupAssignedNothing: boolean }
}

/** waitForGroup waits (bounded) until the group handled and committed everything in `log`, or stalled for a known reason. */
export async function waitForGroup(w: WorkloadRecord, watch: GroupWatch, log: readonly LogRecord[]): Promise<GroupOutcome> {
  const sinceProgress = progressClock(() => w.commits.length + w.consumed.size)
  return eventually(() => groupOutcome(w, watch, log, sinceProgress()), watch.timeoutMs).catch(() => 'timed out' as const)
}

/** groupOutcome classifies the group's state now (undefined: keep waiting). */
async function groupOutcome(
  w: WorkloadRecord,
  watch: GroupWatch,
  log: readonly LogRecord[],
  quietMs: number,
): Promise<GroupOutcome | undefined> {
  const committed = await committedOffsets(watch.broker, watch.groupId)
  const consumedAll = checkAllConsumed(log, w.consumed).length === 0
  const lagging = [...logEnds(log)].filter(([p, end]) => committed.get(p) !== end).map(([p]) => p)
  if (consumedAll && lagging.length === 0) return 'done'
  if (quietMs < watch.quietMs) return undefined
  if (consumedAll && watch.known.idleCommitNotRedone && lagging.every((p) => commitLagExplained(w, p, log))) return 'idleCommitNotRedone'
  if (!consumedAll && watch.known.groupAssignedNothing && (await assignsNothing(watch))) return 'groupAssignedNothing'
  return undefined
}

/**
 * commitLagExplained tells whether the idle-commit bug explains partition `p`'s commit lag: its
 * last commit failed, or a wrong OFFSET_OUT_OF_RANGE reset its position so that an older commit
 * finished after newer offsets were handled.
 */
function commitLagExplained(w: WorkloadRecord, p: number, log: readonly LogRecord[]): boolean {
  const last = w.commits.filter((c) => c.partition === p).at(-1)
  const resetWrongly =
    checkOutOfRangeWasReal(
      w.outOfRange.filter((o) => o.partition === p),
      log,
    ).length > 0
  return last?.outcome !== 'ok' || resetWrongly
}

/** assignsNothing tells whether the group is stable with no partition assigned to any member. */
async function assignsNothing(watch: GroupWatch): Promise<boolean> {
  const [group] = await watch.broker.describeGroups([watch.groupId]).catch(() => [])
  return (
    group?.state === 'Stable' &&
    group.members.length > 0 &&
    group.members.every((m) => Object.keys(m.assignment?.assignment ?? {}).length === 0)
  )
}

/** progressClock returns how long (ms) `progress()` has kept its value, measured at each call. */
function progressClock(progress: () => number): () => number {
  let last = progress()
  let since = Date.now()
  return () => {
    if (progress() !== last) [last, since] = [progress(), Date.now()]
    return Date.now() - since
  }
}

/** committedOffsets reads a group's committed offset per partition, retrying (bounded) while the coordinator moves. */
export async function committedOffsets(broker: Broker, groupId: string): Promise<Map<number, number>> {
  const offsets = await eventually(() => broker.fetchOffsets(groupId).catch(() => undefined), 10_000).catch(() => [])
  return new Map(offsets.map((o) => [o.partition, o.offset]))
}

/** describeGroupState renders the group's committed offsets, last commit attempts and description, for reports. */
export async function describeGroupState(w: WorkloadRecord, broker: Broker, groupId: string, log: readonly LogRecord[]): Promise<string> {
  const committed = await committedOffsets(broker, groupId)
  const lastCommits: Record<number, string> = {}
  for (const c of w.commits) lastCommits[c.partition] = `${c.offset} ${c.outcome}`
  const group = await broker.describeGroups([groupId]).catch((e: unknown) => String(e))
  return `committed ${JSON.stringify([...committed])}, ends ${JSON.stringify([...logEnds(log)])}, last commits ${JSON.stringify(lastCommits)}, group ${JSON.stringify(group)}`
}
