import { isTributaryError, systemClock } from '@tributary/core'
import type { Clock } from '@tributary/core'
import { MemoryNetwork } from '../transport/memory'
import type { Entry } from '../core/types'
import type { Transport } from '../transport/transport'
import { RaftHost } from './raft-host'
import { MemoryRaftStorage } from './storage'
import type { RaftNode } from './raft-node'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** waitFor polls `cond`; the bound is generous because a loaded 2-core machine can starve the event loop for seconds (it returns as soon as `cond` holds). */
async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function cluster(
  groups: string[] = ['g'],
): Promise<{ net: MemoryNetwork; hosts: RaftHost[]; nodes: Map<string, RaftNode[]>; applied: Map<string, string[][]> }> {
  const net = new MemoryNetwork()
  const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: net.transport(id), tickMs: 10, seed: id }))
  const nodes = new Map<string, RaftNode[]>()
  const applied = new Map<string, string[][]>()
  for (const g of groups) {
    const logs: string[][] = [[], [], []]
    applied.set(g, logs)
    nodes.set(
      g,
      await Promise.all(
        hosts.map((h, i) =>
          h.startGroup({
            groupId: g,
            voters: [1, 2, 3],
            stateMachine: {
              apply: (e: Entry) => {
                if (e.data.byteLength > 0) logs[i]!.push(new TextDecoder().decode(e.data))
              },
            },
          }),
        ),
      ),
    )
  }
  return { net, hosts, nodes, applied }
}

const leaderOf = (nodes: RaftNode[]): RaftNode | undefined => nodes.find((n) => n.status().role === 'leader')

