/**
 * RaftNode under load it cannot commit (issue 19): proposals past the leader's uncommitted budget
 * are refused at once with a retriable error, callers waiting for persistence are capped, and a
 * leader whose quorum answers but never commits says so in status(), the log and an event.
 */
import { isTributaryError } from '@tributary/core'
import { MessageType, type Message } from '../core/types'
import type { CommitStall } from '../core/raft'
import { MemoryNetwork } from '../transport/memory'
import type { Transport } from '../transport/transport'
import type { RaftLogger } from './options'
import { RaftHost } from './raft-host'
import { MemoryRaftStorage } from './storage'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A group of three whose appends can be dropped on demand while heartbeats still flow. */
async function groupWithAppendFilter(raft: Record<string, number>, logger?: RaftLogger) {
  const net = new MemoryNetwork()
  const drop = { appends: false }
  const filtered = (id: number): Transport => {
    const inner = net.transport(id)
    return {
      send: (g: string, m: Message) => {
        if (!(drop.appends && m.type === MessageType.App)) inner.send(g, m)
      },
      onMessage: (h) => inner.onMessage(h),
      close: () => inner.close(),
    }
  }
  const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: filtered(id), tickMs: 10, seed: id }))
  const nodes = await Promise.all(hosts.map((h) => h.startGroup({ groupId: 'g', voters: [1, 2, 3], raft, logger })))
  await waitFor(() => nodes.some((n) => n.status().role === 'leader' && n.status().commitIndex > 0))
  const leader = nodes.find((n) => n.status().role === 'leader')!
  return { hosts, leader, drop, close: () => Promise.all(hosts.map((h) => h.close())) }
}

describe('RaftNode backpressure', () => {
  it('refuses a proposal past the uncommitted budget at once: REQUEST_TIMED_OUT, retriable, reason overloaded, nothing appended', async () => {
    const g = await groupWithAppendFilter({ maxUncommittedEntries: 2 })
    g.drop.appends = true
    const pending = [g.leader.propose(enc('a')), g.leader.propose(enc('b'))]
    for (const p of pending) p.catch(() => undefined)
    expect(g.leader.status()).toMatchObject({ uncommittedEntries: 2 })
    const last = g.leader.status().lastIndex
    const err = await g.leader.propose(enc('c')).catch((e: unknown) => e)
    expect(isTributaryError(err, 'REQUEST_TIMED_OUT')).toBe(true)
    expect(err).toMatchObject({ retriable: true, details: { reason: 'overloaded' } })
    expect(g.leader.status().lastIndex).toBe(last)
    // Once the quorum takes the appends again, the backlog commits and the budget frees up.
    g.drop.appends = false
    await Promise.all(pending)
    expect(g.leader.status().uncommittedEntries).toBe(0)
    await g.leader.propose(enc('c'))
    await g.close()
  })

  it('caps the callers waiting in whenPersisted (maxPersistWaiters)', async () => {
    let release!: () => void
    let gate = Promise.resolve()
    class GatedStorage extends MemoryRaftStorage {
      override async persist(update: Parameters<MemoryRaftStorage['persist']>[0]): Promise<void> {
        await gate
        return super.persist(update)
      }
    }
    const host = new RaftHost({ id: 1, transport: new MemoryNetwork().transport(1), tickMs: 10, seed: 1 })
    const node = await host.startGroup({ groupId: 'g', voters: [1], storage: new GatedStorage(), maxPersistWaiters: 2 })
    await waitFor(() => node.status().role === 'leader' && node.status().commitIndex > 0)
    gate = new Promise<void>((r) => (release = r))
    const base = node.status().lastIndex
    const committed = ['a', 'b', 'c'].map((s) => node.propose(enc(s)))
    const waits = [node.whenPersisted(base + 1), node.whenPersisted(base + 2)]
    await expect(node.whenPersisted(base + 3)).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', details: { reason: 'overloaded' } })
    release()
    await Promise.all([...waits, ...committed])
    await node.whenPersisted(base + 3) // persisted now: resolves without waiting
    await host.close()
  })
})

describe('RaftNode progress guard', () => {
  it('a leader whose followers answer heartbeats but never take its appends reports a stall, then its end', async () => {
    const lines: { level: string; message: string; details?: Record<string, unknown> }[] = []
    const logger: RaftLogger = {
      info: (message, details) => lines.push({ level: 'info', message, details }),
      warn: (message, details) => lines.push({ level: 'warn', message, details }),
    }
    const g = await groupWithAppendFilter({ commitStallTicks: 20 }, logger)
    const events: (CommitStall | undefined)[] = []
    g.leader.on('commitStall', (s) => events.push(s))
    expect(g.leader.status().commitStall).toBeUndefined()
    g.drop.appends = true
    const stuck = g.leader.propose(enc('stuck'))
    await waitFor(() => g.leader.status().commitStall !== undefined)
    const status = g.leader.status()
    expect(status.role).toBe('leader') // check-quorum is satisfied: the followers answer
    expect(status.commitStall).toMatchObject({ ownTermCommitted: true, lastIndex: status.lastIndex, commitIndex: status.commitIndex })
    expect(status.commitStall!.ticks).toBeGreaterThanOrEqual(20)
    expect(events).toHaveLength(1)
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1)
    expect(lines[0]!.message).toMatch(/Raft group g: leader \d of term \d+ has committed nothing for \d+ ticks while a quorum answers it/)
    // The appends get through again: the entry commits and the guard reports the end of the stall.
    g.drop.appends = false
    await stuck
    await waitFor(() => events.length === 2)
    expect(events[1]).toBeUndefined()
    expect(g.leader.status().commitStall).toBeUndefined()
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: expect.stringMatching(/stall over, commits resumed/) })
    await g.close()
  })

  it('rejects a logger without info() and warn() with INVALID_CONFIG', async () => {
    const host = new RaftHost({ id: 1, transport: new MemoryNetwork().transport(1), tickMs: 10, seed: 1 })
    const bad = { warn: () => {} } as unknown as RaftLogger
    await expect(host.startGroup({ groupId: 'g', voters: [1], logger: bad })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'options.logger' },
    })
    await host.close()
  })
})
