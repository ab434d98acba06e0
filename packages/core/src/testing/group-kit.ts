/**
 * Test helpers for the group coordinator's tests (not part of the public surface): a harness over
 * a ManualClock and MemoryStorage, and `TestMember`, a scripted consumer that records its id,
 * generation and assignment the way a client would.
 */
import type { GroupAssignment, GroupProtocol, JoinGroupResult, OffsetCommitEntry } from '../broker'
import { GroupCoordinator } from '../group-coordinator'
import type { GroupCoordinatorOptions } from '../group-options'
import { MemoryStorage, MemoryVolume } from '../memory-storage'
import { ManualClock } from './manual-clock'

/** Harness is one coordinator under test with its clock, storage and topics. */
export interface Harness {
  clock: ManualClock
  storage: MemoryStorage
  volume: MemoryVolume
  topics: Record<string, number>
  coordinator: GroupCoordinator
  options: Partial<GroupCoordinatorOptions>
}

/** TEST_OPTIONS: short sessions, and an initial delay so members started together share a generation. */
export const TEST_OPTIONS: Partial<GroupCoordinatorOptions> = { minSessionTimeoutMs: 100, initialRebalanceDelayMs: 50 }

/** harness builds a coordinator over a fresh (or the given) memory volume. */
export async function harness(
  options: Partial<GroupCoordinatorOptions> = {},
  volume = new MemoryVolume(),
  clock = new ManualClock(1_000),
): Promise<Harness> {
  const storage = new MemoryStorage({ clock, volume })
  await storage.open()
  const topics: Record<string, number> = { orders: 6, audit: 2 }
  const merged = { ...TEST_OPTIONS, ...options }
  const coordinator = new GroupCoordinator({ clock, offsets: storage, partitionCount: (t) => topics[t] }, merged)
  await coordinator.load()
  return { clock, storage, volume, topics, coordinator, options: merged }
}

/** restart closes a harness and opens a new coordinator over the same volume (a process restart). */
export async function restart(h: Harness): Promise<Harness> {
  await h.coordinator.close()
  await h.storage.close()
  const next = await harness(h.options, h.volume, h.clock)
  Object.assign(next.topics, h.topics)
  return next
}

/** settle lets every pending promise callback run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Tracked is a promise whose outcome a test can inspect without awaiting it. */
export interface Tracked<T> {
  promise: Promise<T>
  state(): 'pending' | 'resolved' | 'rejected'
  value(): T
  error(): unknown
}

/** track follows a promise's outcome (and keeps its rejection from being unhandled). */
export function track<T>(promise: Promise<T>): Tracked<T> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending'
  let value: T | undefined
  let error: unknown
  promise.then(
    (v) => ((state = 'resolved'), (value = v)),
    (e: unknown) => ((state = 'rejected'), (error = e)),
  )
  return { promise, state: () => state, value: () => value as T, error: () => error }
}

/** TestMemberOptions shapes a scripted member's requests. */
export interface TestMemberOptions {
  topics?: string[]
  groupInstanceId?: string
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
  protocols?: string[]
  groupId?: string
}

/** TestMember is a scripted consumer: it remembers what the coordinator told it. */
export class TestMember {
  memberId = ''
  generationId = -1
  lastJoin: JoinGroupResult | null = null
  assignment: Record<string, number[]> = {}
  readonly groupId: string

  constructor(
    readonly h: Harness,
    readonly clientId: string,
    readonly opts: TestMemberOptions = {},
  ) {
    this.groupId = opts.groupId ?? 'g'
  }

  protocols(): GroupProtocol[] {
    return (this.opts.protocols ?? ['range']).map((name) => ({ name, subscription: { topics: this.opts.topics ?? ['orders'] } }))
  }

  /** The JoinGroup this member is waiting on, if any (a client never sends two at once). */
  inflight: Promise<JoinGroupResult> | null = null

  /** join sends JoinGroup with the member's current id and records the answer. */
  join(): Promise<JoinGroupResult> {
    const join = this.sendJoin().finally(() => {
      if (this.inflight === join) this.inflight = null
    })
    this.inflight = join
    return join
  }

  private async sendJoin(): Promise<JoinGroupResult> {
    const result = await this.h.coordinator.joinGroup({
      groupId: this.groupId,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
      clientId: this.clientId,
      sessionTimeoutMs: this.opts.sessionTimeoutMs ?? 1_000,
      rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs ?? 5_000,
      protocolType: 'consumer',
      protocols: this.protocols(),
    })
    this.memberId = result.memberId
    this.generationId = result.generationId
    this.lastJoin = result
    return result
  }

  /** sync sends SyncGroup; as leader it assigns `assignments` (default: `spread` over the join's members). */
  async sync(assignments?: Array<{ memberId: string; assignment: GroupAssignment }>): Promise<GroupAssignment> {
    const isLeader = this.lastJoin?.leaderId === this.memberId
    const sent = assignments ?? (isLeader ? spread(this.lastJoin as JoinGroupResult, this.h.topics) : [])
    const result = await this.h.coordinator.syncGroup({
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
      assignments: sent,
    })
    this.assignment = result.assignment
    return result
  }

  heartbeat(): Promise<void> {
    return this.h.coordinator.heartbeat({
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
    })
  }

  leave(): Promise<void> {
    return this.h.coordinator.leaveGroup({
      groupId: this.groupId,
      members: [{ memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId ?? null }],
    })
  }

  commit(offsets: OffsetCommitEntry[]): Promise<void> {
    return this.h.coordinator.commitOffsets({
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
      offsets,
    })
  }
}

/**
 * spread is a tiny round-robin assignment for tests: every partition of every subscribed topic,
 * dealt over members in member-id order.
 */
export function spread(join: JoinGroupResult, topics: Record<string, number>): Array<{ memberId: string; assignment: GroupAssignment }> {
  const members = [...join.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
  const out = members.map((m) => ({ memberId: m.memberId, assignment: { assignment: {} as Record<string, number[]> } }))
  const wanted = [...new Set(members.flatMap((m) => m.subscription.topics))].sort()
  let i = 0
  for (const topic of wanted) {
    for (let p = 0; p < (topics[topic] ?? 0); p++, i++) {
      const target = out[i % out.length]?.assignment.assignment
      if (target) (target[topic] ??= []).push(p)
    }
  }
  return out
}

/**
 * rebalance runs one whole rebalance the way clients do: every member (re)joins (or keeps waiting
 * on the join it already sent), the clock passes
 * the initial delay, the leader syncs its assignment and everyone syncs. Returns the generation.
 */
export async function rebalance(h: Harness, members: TestMember[]): Promise<number> {
  const joins = members.map((m) => track(m.inflight ?? m.join()))
  h.clock.advance(h.options.initialRebalanceDelayMs ?? 0)
  await Promise.all(joins.map((j) => j.promise))
  const generations = new Set(members.map((m) => m.generationId))
  if (generations.size !== 1) throw new Error(`members ended in different generations: ${[...generations].join(', ')}`)
  const leaderFirst = [...members].sort((a, b) => Number(b.memberId === b.lastJoin?.leaderId) - Number(a.memberId === a.lastJoin?.leaderId))
  await Promise.all(leaderFirst.map((m) => m.sync()))
  return members[0]?.generationId ?? -1
}

/** owned lists every partition the members own, as "topic-partition" strings. */
export function owned(members: TestMember[]): string[] {
  return members.flatMap((m) => Object.entries(m.assignment).flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`))).sort()
}
