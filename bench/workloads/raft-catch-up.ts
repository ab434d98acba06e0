import path from 'node:path'
import {
  FileRaftStorage,
  MemoryNetwork,
  MemoryRaftStorage,
  MessageType,
  RaftHost,
  TcpTransport,
  type Message,
  type RaftNode,
  type RaftStorage,
  type Transport,
} from '@tributary/raft'
import { nowMs } from '../lib/stats'
import type { Measurement, Mode, Task } from '../lib/types'
import { byMode } from './log-tasks'
import type { Workload } from './types'

/**
 * raft-catch-up: how fast a follower that is far behind catches up through the leader's
 * pipeline. One Raft group of three replicas runs in the child; replicas 1 and 2 commit ENTRIES
 * entries of ENTRY_BYTES bytes while replica 3 is not running; then replica 3 starts with an empty
 * log and is timed from its start until it has applied the leader's last entry. It is probed
 * once, then receives pipelined batches (Raft defaults: at most 1 MiB per append, 64 appends and
 * 8 MiB in flight). Rows:
 *
 * - `raft-memory`: the in-memory transport and storage (the engine and its pipeline alone);
 * - `raft-tcp`: three TcpTransports on localhost and FileRaftStorage in the run's directory
 *   (framing, sockets and an fsync per Ready on the follower).
 *
 * msgs/s is entries per second; notes: `catchUpSeconds`, the appends the follower received, and
 * `resentEntries`, entries it received more than once (1: the first probe, sent before the leader
 * knew where the follower stands, carries the last entry, which the empty follower refuses).
 */

const ENTRY_BYTES = 100
/** PROPOSALS_IN_FLIGHT proposals are outstanding at once while the backlog is written (untimed). */
const PROPOSALS_IN_FLIGHT = 1_000
const TICK_MS = 20
const GROUP = 'catch-up'
const VOTERS = [1, 2, 3]

/** Follower counts what the catching-up replica receives. */
class Follower {
  appends = 0
  entries = 0
  readonly seen = new Set<number>()

  observe(m: Message): void {
    if (m.type !== MessageType.App) return
    this.appends++
    for (const e of m.entries) {
      this.entries++
      this.seen.add(e.index)
    }
  }
}

/** counted wraps the follower's transport so that every message it receives is observed first. */
function counted(inner: Transport, follower: Follower): Transport {
  return {
    send: (g, m) => inner.send(g, m),
    onMessage: (handler) => inner.onMessage((g, m) => (follower.observe(m), handler(g, m))),
    close: () => inner.close(),
  }
}

async function transports(kind: string, follower: Follower): Promise<Transport[]> {
  if (kind === 'memory') {
    const net = new MemoryNetwork()
    return VOTERS.map((id) => (id === 3 ? counted(net.transport(id), follower) : net.transport(id)))
  }
  const tcp = await Promise.all(VOTERS.map((id) => TcpTransport.listen({ id, port: 0 })))
  for (const t of tcp) for (const p of tcp) if (p !== t) t.setPeer(p.options.id, { host: '127.0.0.1', port: p.port })
  return tcp.map((t, i) => (i === 2 ? counted(t, follower) : t))
}

function storage(kind: string, dir: string, id: number): RaftStorage {
  return kind === 'memory' ? new MemoryRaftStorage() : new FileRaftStorage(path.join(dir, `replica-${id}`))
}

async function waitFor(cond: () => boolean, limitMs: number, what: string): Promise<void> {
  const endMs = nowMs() + limitMs
  while (!cond()) {
    if (nowMs() > endMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

async function run(task: Task, dir: string): Promise<Measurement> {
  const kind = String(task.params.transport)
  const follower = new Follower()
  const hosts = (await transports(kind, follower)).map(
    (transport, i) => new RaftHost({ id: i + 1, transport, tickMs: TICK_MS, seed: i + 1 }),
  )
  try {
    const start = (i: number): Promise<RaftNode> =>
      hosts[i]!.startGroup({ groupId: GROUP, voters: VOTERS, storage: storage(kind, dir, i + 1) })
    const [first, second] = [await start(0), await start(1)]
    first.campaign()
    await waitFor(() => first.status().role === 'leader', 10_000, 'a leader')
    const data = new Uint8Array(ENTRY_BYTES).fill(7)
    for (let written = 0; written < task.messages; written += PROPOSALS_IN_FLIGHT) {
      const n = Math.min(PROPOSALS_IN_FLIGHT, task.messages - written)
      await Promise.all(Array.from({ length: n }, () => first.propose(data)))
    }
    await waitFor(() => second.status().appliedIndex === first.status().lastIndex, 30_000, 'replica 2')
    const target = first.status().lastIndex
    // Timed: replica 3 starts empty and catches up on the whole log.
    const startMs = nowMs()
    const third = await start(2)
    await waitFor(() => third.status().appliedIndex >= target, task.timeLimitMs, 'replica 3 to catch up')
    const elapsedMs = nowMs() - startMs
    const entries = task.messages
    return {
      messages: entries,
      elapsedMs,
      payloadBytes: entries * ENTRY_BYTES,
      extra: {
        catchUpSeconds: (elapsedMs / 1000).toFixed(2),
        appends: follower.appends,
        resentEntries: follower.entries - follower.seen.size,
      },
    }
  } finally {
    await Promise.all(hosts.map((h) => h.close()))
  }
}

function plan(mode: Mode): Task[] {
  const messages = byMode(mode, 100_000, 100_000)
  const params = { entryBytes: ENTRY_BYTES, replicas: VOTERS.length, tickMs: TICK_MS }
  return [
    {
      workload: 'raft-catch-up',
      system: 'raft-memory',
      label: 'raft-memory',
      messages,
      timeLimitMs: 60_000,
      params: { ...params, transport: 'memory' },
    },
    {
      workload: 'raft-catch-up',
      system: 'raft-tcp',
      label: 'raft-tcp',
      messages,
      timeLimitMs: 60_000,
      params: { ...params, transport: 'tcp' },
    },
  ]
}

export const raftCatchUp: Workload = {
  name: 'raft-catch-up',
  summary: 'a Raft follower 100,000 entries behind catches up through the pipe: entries/s and seconds (memory, TCP + files)',
  plan,
  run,
}
