import { Sfc32, type FaultModel } from '@tributary/raft'
import type { MemoryCluster } from '@tributary/cluster/testing'

/**
 * Seeded fault schedules for a MemoryCluster (tests). A seed draws the message fault rates and a
 * list of node faults; running the schedule applies them on real time, some overlapping. The same
 * seed always draws the same schedule and the same fault decisions, but the cluster runs on real
 * timers, so the interleaving of a replay can differ: a failing seed is a strong hint, not an
 * exact replay as in the Raft simulator.
 */

/** FaultKind names one node fault of a schedule. */
export type FaultKind =
  /** The leader of one partition is cut off from every other node, then the partition heals. */
  | 'partition-leader'
  /** A node crashes and restarts later. */
  | 'crash-restart'
  /** The metadata leader (group coordinator) crashes and restarts later. */
  | 'crash-meta-leader'
  /** Any node is cut off from the others. */
  | 'partition-node'
  /** One link between two nodes is cut while both still reach the third (a partial partition). */
  | 'cut-link'

/** FaultStep is one node fault, lasting `holdMs`. */
export interface FaultStep {
  readonly kind: FaultKind
  /** afterMs: the wait before this step, from the end of the previous step (or from its start when `overlap`). */
  readonly afterMs: number
  readonly holdMs: number
  /** overlap: the step starts while the previous one still holds. */
  readonly overlap: boolean
  /** pick chooses among the candidates found at run time (which partition, which node). */
  readonly pick: number
}

/** FaultSchedule is what one seed draws. */
export interface FaultSchedule {
  readonly seed: number
  /** onDisk: nodes keep their data in files (partition logs and Raft state survive a crash as files), else in memory. */
  readonly onDisk: boolean
  /** messages: loss, delay and duplication while the schedule runs. */
  readonly messages: FaultModel
  readonly steps: readonly FaultStep[]
}

/** REQUIRED: every schedule has each of these once, in a seeded order. */
const REQUIRED: readonly FaultKind[] = ['partition-leader', 'crash-restart', 'crash-meta-leader']
/** EXTRA: a schedule adds up to two of these. */
const EXTRA: readonly FaultKind[] = ['partition-leader', 'crash-restart', 'partition-node', 'cut-link']

/** drawSchedule draws a seed's message fault rates and node faults. */
export function drawSchedule(seed: number): FaultSchedule {
  const rng = new Sfc32(seed)
  const messages: FaultModel = {
    seed: rng.nextUint32(),
    dropRate: 0.01 + rng.nextFloat() * 0.07,
    delayRate: 0.05 + rng.nextFloat() * 0.2,
    maxDelayMs: 5 + rng.nextInt(30),
    duplicateRate: rng.nextFloat() * 0.05,
  }
  const onDisk = rng.chance(0.25)
  const extra = Array.from({ length: rng.nextInt(3) }, () => EXTRA[rng.nextInt(EXTRA.length)] as FaultKind)
  const kinds = shuffle(rng, [...REQUIRED, ...extra])
  const steps = kinds.map((kind, i) => ({
    kind,
    afterMs: 100 + rng.nextInt(400),
    holdMs: 200 + rng.nextInt(700),
    overlap: i > 0 && rng.chance(0.3),
    pick: rng.nextUint32(),
  }))
  return { seed, onDisk, messages, steps }
}

/** describeSchedule renders a schedule in one line per fault, for failure reports. */
export function describeSchedule(s: FaultSchedule): string {
  const m = s.messages
  const rate = (x: number | undefined): string => `${((x ?? 0) * 100).toFixed(1)}%`
  const lines = [
    `storage: ${s.onDisk ? 'files' : 'memory'}`,
    `messages: drop ${rate(m.dropRate)}, delay ${rate(m.delayRate)} up to ${m.maxDelayMs} ms, duplicate ${rate(m.duplicateRate)}`,
  ]
  for (const step of s.steps)
    lines.push(
      `${step.kind} ${step.afterMs} ms after the previous step ${step.overlap ? 'started' : 'ended'}, for ${step.holdMs} ms (pick ${step.pick})`,
    )
  return lines.join('\n')
}

