import { fork, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Tributary } from '@tributary/client'
import { freePortPair } from '@tributary/cluster/testing'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'

jest.setTimeout(60_000)

const ROOT = resolve(__dirname, '../..')
const FIXTURE = resolve(__dirname, '../supervisor/cluster-node-child.ts')

/** NodeProcesses runs ClusterNodes as OS processes on localhost TCP, each with its own `dir`. */
class NodeProcesses {
  readonly children = new Map<number, ChildProcess>()
  private constructor(
    readonly dir: string,
    readonly addresses: Map<number, string>,
  ) {}

  static async start(ids: number[]): Promise<NodeProcesses> {
    const addresses = new Map<number, string>()
    for (const id of ids) addresses.set(id, `127.0.0.1:${await freePortPair()}`)
    const p = new NodeProcesses(await mkdtemp(join(tmpdir(), 'tributary-cluster-proc-')), addresses)
    await Promise.all(ids.map((id) => p.spawn(id)))
    return p
  }

  spawn(id: number): Promise<void> {
    const peers = Object.fromEntries([...this.addresses].filter(([p]) => p !== id))
    const child = fork(FIXTURE, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        NODE_ID: String(id),
        LISTEN: this.addresses.get(id),
        PEERS: JSON.stringify(peers),
        DATA_DIR: join(this.dir, `n${id}`),
        TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.children.set(id, child)
    return new Promise((res, rej) => {
      child.once('exit', (code) => rej(new Error(`node ${id} exited with ${code}`)))
      child.on('message', (m: { type?: string }) => m.type === 'ready' && res())
    })
  }

  /** kill sends SIGKILL: the node gets no chance to flush or say goodbye. */
  async kill(id: number): Promise<void> {
    const child = this.children.get(id)
    this.children.delete(id)
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }

  async stop(): Promise<void> {
    for (const id of [...this.children.keys()]) await this.kill(id)
    await rm(this.dir, { recursive: true, force: true })
  }
}

test('three node processes: SIGKILL the leader under acks=all load; every acknowledged message is consumed exactly once, writes resume, the node catches up', async () => {
  const procs = await NodeProcesses.start([1, 2, 3])
  const all = [...procs.addresses.values()]
  let tb: Tributary | undefined
  let check: Tributary | undefined
  try {
    const setup = await Tributary.connect({ brokers: all })
    await eventually(
      async () =>
        (await setup
          .admin()
          .createTopics({
            topics: [
              { topic: 'load', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
            ],
          })
          .catch(() => undefined)) === undefined
          ? undefined
          : true,
      15_000,
    )
    const leader = await eventually(async () => {
      const l = (await setup.broker.metadata({ topics: ['load'] })).topics[0]?.partitions[0]?.leader
      return l !== undefined && l > 0 ? l : undefined
    })
    await setup.close()

    // The client lists the leader last, so it keeps its connection; the leader's death is felt as a partition failover.
    tb = await Tributary.connect({
      brokers: [...[...procs.addresses].filter(([id]) => id !== leader).map(([, a]) => a), procs.addresses.get(leader) as string],
    })
    const producer = tb.producer({
      acks: 'all',
      idempotent: true,
      lingerMs: 1,
      retry: { retries: 100, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
    })
    const acked: string[] = []
    let killedAt = 0
    let resumedAt = 0
    let stop = false
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const values = Array.from({ length: 10 }, (_, j) => `m${i * 10 + j}`)
        const startedAfterKill = killedAt > 0
        await producer.send({ topic: 'load', messages: values.map((value) => ({ key: `k${(i * 10) % 7}`, value })) })
        acked.push(...values)
        if (startedAfterKill && resumedAt === 0) resumedAt = Date.now()
      }
    })()
    await waitUntil(() => acked.length >= 300, 15_000)
    // The partition's leader now (a preferred-leader rebalance may have moved it since).
    const victim = (await tb.broker.metadata({ topics: ['load'] })).topics[0]?.partitions[0]?.leader ?? leader
    killedAt = Date.now()
    await procs.kill(victim)
    await waitUntil(() => resumedAt > 0 && acked.length >= 600, 20_000)
    stop = true
    await load
    const resumeMs = resumedAt - killedAt
    expect(resumeMs).toBeLessThan(10_000)
    if (process.env.TRIBUTARY_REPORT) console.log(`writes resumed ${resumeMs} ms after SIGKILL; ${acked.length} acknowledged`)

    const consumer = tb.consumer({ groupId: 'after-failover', sessionTimeoutMs: 3000, heartbeatIntervalMs: 100, maxWaitMs: 100 })
    await consumer.subscribe({ topics: ['load'], fromBeginning: true })
    const seen = new Map<string, number>()
    await consumer.run({
      eachMessage: async ({ message }) => void seen.set(String(message.value), (seen.get(String(message.value)) ?? 0) + 1),
    })
    await waitUntil(() => acked.every((v) => seen.has(v)), 20_000)
    await consumer.disconnect()
    expect([...seen.values()].every((n) => n === 1)).toBe(true)

    // The killed node comes back from its directory and catches up with everything written.
    await procs.spawn(victim)
    check = await Tributary.connect({ brokers: [procs.addresses.get(victim) as string] })
    const broker = check.broker
    const caughtUp = await eventually(async () => {
      const read = await readAll(broker, 'load').catch(() => [])
      return read.length >= seen.size ? read : undefined
    }, 15_000)
    expect(new Set(caughtUp.map((r) => r.value))).toEqual(new Set(seen.keys()))
  } finally {
    await check?.close()
    await tb?.close()
    await procs.stop()
  }
})
