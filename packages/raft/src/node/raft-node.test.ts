import { isTributaryError } from '@tributary/core'
import { MemoryNetwork } from '../transport/memory'
import type { Entry } from '../core/types'
import { RaftHost } from './raft-host'
import type { RaftNode } from './raft-node'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function cluster(groups: string[] = ['g']): Promise<{ net: MemoryNetwork; hosts: RaftHost[]; nodes: Map<string, RaftNode[]>; applied: Map<string, string[][]> }> {
  const net = new MemoryNetwork()
  const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: net.transport(id), tickMs: 10, seed: id }))
  const nodes = new Map<string, RaftNode[]>()
  const applied = new Map<string, string[][]>()
  for (const g of groups) {
    const logs: string[][] = [[], [], []]
    applied.set(g, logs)
    nodes.set(g, await Promise.all(hosts.map((h, i) => h.startGroup({ groupId: g, voters: [1, 2, 3], stateMachine: { apply: (e: Entry) => { if (e.data.byteLength > 0) logs[i]!.push(new TextDecoder().decode(e.data)) } } }))))
  }
  return { net, hosts, nodes, applied }
}

const leaderOf = (nodes: RaftNode[]): RaftNode | undefined => nodes.find((n) => n.status().role === 'leader')

describe('RaftNode on the in-memory transport', () => {
  it('elects a leader, commits proposals and applies them everywhere in order', async () => {
    const { hosts, nodes, applied } = await cluster()
    const group = nodes.get('g')!
    await waitFor(() => leaderOf(group) !== undefined)
    const leader = leaderOf(group)!
    const indexes = await Promise.all(['a', 'b', 'c'].map((s) => leader.propose(enc(s))))
    expect(indexes).toEqual([...indexes].sort((x, y) => x - y))
    await waitFor(() => applied.get('g')!.every((l) => l.length === 3))
    expect(applied.get('g')).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']])
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
    await waitFor(() => group.some((n) => n !== old && n.status().role === 'leader'), 10_000)
    const leader = group.find((n) => n !== old && n.status().role === 'leader')!
    await leader.propose(enc('after'))
    net.heal()
    await waitFor(() => applied.get('g')!.every((l) => l.includes('after')), 10_000)
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('hosts 1,000 idle groups per node without saturating a core', async () => {
    const groups = Array.from({ length: 1000 }, (_, i) => `g${i}`)
    const net = new MemoryNetwork()
    const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: net.transport(id), tickMs: 100, seed: id }))
    for (const g of groups) for (const h of hosts) await h.startGroup({ groupId: g, voters: [1, 2, 3], raft: { electionTicks: 10, heartbeatTicks: 3 } })
    await waitFor(() => groups.every((g) => hosts.some((h) => h.group(g)!.status().role === 'leader')), 20_000)
    // Idle now: measure CPU over 2 s of heartbeats for 3,000 replicas.
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await new Promise((r) => setTimeout(r, 2000))
    const used = process.cpuUsage(cpu0)
    const share = (used.user + used.system) / 1000 / (performance.now() - t0)
    expect(share).toBeLessThan(0.6)
    await Promise.all(hosts.map((h) => h.close()))
  }, 60_000)
})
