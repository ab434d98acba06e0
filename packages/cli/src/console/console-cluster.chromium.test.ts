import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheus from 'parse-prometheus-text-format'
import { Tributary } from '@tributary/client'
import { MemoryCluster } from '@tributary/cluster/testing'
import { mountMetrics } from '../metrics/metrics-server'
import { launchChromium } from './chromium-kit'
import { ConsoleServer } from './console-server'

/*
 * The console and the metrics over a three-node cluster (in one process): on a node that does
 * not lead every partition, the console shows every partition's end offset, its three replicas
 * and ISR, the three nodes and the Raft groups with their leaders (its cluster page in Chromium
 * too, with a screenshot); a Tributary over a node
 * reports the cluster's leader changes, Raft commit latency and replica lag, and an
 * application's own HTTP server answers /metrics with them (mountMetrics) and everything else
 * as before.
 */

let cluster: MemoryCluster

afterEach(async () => {
  await cluster?.close()
})

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await read()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

type ApiTopic = {
  name: string
  messages: number
  partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[]; endOffset: number }>
}
type ApiCluster = {
  brokers: Array<{ nodeId: number }>
  stats: {
    nodeId: number
    cluster?: { metadata: { leader: number }; partitions: Array<{ topic: string; raft: { role: string; leader: number; term: number } }> }
  }
}

test('the console and /metrics on a cluster node: placement, offsets, nodes, Raft groups, leader changes, commit latency, replica lag', async () => {
  cluster = await MemoryCluster.start(3)
  await eventually(async () => (cluster.node(1).status().metaLeader !== 0 ? true : undefined), 'a metadata leader')
  await eventually(async () => {
    const [r] = await cluster.node(1).createTopics([{ topic: 'orders', numPartitions: 3, replicationFactor: 3 }])
    return r?.error === undefined || r.error.code === 'TOPIC_ALREADY_EXISTS' ? true : undefined
  }, 'the topic')
  const tb = await Tributary.open({ broker: cluster.node(1) })
  const producer = tb.producer()
  await eventually(async () => {
    await producer.send({ topic: 'orders', messages: Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
    return true
  }, 'the first send')

  // The console on node 2, which leads at most some of the partitions.
  const ui = await ConsoleServer.start({ broker: cluster.node(2), listen: '127.0.0.1:0' })
  try {
    const orders = await eventually(async () => {
      const topics = (await (await fetch(`${ui.url}api/topics`)).json()) as ApiTopic[]
      const t = topics.find((x) => x.name === 'orders')
      return t?.messages === 9 && t.partitions.every((p) => p.isr.length === 3 && [1, 2, 3].includes(p.leader)) ? t : undefined
    }, 'node 2 to show the nine messages, each partition led, with a full ISR')
    expect(orders.partitions.map((p) => p.replicas.slice().sort())).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ])

    // Every group led (an election may be under way on a loaded machine: ask until each has a leader).
    const view = await eventually(async () => {
      const v = (await (await fetch(`${ui.url}api/cluster`)).json()) as ApiCluster
      const groups = v.stats.cluster?.partitions.filter((p) => p.topic === 'orders') ?? []
      return groups.length === 3 && groups.every((g) => [1, 2, 3].includes(g.raft.leader)) ? v : undefined
    }, 'every Raft group of node 2 to name its leader')
    expect(view.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3])
    expect(view.stats.nodeId).toBe(2)
    expect([1, 2, 3]).toContain(view.stats.cluster?.metadata.leader)
    for (const g of view.stats.cluster?.partitions ?? []) {
      expect(g.raft.role.toLowerCase()).toBe(g.raft.leader === 2 ? 'leader' : 'follower')
      expect(g.raft.term).toBeGreaterThan(0)
    }

    // The cluster page in Chromium: every node, the metadata group, the partitions' Raft groups.
    const dir = mkdtempSync(join(tmpdir(), 'tributary-console-cluster-'))
    const browser = await launchChromium(dir)
    try {
      const page = browser.pages()[0] ?? (await browser.newPage())
      await page.goto(`${ui.url}#/cluster`)
      for (const id of [1, 2, 3]) await page.locator(`[data-testid="node-row-${id}"]`).waitFor({ timeout: 20_000 })
      await page.locator('[data-testid="raft-metadata"]').waitFor()
      for (const p of [0, 1, 2]) await page.locator(`[data-testid="raft-row-orders-${p}"]`).waitFor()
      expect(await page.locator('[data-testid="raft-row-orders-0"] td').first().textContent()).toBe('orders-0')
      await page.screenshot({ path: join(process.env.CONSOLE_SHOTS_DIR ?? dir, 'cluster-3-nodes.png'), fullPage: true })
    } finally {
      await browser.close()
      rmSync(dir, { recursive: true, force: true })
    }
  } finally {
    await ui.close()
  }

  // The metrics of the node that leads orders-0 once a batch to orders-0 has committed there
  // (leadership may still move just after the first elections: ask again until it holds).
  let extra = 0
  const { leader, snapshot } = await eventually(async () => {
    await producer.send({ topic: 'orders', messages: [{ partition: 0, value: 'to p0' }] })
    extra++
    const p0 = (await cluster.node(1).metadata({ topics: ['orders'] })).topics[0]?.partitions.find((p) => p.partition === 0)
    const node = cluster.nodes.get(p0?.leader ?? 0)
    const stats = node?.stats()
    return node && (stats?.cluster?.raftCommitLatencySeconds.count ?? 0) > 0
      ? { leader: node.nodeId, snapshot: stats as NonNullable<typeof stats> }
      : undefined
  }, 'a partition leader that timed a commit')
  const observed = await Tributary.open({ broker: cluster.node(leader) })
  expect(snapshot.cluster?.leaderChanges).toBeGreaterThan(0)
  const led = (await observed.metrics()).cluster?.partitions.filter((p) => p.raft.leader === leader) ?? []
  expect(led.length).toBeGreaterThan(0)
  const app = createServer((_req, res) => res.end('the app\n'))
  mountMetrics(app, observed)
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  try {
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
    expect(await (await fetch(`${base}/other`)).text()).toBe('the app\n')
    const families = parsePrometheus(await (await fetch(`${base}/metrics`)).text())
    const family = (name: string) => families.find((f) => f.name === name)
    expect(Number(family('tributary_cluster_leader_changes_total')?.metrics[0]?.value)).toBeGreaterThanOrEqual(
      snapshot.cluster?.leaderChanges ?? 1,
    )
    const terms = family('tributary_raft_term')?.metrics ?? []
    expect(terms.map((m) => m.labels)).toEqual([
      { group: 'metadata' },
      ...[0, 1, 2].map((partition) => ({ group: 'partition', topic: 'orders', partition: String(partition) })),
    ])
    expect(Number(family('kafka_brokers')?.metrics[0]?.value)).toBe(3)
    expect(family('kafka_topic_partition_in_sync_replica')?.metrics.map((m) => Number(m.value))).toEqual([3, 3, 3])
    expect(family('kafka_topic_partition_current_offset')?.metrics.reduce((n, m) => n + Number(m.value), 0)).toBe(9 + extra)
    // A partition leader times its commits and reports each follower's lag.
    expect(Number(family('tributary_raft_commit_latency_seconds')?.metrics[0]?.count)).toBeGreaterThan(0)
    expect(family('tributary_replica_lag_entries')?.metrics.length).toBe(led.length * 2)
  } finally {
    await new Promise<void>((resolve) => app.close(() => resolve()))
    await observed.close()
    await tb.close()
  }
}, 60_000)
