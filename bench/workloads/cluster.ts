import { startBenchCluster } from '../lib/cluster-procs'
import { MESSAGE_PAYLOAD_BYTES, messagePool } from '../lib/data'
import { sleep } from '../lib/servers'
import { nowMs } from '../lib/stats'
import { SkipError, type Measurement, type Mode, type Task } from '../lib/types'
import { logSystem } from '../systems'
import { importOptional, type ConsumerApi, type ProducerApi } from '../systems/tributary-api'
import { byMode } from './log-tasks'
import type { Workload } from './types'

/**
 * cluster: three Tributary ClusterNode processes on this machine (localhost TCP, a directory
 * each), one topic of PARTITIONS partitions with replication factor 3 and min.insync.replicas 2,
 * and one client (`Tributary.connect`) producing with acks=all: sends of 1,000 messages (16-byte
 * keys, 100-byte values), SENDS_IN_FLIGHT of them outstanding, lingerMs 0, batchSizeBytes 1 MiB,
 * idempotent. Rows:
 *
 * - `tributary-cluster ×3`: msgs/s until the last send is acknowledged; its ratio is to NATS R3.
 * - `nats-jetstream-r3 ×3`: three clustered nats-servers, one R3 file stream, async publish
 *   (systems/nats-cluster.ts); skipped when nats-server is not installed.
 * - `tributary-cluster failover`: a shorter run during which, once a third of the messages are
 *   acknowledged, the leader of partition 0 is killed with SIGKILL. Notes: `failoverMs`, from
 *   the kill until the first acknowledgement of a send started after it (every send spans every
 *   partition, so it includes a write to the failed-over one). The row's msgs/s includes the
 *   stall; with several runs, its notes come from the run with the median rate.
 * - `tributary-cluster ×3 consume`: the same messages produced (not timed), then one group
 *   member of the client (default consumer options, `eachBatch`, touching every value) reads them
 *   all from the beginning over the network: msgs/s until the last one is handled. Its ratio is
 *   to the produce row.
 *
 * Notes `durability`: what an acknowledgement means. Tributary's acks=all waits for a quorum to
 * have fdatasync'd the Raft entry; nats-server 2.9 acknowledges once a quorum has it in the page
 * cache (it has no per-write fsync setting). BENCH_CLUSTER_CPU_PROF=<dir> profiles the nodes
 * (see lib/cluster-procs.ts).
 */

const TOPIC = 'bench'
const NODES = 3
const PARTITIONS = 3
const BATCH_MESSAGES = 1_000
const BATCH_BYTES = 1024 * 1024
/** SENDS_IN_FLIGHT sends of BATCH_MESSAGES are outstanding at once (NATS: 2,000 publishes). */
const SENDS_IN_FLIGHT = 8
/** TICK_MS is the nodes' Raft tick: ClusterNode's default (election timeout 10–20 ticks). */
const TICK_MS = 50
/** SETUP_LIMIT_MS bounds topic creation and leader placement, before any timing. */
const SETUP_LIMIT_MS = 30_000
/** Producer retries: enough, and soon enough, to ride through an election without failing a send. */
const RETRY = { retries: 100, initialRetryTimeMs: 20, maxRetryTimeMs: 200 }

const THROUGHPUT = 'tributary-cluster ×3'
const NATS_R3 = 'nats-jetstream-r3 ×3'
const FAILOVER = 'tributary-cluster failover'
const CONSUME = 'tributary-cluster ×3 consume'

interface PartitionMetadata {
  partitionId: number
  leader: number
}

interface ClusterAdmin {
  createTopics(request: {
    topics: Array<{
      topic: string
      numPartitions: number
      replicationFactor: number
      configEntries: Array<{ name: string; value: string }>
    }>
  }): Promise<boolean>
  fetchTopicMetadata(request: { topics: string[] }): Promise<{ topics: Array<{ partitions: PartitionMetadata[] }> }>
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; high: number }>>
}

interface ClusterClient {
  producer(options: Record<string, unknown>): ProducerApi
  consumer(options: Record<string, unknown>): ConsumerApi
  admin(): ClusterAdmin
  close(): Promise<void>
}

async function connect(brokers: string[]): Promise<ClusterClient> {
  const Tributary = (await importOptional('@tributary/client', 'Tributary')) as {
    connect?(options: { brokers: string[] }): Promise<ClusterClient>
  }
  if (Tributary.connect === undefined) throw new SkipError('@tributary/client has no Tributary.connect yet')
  return Tributary.connect({ brokers })
}

