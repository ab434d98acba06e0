/**
 * Commits per second for one 3-replica Raft group: in memory (3 hosts in this process) and over
 * TCP (3 processes on 127.0.0.1 with file storage and fsync). Proposals of 100-byte entries are
 * submitted in batches; each figure is the median of 3 runs. Run: `pnpm tsx bench/raft-commits.ts`.
 */
import { MemoryNetwork, RaftHost, type RaftNode } from '@tributary/raft'
import { RaftProcesses } from '@tributary/tests/supervisor'

const ENTRY = new Uint8Array(100).fill(7)
const BATCH = 500
const RUN_MS = 3000

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function memoryRun(): Promise<number> {
  const net = new MemoryNetwork()
  const hosts = [1, 2, 3].map((id) => new RaftHost({ id, transport: net.transport(id), tickMs: 10, seed: id }))
  const nodes = await Promise.all(hosts.map((h) => h.startGroup({ groupId: 'bench', voters: [1, 2, 3], raft: { maxInflightMsgs: 256 } })))
  let leader: RaftNode | undefined
  while ((leader = nodes.find((n) => n.status().role === 'leader')) === undefined) await new Promise((r) => setTimeout(r, 10))
  let commits = 0
  const end = performance.now() + RUN_MS
  const start = performance.now()
  // Keep 4 batches in flight so replication of one overlaps with the next one's proposals.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < end) {
        await Promise.all(Array.from({ length: BATCH }, () => leader!.propose(ENTRY)))
        commits += BATCH
      }
    }),
  )
  const rate = commits / ((performance.now() - start) / 1000)
  await Promise.all(hosts.map((h) => h.close()))
  return rate
}

async function tcpRun(): Promise<number> {
  const cluster = new RaftProcesses()
  await cluster.start([1, 2, 3])
  try {
    const leader = await cluster.leader()
    let commits = 0
    const start = performance.now()
    const end = start + RUN_MS
    const data = 'x'.repeat(100)
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (performance.now() < end) {
          const r = await cluster.request(leader, { type: 'propose', data, count: BATCH })
          if (r.index === undefined) throw new Error(`propose failed: ${JSON.stringify(r)}`)
          commits += BATCH
        }
      }),
    )
    return commits / ((performance.now() - start) / 1000)
  } finally {
    await cluster.stop()
  }
}

async function main(): Promise<void> {
  const mem: number[] = []
  for (let i = 0; i < 3; i++) mem.push(await memoryRun())
  console.log(`in-memory 3-node group: median ${Math.round(median(mem))} commits/s (runs: ${mem.map(Math.round).join(', ')})`)
  const tcp: number[] = []
  for (let i = 0; i < 3; i++) tcp.push(await tcpRun())
  console.log(
    `TCP 3-process group (file storage, fsync): median ${Math.round(median(tcp))} commits/s (runs: ${tcp.map(Math.round).join(', ')})`,
  )
}

void main()
