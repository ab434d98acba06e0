import { MemoryNetwork } from '../transport/memory'
import type { Entry } from '../core/types'
import { RaftHost } from './raft-host'
import type { RaftNode } from './raft-node'
import type { RaftGroupOptions, RestoreContext } from './options'
import { MemoryRaftStorage } from './storage'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/**
 * ListMachine is a state machine whose state is the list of applied values. Its restore can be
 * held open (as a partition's restore is while it copies data from peers) to show that nothing
 * after the snapshot is applied meanwhile.
 */
class ListMachine {
  values: string[] = []
  restores: Array<{ index: number; leader: number }> = []
  hold: Promise<void> | undefined
  applyDuringRestore = 0
  private restoring = false

  apply(e: Entry): void {
    if (this.restoring) this.applyDuringRestore++
    if (e.data.byteLength > 0) this.values.push(dec(e.data))
  }

  async snapshot(): Promise<Uint8Array> {
    const data = enc(JSON.stringify(this.values))
    await new Promise((r) => setImmediate(r)) // as a partition waits for its log's sync
    return data
  }

  async restore(data: Uint8Array, index: number, ctx: RestoreContext): Promise<void> {
    this.restoring = true
    this.restores.push({ index, leader: ctx.leader })
    try {
      await this.hold
      this.values = JSON.parse(dec(data)) as string[]
    } finally {
      this.restoring = false
    }
  }
}

async function group(
  options: Partial<RaftGroupOptions>,
): Promise<{ net: MemoryNetwork; hosts: RaftHost[]; nodes: RaftNode[]; machines: ListMachine[]; stores: MemoryRaftStorage[] }> {
  const net = new MemoryNetwork()
  const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: net.transport(id), tickMs: 10, seed: id }))
  const machines = hosts.map(() => new ListMachine())
  const stores = hosts.map(() => new MemoryRaftStorage())
  const nodes = await Promise.all(
    hosts.map((h, i) => h.startGroup({ groupId: 'g', voters: [1, 2, 3], storage: stores[i], stateMachine: machines[i], ...options })),
  )
  return { net, hosts, nodes, machines, stores }
}

const leaderOf = (nodes: RaftNode[]): RaftNode | undefined => nodes.find((n) => n.status().role === 'leader')

describe('RaftNode snapshots', () => {
  it('snapshots by applied bytes, compacts its log behind the snapshot and reports firstIndex', async () => {
    const { hosts, nodes } = await group({
      snapshotEveryEntries: 1_000_000,
      snapshotEveryBytes: 500,
      snapshotTrailingEntries: 1000,
      snapshotTrailingBytes: 200,
    })
    await waitFor(() => leaderOf(nodes) !== undefined)
    const leader = leaderOf(nodes)!
    for (let i = 0; i < 40; i++) await leader.propose(enc(`value-${String(i).padStart(40, '0')}`)) // 46 bytes each
    const s = leader.status()
    expect(s.snapshotIndex).toBeGreaterThan(20)
    // The trailing entries are bounded by bytes (200 / 46: four entries), not by the 1,000 entries allowed.
    expect(s.firstIndex).toBeGreaterThan(s.snapshotIndex - 5)
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('waits for an asynchronous restore of a leader snapshot before applying any later entry', async () => {
    const { net, hosts, nodes, machines } = await group({ snapshotEveryEntries: 5, snapshotTrailingEntries: 1 })
    await waitFor(() => leaderOf(nodes) !== undefined)
    const leader = leaderOf(nodes)!
    const lagger = nodes.findIndex((n) => n !== leader)
    net.isolate(lagger + 1)
    const other = nodes.find((n, i) => n !== leader && i !== lagger)!
    for (let i = 0; i < 30; i++) await leader.propose(enc(`v${i}`))
    let release!: () => void
    machines[lagger]!.hold = new Promise((r) => (release = r))
    net.heal()
    await waitFor(() => machines[lagger]!.restores.length > 0)
    expect(machines[lagger]!.restores[0]!.leader).toBe(leader.status().id) // the snapshot's sender
    await leader.propose(enc('after'))
    await waitFor(() => other.status().appliedIndex === leader.status().appliedIndex)
    expect(machines[lagger]!.applyDuringRestore).toBe(0)
    expect(machines[lagger]!.values).not.toContain('after')
    release()
    await waitFor(() => machines[lagger]!.values.length === 31)
    expect(machines[lagger]!.values).toEqual([...Array.from({ length: 30 }, (_, i) => `v${i}`), 'after'])
    await Promise.all(hosts.map((h) => h.close()))
  })

  it('restores its stored snapshot at start before replaying the entries after it', async () => {
    const { hosts, nodes, machines, stores, net } = await group({ snapshotEveryEntries: 5, snapshotTrailingEntries: 1 })
    await waitFor(() => leaderOf(nodes) !== undefined)
    const leader = leaderOf(nodes)!
    for (let i = 0; i < 12; i++) await leader.propose(enc(`v${i}`))
    const i = nodes.findIndex((n) => n !== leader)
    await waitFor(() => machines[i]!.values.length === 12)
    await hosts[i]!.close()
    const machine = new ListMachine()
    const host = new RaftHost({ id: i + 1, transport: net.transport(i + 1), tickMs: 10, seed: 99 })
    const node = await host.startGroup({
      groupId: 'g',
      voters: [1, 2, 3],
      storage: stores[i],
      stateMachine: machine,
      snapshotEveryEntries: 5,
      snapshotTrailingEntries: 1,
    })
    expect(machine.restores).toEqual([{ index: node.status().snapshotIndex, leader: 0 }])
    expect(node.status().firstIndex).toBe(node.status().snapshotIndex + 1)
    await waitFor(() => machine.values.length === 12)
    expect(machine.values).toEqual(Array.from({ length: 12 }, (_, k) => `v${k}`))
    await Promise.all([...hosts.filter((_, k) => k !== i), host].map((h) => h.close()))
  })
})