/** eventually retries `f` (errors included) until it returns a value or the setup limit passes. */
async function eventually<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = nowMs() + SETUP_LIMIT_MS
  let last: unknown
  for (;;) {
    const v = await f().catch((error: unknown) => void (last = error))
    if (v !== undefined) return v
    if (nowMs() > deadline) throw new Error(`cluster: timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await sleep(50)
  }
}

async function leaders(admin: ClusterAdmin): Promise<number[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] })
  return [...(topics[0]?.partitions ?? [])].sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader)
}

/**
 * setUp creates the topic and waits until every partition has a leader, spread over the nodes
 * (the nodes hand leadership back to each partition's preferred replica within a few seconds).
 */
async function setUp(client: ClusterClient): Promise<number[]> {
  await eventually('the topic', () =>
    client.admin().createTopics({
      topics: [
        {
          topic: TOPIC,
          numPartitions: PARTITIONS,
          replicationFactor: NODES,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    }),
  )
  const spreadBy = nowMs() + 5_000
  for (;;) {
    const now = await leaders(client.admin()).catch(() => [-1])
    const known = now.length === PARTITIONS && now.every((l) => l > 0)
    if (known && (new Set(now).size === Math.min(NODES, PARTITIONS) || nowMs() > spreadBy)) return now
    if (nowMs() > spreadBy + SETUP_LIMIT_MS) throw new Error(`cluster: partitions without a leader: ${now.join('/')}`)
    await sleep(100)
  }
}

/** Load is one producing run: sends of BATCH_MESSAGES with SENDS_IN_FLIGHT outstanding. */
interface Load {
  sent: number
  acked: number
  /** acks is each acknowledged send's [startMs, ackMs]. */
  acks: Array<[number, number]>
}

/**
 * produce sends `task.messages` (or until the deadline) and resolves when the last send is
 * acknowledged; `onAcked` sees the running count (the failover run kills a leader from it).
 */
async function produce(producer: ProducerApi, task: Task, startMs: number, onAcked: (acked: number) => void = () => {}): Promise<Load> {
  const pool = messagePool()
  const load: Load = { sent: 0, acked: 0, acks: [] }
  const deadlineMs = startMs + task.timeLimitMs
  const loop = async (): Promise<void> => {
    while (load.sent < task.messages && nowMs() < deadlineMs) {
      const n = Math.min(BATCH_MESSAGES, task.messages - load.sent)
      const from = load.sent
      load.sent += n
      const sentAtMs = nowMs()
      await producer.send({ topic: TOPIC, messages: pool.batch(from, n), acks: -1 })
      load.acks.push([sentAtMs, nowMs()])
      load.acked += n
      onAcked(load.acked)
    }
  }
  await Promise.all(Array.from({ length: SENDS_IN_FLIGHT }, loop))
  return load
}

/**
 * consumeAll reads `count` messages from the beginning as one member of a fresh group, with the
 * consumer's default options, and resolves with how many it saw (fewer only at the deadline).
 */
async function consumeAll(client: ClusterClient, count: number, deadlineMs: number): Promise<number> {
  const consumer = client.consumer({ groupId: 'bench-cluster-consume' })
  await consumer.connect?.()
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  let seen = 0
  let valueBytes = 0
  let failure: unknown = null
  let timer: NodeJS.Timeout | undefined
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadlineMs - nowMs()))
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) valueBytes += message.value?.length ?? 0
          seen += batch.messages.length
          if (seen >= count) resolve()
        },
      })
      .catch((error: unknown) => {
        failure = error
        resolve()
      })
  })
  clearTimeout(timer)
  await consumer.stop?.()
  await consumer.disconnect?.()
  if (failure) throw failure
  if (valueBytes < 0) throw new Error('unreachable')
  return seen
}

/** LoadedCluster is a started bench cluster with its topic placed and a connected client and producer. */
interface LoadedCluster {
  nodes: Awaited<ReturnType<typeof startBenchCluster>>
  placement: number[]
  client: ClusterClient
  producer: ReturnType<ClusterClient['producer']>
}

/** withLoadedCluster starts the nodes, places the topic, connects a client and its producer, runs `fn`, and stops it all. */
async function withLoadedCluster<T>(dir: string, fn: (c: LoadedCluster) => Promise<T>): Promise<T> {
  const nodes = await startBenchCluster(dir, NODES, TICK_MS)
  let client: ClusterClient | undefined
  try {
    const setup = await connect(nodes.procs.brokers)
    const placement = await setUp(setup).finally(() => setup.close())
    client = await connect(nodes.procs.brokers)
    const producer = client.producer({ acks: -1, idempotent: true, lingerMs: 0, batchSizeBytes: BATCH_BYTES, retry: RETRY })
    await producer.connect?.()
    return await fn({ nodes, placement, client, producer })
  } finally {
    await client?.close().catch(() => undefined)
    await nodes.procs.stop()
  }
}

/** runConsume fills the topic through the cluster (not timed), then times one group member reading it all. */
async function runConsume(task: Task, dir: string): Promise<Measurement> {
  return withLoadedCluster(dir, async ({ nodes, placement, client, producer }) => {
    const load = await produce(producer, { ...task, timeLimitMs: task.timeLimitMs * 3 }, nowMs())
    await producer.disconnect?.()
    const startMs = nowMs()
    const seen = await consumeAll(client, load.acked, startMs + task.timeLimitMs)
    const elapsedMs = nowMs() - startMs
    if (seen < load.acked && nowMs() < startMs + task.timeLimitMs) throw new Error(`cluster: read ${seen} of ${load.acked} messages`)
    const extra = { leaders: placement.join('/'), handler: 'eachBatch' }
    return { messages: seen, elapsedMs, payloadBytes: seen * MESSAGE_PAYLOAD_BYTES, serverRssBytes: nodes.peakRssBytes(), extra }
  })
}

async function runTributary(task: Task, dir: string, failover: boolean): Promise<Measurement> {
  return withLoadedCluster(dir, async ({ nodes, placement, client, producer }) => {
    const { procs } = nodes
    const admin = client.admin()

    let victim = 0
    let killedAtMs = 0
    let killing: Promise<void> | null = null
    const killAt = Math.floor(task.messages / 3)
    const startMs = nowMs()
    const load = await produce(producer, task, startMs, (acked) => {
      if (!failover || killing !== null || acked < killAt) return
      // Partition 0's leader now: leadership may have moved since the set-up looked.
      killing = leaders(admin).then((now) => {
        victim = now[0]!
        killedAtMs = nowMs()
        return procs.kill(victim)
      })
    })
    const elapsedMs = nowMs() - startMs
    await killing
    const serverRssBytes = nodes.peakRssBytes()
    await producer.disconnect?.()
    // A sanity check, after the clock stopped: the log holds at least every acknowledged message.
    const logged = (await admin.fetchTopicOffsets(TOPIC)).reduce((n, p) => n + p.high, 0)
    if (logged < load.acked) throw new Error(`cluster: ${load.acked} messages acknowledged but the partitions end at ${logged} in all`)
    const extra: Record<string, number | string> = { leaders: placement.join('/'), durability: 'quorum fdatasync' }
    if (failover) {
      const firstAfter = load.acks.filter(([sentAt]) => sentAt >= killedAtMs).sort((a, b) => a[1] - b[1])[0]
      if (killedAtMs === 0 || firstAfter === undefined) throw new Error('cluster: no acknowledged send after the kill')
      extra.failoverMs = Math.round(firstAfter[1] - killedAtMs)
      extra.killed = `node ${victim} (p0 leader)`
    }
    return { messages: load.acked, elapsedMs, payloadBytes: load.acked * MESSAGE_PAYLOAD_BYTES, serverRssBytes, extra }
  })
}

async function runNats(task: Task, dir: string): Promise<Measurement> {
  const session = await logSystem('nats-jetstream-r3').open(dir)
  try {
    const startMs = nowMs()
    const sent = await session.produce({ count: task.messages, batchSize: BATCH_MESSAGES, deadlineMs: startMs + task.timeLimitMs })
    const elapsedMs = nowMs() - startMs
    // nats-server 2.9 has no per-write fsync setting: a publish is acknowledged once a quorum holds it in the page cache.
    const extra = { durability: 'quorum page cache' }
    return { messages: sent, elapsedMs, payloadBytes: sent * MESSAGE_PAYLOAD_BYTES, serverRssBytes: session.serverPeakRssBytes(), extra }
  } finally {
    await session.close()
  }
}

function plan(mode: Mode): Task[] {
  const messages = byMode(mode, 250_000, 1_000_000)
  const timeLimitMs = byMode(mode, 20_000, 60_000)
  const params = {
    nodes: NODES,
    partitions: PARTITIONS,
    replicationFactor: NODES,
    acks: 'all',
    batchMessages: BATCH_MESSAGES,
    sendsInFlight: SENDS_IN_FLIGHT,
    tickMs: TICK_MS,
  }
  return [
    {
      workload: 'cluster',
      system: 'nats-jetstream-r3',
      label: NATS_R3,
      messages,
      timeLimitMs,
      params: { servers: 3, replicas: 3, publishWindow: 2_000 },
    },
    { workload: 'cluster', system: 'tributary-cluster', label: THROUGHPUT, messages, timeLimitMs, params, baseline: NATS_R3 },
    {
      workload: 'cluster',
      system: 'tributary-cluster',
      label: FAILOVER,
      messages: byMode(mode, 100_000, 300_000),
      timeLimitMs,
      params: { ...params, failover: true },
    },
    {
      workload: 'cluster',
      system: 'tributary-cluster',
      label: CONSUME,
      messages,
      timeLimitMs,
      params: { ...params, consume: true },
      baseline: THROUGHPUT,
    },
  ]
}

export const cluster: Workload = {
  name: 'cluster',
  summary:
    'three ClusterNode processes, RF 3, acks=all: msgs/s vs NATS JetStream R3, failover time after SIGKILL of a leader, and one group member consuming',
  plan,
  run(task, dir) {
    if (task.system === 'nats-jetstream-r3') return runNats(task, dir)
    if (task.params.consume === true) return runConsume(task, dir)
    return runTributary(task, dir, task.params.failover === true)
  },
}