describe('RaftNode on the in-memory transport', () => {
  it('with firstElectionDelayTicks the other replicas of a new group let a late preferred replica win the first election', async () => {
    const net = new MemoryNetwork()
    const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: net.transport(id), tickMs: 10, seed: id }))
    const options = { groupId: 'g', voters: [1, 2, 3], raft: { electionTicks: 10 } }
    // Nodes 2 and 3 start the group first; without a hold one of them times out (100-200 ms) and wins before 250 ms.
    const late = await Promise.all([hosts[1]!, hosts[2]!].map((h) => h.startGroup({ ...options, firstElectionDelayTicks: 30 })))
    await new Promise((r) => setTimeout(r, 250))
    expect(late.every((n) => n.status().term === 0)).toBe(true)
    const preferred = await hosts[0]!.startGroup(options)
    preferred.campaign()
    await waitFor(() => [preferred, ...late].every((n) => n.status().leader === 1))
    expect(preferred.status()).toMatchObject({ role: 'leader', term: 1 })
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('with firstElectionDelayTicks a new group still elects a leader when its preferred replica never starts', async () => {
    const net = new MemoryNetwork()
    const hosts = [2, 3].map((id) => new RaftHost({ id, transport: net.transport(id), tickMs: 10, seed: id }))
    const group = await Promise.all(
      hosts.map((h) => h.startGroup({ groupId: 'g', voters: [1, 2, 3], raft: { electionTicks: 10 }, firstElectionDelayTicks: 10 })),
    )
    await waitFor(() => leaderOf(group) !== undefined)
    expect([2, 3]).toContain(leaderOf(group)!.status().id)
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('elects a leader, commits proposals and applies them everywhere in order', async () => {
    const { hosts, nodes, applied } = await cluster()
    const group = nodes.get('g')!
    await waitFor(() => leaderOf(group) !== undefined)
    const leader = leaderOf(group)!
    const indexes = await Promise.all(['a', 'b', 'c'].map((s) => leader.propose(enc(s))))
    expect(indexes).toEqual([...indexes].sort((x, y) => x - y))
    await waitFor(() => applied.get('g')!.every((l) => l.length === 3))
    expect(applied.get('g')).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ])
    expect(await leader.readIndex()).toBeGreaterThanOrEqual(indexes[2]!)
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('rejects a proposal on a follower with NOT_LEADER_OR_FOLLOWER naming the leader', async () => {
    const { hosts, nodes } = await cluster()
    const group = nodes.get('g')!
    await waitFor(() => leaderOf(group) !== undefined && group.every((n) => n.status().leader !== 0))
    const follower = group.find((n) => n.status().role === 'follower')!
    const err = await follower.propose(enc('x')).catch((e: unknown) => e)
    expect(isTributaryError(err, 'NOT_LEADER_OR_FOLLOWER')).toBe(true)
    expect((err as { details: { leaderId: number } }).details.leaderId).toBe(leaderOf(group)!.status().id)
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('fails over when the leader is isolated', async () => {
    const { net, hosts, nodes, applied } = await cluster()
    const group = nodes.get('g')!
    await waitFor(() => leaderOf(group) !== undefined)
    const old = leaderOf(group)!
    net.isolate(old.status().id)
    await waitFor(() => group.some((n) => n !== old && n.status().role === 'leader'))
    const leader = group.find((n) => n !== old && n.status().role === 'leader')!
    await leader.propose(enc('after'))
    net.heal()
    await waitFor(() => applied.get('g')!.every((l) => l.includes('after')))
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('hosts 1,000 groups per node on one ticker; idle, they only heartbeat and never re-elect', async () => {
    const groups = Array.from({ length: 1000 }, (_, i) => `g${i}`)
    const net = new MemoryNetwork()
    // Counts what the hosts ask of the clock and the network: the cost model, not wall time.
    let liveTimers = 0
    let ticks = 0
    const clock: Clock = {
      now: () => systemClock.now(),
      setTimeout: (fn, delayMs) => {
        liveTimers++
        const handle = systemClock.setTimeout(() => {
          liveTimers--
          ticks++
          fn()
        }, delayMs)
        return {
          cancel: () => {
            liveTimers--
            handle.cancel()
          },
        }
      },
    }
    let sent = 0
    const counted = (id: number): Transport => {
      const inner = net.transport(id)
      return {
        send: (g, m) => {
          sent++
          inner.send(g, m)
        },
        onMessage: (h) => inner.onMessage(h),
        close: () => inner.close(),
      }
    }
    const heartbeatTicks = 3
    const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: counted(id), clock, tickMs: 20, seed: id }))
    for (const g of groups)
      for (const h of hosts) await h.startGroup({ groupId: g, voters: [1, 2, 3], raft: { electionTicks: 10, heartbeatTicks } })
    await waitFor(
      () =>
        groups.every(
          (g) =>
            hosts.filter((h) => h.group(g)!.status().role === 'leader').length === 1 &&
            hosts.every((h) => h.group(g)!.status().leader !== 0),
        ),
      30_000,
    )
    // One timer per host however many groups it runs.
    expect(liveTimers).toBe(hosts.length)
    const before = groups.map((g) => hosts.map((h) => `${h.group(g)!.status().term}/${h.group(g)!.status().leader}`).join())
    sent = 0
    ticks = 0
    await waitFor(() => ticks >= 3 * 30, 30_000)
    const hostTicks = ticks / hosts.length
    const after = groups.map((g) => hosts.map((h) => `${h.group(g)!.status().term}/${h.group(g)!.status().leader}`).join())
    // No group lost its leader or started an election while idle.
    expect(after).toEqual(before)
    // Idle traffic is heartbeats only: per heartbeat interval each leader sends one heartbeat
    // to each of 2 followers and gets 2 responses (slack 1.5x for rounds cut by the window).
    const perRound = groups.length * 2 * 2
    expect(sent).toBeLessThanOrEqual(Math.ceil((hostTicks / heartbeatTicks + 1) * perRound * 1.5))
    expect(sent).toBeGreaterThan(0)
    await Promise.all(hosts.map((h) => h.close()))
    expect(liveTimers).toBe(0)
  }, 90_000)
})

describe('RaftNode.whenPersisted (what acks=1 waits for)', () => {
  it('resolves only after the storage persisted the entry', async () => {
    let release!: () => void
    let gate = new Promise<void>((r) => (release = r))
    class GatedStorage extends MemoryRaftStorage {
      override async persist(update: Parameters<MemoryRaftStorage['persist']>[0]): Promise<void> {
        await gate
        return super.persist(update)
      }
    }
    const net = new MemoryNetwork()
    // A single voter: the gate on its storage holds the entry back from disk (and from commit).
    const host = new RaftHost({ id: 1, transport: net.transport(1), tickMs: 10, seed: 1 })
    const storage = new GatedStorage()
    const node = await host.startGroup({ groupId: 'g', voters: [1], storage })
    release()
    await waitFor(() => node.status().role === 'leader')
    gate = new Promise<void>((r) => (release = r))
    const before = node.status().lastIndex
    const committed = node.propose(enc('x'))
    let persisted = false
    const waiting = node.whenPersisted(before + 1).then(() => (persisted = true))
    await new Promise((r) => setTimeout(r, 30))
    expect(persisted).toBe(false)
    release()
    await waiting
    expect(persisted).toBe(true)
    await committed
    // Already persisted indexes resolve at once; after close, new waits are refused.
    await node.whenPersisted(before + 1)
    await host.close()
    await expect(node.whenPersisted(before + 100)).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
  })
})