/** ScheduleTarget names what the node faults aim at. */
export interface ScheduleTarget {
  readonly topic: string
  readonly partitions: number
  /** trace records what happened. */
  readonly trace: (line: string) => void
}

/** runSchedule applies every step of `schedule` to `cluster` and resolves once each was undone (message faults stay). */
export async function runSchedule(cluster: MemoryCluster, schedule: FaultSchedule, target: ScheduleTarget): Promise<void> {
  const running: Array<Promise<void>> = []
  let previous: { started: Promise<void>; ended: Promise<void> } = { started: Promise.resolve(), ended: Promise.resolve() }
  for (const step of schedule.steps) {
    const after = step.overlap ? previous.started : previous.ended
    let markStarted: () => void = () => undefined
    const started = new Promise<void>((resolve) => (markStarted = resolve))
    const ended = after.then(async () => {
      await sleep(step.afterMs)
      let undo: Undo
      try {
        undo = await startFault(cluster, step, target)
      } finally {
        markStarted()
      }
      await sleep(step.holdMs)
      await undo()
    })
    running.push(ended)
    previous = { started, ended }
  }
  await Promise.all(running)
}

/** Undo ends one fault. */
type Undo = () => Promise<void>

/** startFault applies one step and returns what undoes it. */
async function startFault(cluster: MemoryCluster, step: FaultStep, target: ScheduleTarget): Promise<Undo> {
  switch (step.kind) {
    case 'partition-leader':
      return partitionLeader(cluster, step, target)
    case 'crash-restart':
      return crashAndRestart(cluster, choose(cluster.ids, step.pick), target)
    case 'crash-meta-leader':
      return crashMetaLeader(cluster, step, target)
    case 'partition-node':
      return partition(
        cluster,
        [[choose(cluster.ids, step.pick)], cluster.ids.filter((id) => id !== choose(cluster.ids, step.pick))],
        'node cut off',
        target,
      )
    case 'cut-link': {
      const a = choose(cluster.ids, step.pick)
      const b = choose(
        cluster.ids.filter((id) => id !== a),
        step.pick >>> 8,
      )
      return partition(cluster, [[a], [b]], 'link cut', target)
    }
  }
}

async function partitionLeader(cluster: MemoryCluster, step: FaultStep, target: ScheduleTarget): Promise<Undo> {
  const p = step.pick % target.partitions
  const leader = await cluster.leaderOf(target.topic, p, 2000).catch(() => 0)
  if (leader === 0) {
    target.trace(`partition-leader: ${target.topic}/${p} has no leader, nothing cut`)
    return async () => undefined
  }
  return partition(cluster, [[leader], cluster.ids.filter((id) => id !== leader)], `leader of ${target.topic}/${p} cut off`, target)
}

async function partition(cluster: MemoryCluster, sides: number[][], why: string, target: ScheduleTarget): Promise<Undo> {
  const text = sides.map((s) => s.join(',')).join(' | ')
  cluster.partition(...sides)
  target.trace(`partition ${text} (${why})`)
  return async () => {
    cluster.unpartition(...sides)
    target.trace(`heal ${text}`)
  }
}

async function crashMetaLeader(cluster: MemoryCluster, step: FaultStep, target: ScheduleTarget): Promise<Undo> {
  const leader = cluster.metaLeader()
  if (leader !== 0) return crashAndRestart(cluster, leader, target)
  target.trace('crash-meta-leader: no metadata leader known, crashing a node at random')
  return crashAndRestart(cluster, choose(cluster.ids, step.pick), target)
}

async function crashAndRestart(cluster: MemoryCluster, id: number, target: ScheduleTarget): Promise<Undo> {
  if (!cluster.nodes.has(id)) {
    target.trace(`crash: node ${id} is already down`)
    return async () => undefined
  }
  const wasMetaLeader = cluster.metaLeader() === id
  await cluster.crash(id)
  target.trace(`crash node ${id}${wasMetaLeader ? ' (metadata leader)' : ''}`)
  return async () => {
    await cluster.restart(id)
    target.trace(`restart node ${id}`)
  }
}

function choose(ids: readonly number[], pick: number): number {
  return ids[pick % ids.length] as number
}

function shuffle<T>(rng: Sfc32, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1)
    ;[items[i], items[j]] = [items[j] as T, items[i] as T]
  }
  return items
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
