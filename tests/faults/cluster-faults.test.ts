import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalBroker, MemoryStorage, TributaryError } from '@tributary/core'
import { Tributary } from '@tributary/client'
import { Sfc32, MessageType, emptyMessage, type Message, LinkTable, MemoryNetwork } from '@tributary/raft'
import { MemoryPeerNetwork } from '@tributary/cluster'
import { MemoryCluster } from '@tributary/cluster/testing'
import { eventually, waitUntil } from '@tributary/core/testing'
import { ClusterClientBroker, readLog, type LogRecord } from './fault-client'
import {
  checkAckedCommitsKept,
  checkAllConsumed,
  checkContiguousOffsets,
  checkFetchedWasCommitted,
  checkGroupCommitted,
  checkKeyOrder,
  checkNoDuplicates,
  checkNothingAckedLost,
  checkOutOfRangeWasReal,
  checkReplicasAgree,
  logEnds,
} from './fault-checks'
import { describeSchedule, drawSchedule, runSchedule, type FaultSchedule } from './fault-schedule'
import { committedOffsets, describeGroupState, waitForGroup, type GroupOutcome } from './fault-group'
import { perBatch, produceOne, scripted, sleep } from './fault-scripted'
import { codeOf, consumerHooks, newWorkloadRecord, produceLoad, startConsumers, type WorkloadRecord } from './fault-workload'

/**
 * A three-node cluster under the simulation's faults, end to end through the client: an
 * idempotent acks=all producer and a consumer group work while messages are lost, delayed,
 * reordered and duplicated, a partition's leader is cut off, a node crashes and restarts and the
 * metadata leader (the group coordinator) crashes mid-consumption (testing-faults.ts draws the
 * schedule from the seed, sometimes with extra and overlapping faults). Once everything healed:
 * every node serves the same log; it holds every acknowledged message exactly once, in key order,
 * at contiguous offsets; every record a consumer fetched lay below its high watermark and is in
 * the final log at the same offset; the group consumed everything and committed to the end, and
 * no acknowledged offset commit was lost.
 *
 * CI runs seeds 1..CI_SEEDS. Long runs: `CLUSTER_SEEDS=N` runs seeds 1..N (`CLUSTER_START=K` moves
 * the first), `CLUSTER_SEED=S` replays one seed. A failure prints its seed, schedule and trace
 * (`CLUSTER_TRACE=1` prints them for passing seeds too).
 */

/** CI_SEEDS is the fixed seed set every CI run checks (seeds 1..CI_SEEDS). */
const CI_SEEDS = 10
const TOPIC = 'orders'
const PARTITIONS = 4
const KEYS = 12
const GROUP = 'audit'
/**
 * KNOWN_BUGS: reported bugs (repros under 'known bugs' below) that a seed may show without
 * failing; each sighting is noted in the trace and in the long-run summary. Set an entry to false
 * once its bug is fixed, and the suite asserts it again.
 */
const KNOWN_BUGS = {
  /** Client: after a send fails for good, key order breaks across the old and the new producer id. */
  keyOrderAcrossProducerIds: false,
  /** Client: a commit that failed, or finished behind what was handled since, is not redone while no new data arrives. */
  idleCommitNotRedone: false,
  /** Broker: a replica behind its partition, with no leader known, answers OFFSET_OUT_OF_RANGE for a committed offset. */
  laggingReplicaOutOfRange: false,
  /**
   * Broker + client: a node that has not caught up on the metadata log since its restart reports
   * no topics; a group leader asking it assigns nothing and the group never rebalances.
   */
  groupAssignedNothing: false,
} as const
/** Bounds on waiting for the healed cluster: generous, never asserted as speed. */
const CONVERGE_MS = 30_000

jest.setTimeout(90_000)

function seedsToRun(): number[] {
  const one = process.env.CLUSTER_SEED
  if (one !== undefined && one !== '') return [Number(one)]
  const count = Number(process.env.CLUSTER_SEEDS ?? CI_SEEDS)
  const start = Number(process.env.CLUSTER_START ?? 1)
  return Array.from({ length: count }, (_, i) => start + i)
}

/** Run is one seed: its schedule, what its workload saw, and its trace. */
interface Run extends WorkloadRecord {
  readonly schedule: FaultSchedule
  readonly trace: string[]
  /** log adds a line to the trace, stamped with the time since the seed started. */
  readonly log: (line: string) => void
}

describe('a 3-node cluster under seeded faults (message loss, partitions, crashes)', () => {
  test.each(seedsToRun())(
    'seed %i: nothing acknowledged is lost or duplicated, key order and contiguous offsets hold, consumers see only committed data',
    async (seed) => {
      const run = newRun(seed)
      let violations: string[]
      try {
        violations = await runSeed(run)
      } catch (error) {
        violations = [`the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`]
      }
      if (violations.length > 0) throw new Error(report(run, violations))
      if (process.env.CLUSTER_TRACE === '1') console.log(report(run, []))
      // Guard against a harness that silently stops generating load.
      expect(run.acked.size).toBeGreaterThan(100)
    },
  )
})

function newRun(seed: number): Run {
  const t0 = Date.now()
  const trace: string[] = []
  const log = (line: string): void => void trace.push(`+${Date.now() - t0} ms ${line}`)
  return { ...newWorkloadRecord(), schedule: drawSchedule(seed), trace, log }
}

function report(run: Run, violations: string[]): string {
  const failed = [...run.failedSends].map(([code, n]) => `${code}×${n}`).join(', ') || 'none'
  return [
    violations.length === 0 ? `seed ${run.schedule.seed} passed` : `seed ${run.schedule.seed} broke ${violations.length} invariant(s):`,
    ...violations.slice(0, 30).map((v) => `  - ${v}`),
    `replay: CLUSTER_SEED=${run.schedule.seed} npx jest tests/faults/cluster-faults.test.ts`,
    `schedule:\n${describeSchedule(run.schedule)}`,
    `acked ${run.acked.size}, failed sends: ${failed}, fetched ${run.fetched.length}, consumed ${run.consumed.size}`,
    `trace:\n${run.trace.join('\n')}`,
  ].join('\n')
}

/** runSeed runs one seed's workload under its fault schedule and returns the invariants it broke. */
async function runSeed(run: Run): Promise<string[]> {
  const root = run.schedule.onDisk ? await mkdtemp(join(tmpdir(), 'tributary-faults-')) : undefined
  const cluster = await MemoryCluster.start(3, {}, root === undefined ? undefined : (id) => join(root, `node-${id}`), {
    faults: run.schedule.messages,
  })
  // Each client prefers another node first (seeded), and fails over to the next one while it is down.
  const order = rotate(cluster.ids, new Sfc32(run.schedule.seed).nextInt(cluster.ids.length))
  const clients = [
    new ClusterClientBroker(cluster, order),
    ...[1, 2].map((shift) => new ClusterClientBroker(cluster, rotate(order, shift), consumerHooks(run))),
  ]
  const tbs = await Promise.all(clients.map((broker) => Tributary.open({ broker })))
  const [producerTb, ...consumerTbs] = tbs as [Tributary, ...Tributary[]]
  const admin = consumerTbs[0] as Tributary
  try {
    await waitUntil(() => cluster.metaLeader() !== 0, 10_000)
    await createTopic(producerTb)
    const members = await startConsumers(run, consumerTbs, TOPIC, GROUP)
    const load = produceLoad(run, producerTb, TOPIC, KEYS)
    await runSchedule(cluster, run.schedule, { topic: TOPIC, partitions: PARTITIONS, trace: run.log })
    await load.stop()
    run.log(`load stopped: ${run.acked.size} acked`)
    await cluster.healAll()
    run.log('healed everything')
    const logs = await converge(run, cluster)
    const group = await awaitGroup(run, admin, logs.get(1) ?? [])
    if (group === 'timed out') run.log(`calls without an answer: ${clients.flatMap((c) => c.stalled(1000)).join('; ') || 'none'}`)
    await Promise.all(members.map((m) => withDeadline(m.disconnect(), 10_000).catch(() => undefined)))
    return checkAll(run, logs, await committedOffsets(admin.broker, GROUP), group)
  } finally {
    await Promise.all(tbs.map((tb) => withDeadline(tb.close(), 10_000).catch(() => undefined)))
    await cluster.close()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  }
}

/** createTopic creates the topic, retrying while the metadata group is unsettled. */
async function createTopic(tb: Tributary): Promise<void> {
  const spec = {
    topic: TOPIC,
    numPartitions: PARTITIONS,
    replicationFactor: 3,
    configEntries: [{ name: 'min.insync.replicas', value: '2' }],
  }
  await eventually(async () => {
    const [r] = await tb.broker.createTopics([spec]).catch(() => [undefined])
    return r !== undefined && r.error === undefined ? true : undefined
  }, 15_000)
}

/** converge waits (bounded) until every node serves the same log holding every acknowledged message, and returns each node's log. */
async function converge(run: Run, cluster: MemoryCluster): Promise<Map<number, LogRecord[]>> {
  let logs = new Map<number, LogRecord[]>()
  const done = await eventually(async () => {
    logs = new Map(await Promise.all(cluster.ids.map(async (id) => [id, await readLog(cluster.node(id), TOPIC).catch(() => [])] as const)))
    return checkNothingAckedLost(logs.get(1) ?? [], run.acked).length === 0 && checkReplicasAgree(logs).length === 0 ? true : undefined
  }, CONVERGE_MS).catch(() => false)
  run.log(done ? `converged: ${logs.get(1)?.length} records on every node` : 'did not converge in time')
  return logs
}

/**
 * awaitGroup waits (bounded) until the group consumed and committed everything in the log, or
 * stalled for a known reason (noted), and logs how it ended.
 */
async function awaitGroup(run: Run, admin: Tributary, log: readonly LogRecord[]): Promise<GroupOutcome> {
  const known = { idleCommitNotRedone: KNOWN_BUGS.idleCommitNotRedone, groupAssignedNothing: KNOWN_BUGS.groupAssignedNothing }
  const outcome = await waitForGroup(run, { broker: admin.broker, groupId: GROUP, timeoutMs: CONVERGE_MS, quietMs: 2000, known }, log)
  if (outcome === 'done') run.log('the group consumed and committed everything')
  else if (outcome === 'timed out')
    run.log(
      `the group did not consume and commit everything within ${CONVERGE_MS} ms: ${await describeGroupState(run, admin.broker, GROUP, log)}`,
    )
  else noteKnownBug(run, outcome, `the group stalled: ${await describeGroupState(run, admin.broker, GROUP, log)}`)
  return outcome
}

/** checkAll runs every invariant over the healed cluster's logs and what the workload saw; returns the violations. */
function checkAll(run: Run, logs: Map<number, LogRecord[]>, committed: Map<number, number>, group: GroupOutcome): string[] {
  const log = logs.get(1) ?? []
  // A group that a known bug left with nothing assigned consumes nothing more: its progress is not checked.
  const groupChecks =
    group === 'groupAssignedNothing' ? [] : [...checkAllConsumed(log, run.consumed), ...checkGroupCommitted(logEnds(log), committed)]
  return [
    ...checkReplicasAgree(logs),
    ...checkContiguousOffsets(log),
    ...checkNoDuplicates(log),
    ...checkNothingAckedLost(log, run.acked),
    // Order within one producer id is the broker's to keep; across ids (after a failed send), the client's.
    ...checkKeyOrder(log, 'producer', run.acked),
    ...knownBugCheck(run, 'keyOrderAcrossProducerIds', checkKeyOrder(log, 'key', run.acked)),
    ...checkFetchedWasCommitted(run.fetched, log),
    ...knownBugCheck(run, 'laggingReplicaOutOfRange', checkOutOfRangeWasReal(run.outOfRange, log)),
    ...(group === 'timed out' ? ['the group did not consume and commit everything in time (see the trace)'] : []),
    ...groupChecks,
    ...checkAckedCommitsKept(run.commits, committed),
  ]
}

/** knownBugCheck returns a check's violations, or notes them (and returns none) while its bug is known. */
function knownBugCheck(run: Run, bug: keyof typeof KNOWN_BUGS, violations: string[]): string[] {
  if (violations.length === 0) return []
  if (!KNOWN_BUGS[bug]) return violations
  noteKnownBug(run, bug, `${violations.length} violation(s), e.g. ${violations[0]}`)
  return []
}

/** knownBugSeeds lists, per known bug, the seeds that showed it (for the long-run summary). */
const knownBugSeeds = new Map<string, number[]>()

/** noteKnownBug records that a seed showed a known (reported) bug, which does not fail the seed. */
function noteKnownBug(run: Run, bug: keyof typeof KNOWN_BUGS, detail: string): void {
  knownBugSeeds.set(bug, [...(knownBugSeeds.get(bug) ?? []), run.schedule.seed])
  run.log(`known bug ${bug}: ${detail}`)
}

afterAll(() => {
  if (process.env.CLUSTER_SEEDS === undefined && process.env.CLUSTER_SEED === undefined) return
  const lines = [...knownBugSeeds].map(([bug, seeds]) => `  ${bug}: ${seeds.length} seeds (${seeds.join(', ')})`)
  console.log(`known bugs seen:\n${lines.join('\n') || '  none'}`)
})

function rotate(ids: readonly number[], by: number): number[] {
  return ids.map((_, i) => ids[(i + by) % ids.length] as number)
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())])
}

describe('the fault layer of the in-memory networks', () => {
  const message = (from: number, to: number, index: number): Message => ({
    ...emptyMessage,
    type: MessageType.Heartbeat,
    from,
    to,
    term: 1,
    index,
  })

  /** deliveries sends `count` messages from node 1 to node 2 and returns how often each index arrived. */
  async function deliveries(network: MemoryNetwork, count: number): Promise<number[]> {
    const seen = new Array<number>(count).fill(0)
    network.transport(2).onMessage((_, m) => void (seen[m.index] = (seen[m.index] ?? 0) + 1))
    const sender = network.transport(1)
    for (let i = 0; i < count; i++) sender.send('g', message(1, 2, i))
    await sleep(100) // longer than the largest delay
    return seen
  }

  test('without a fault model every message arrives once, in order', async () => {
    const network = new MemoryNetwork()
    const order: number[] = []
    network.transport(2).onMessage((_, m) => void order.push(m.index))
    for (let i = 0; i < 50; i++) network.transport(1).send('g', message(1, 2, i))
    await sleep(10)
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  test('a seed draws the same losses and duplicates every time', async () => {
    const model = { seed: 7, dropRate: 0.2, duplicateRate: 0.2, delayRate: 0.3, maxDelayMs: 20 }
    const first = await deliveries(new MemoryNetwork(model), 300)
    const second = await deliveries(new MemoryNetwork(model), 300)
    expect(second).toEqual(first)
    expect(first.filter((n) => n === 0).length).toBeGreaterThan(0)
    expect(first.filter((n) => n === 2).length).toBeGreaterThan(0)
  })

  test('overlapping partitions: a link stays cut until every partition that cut it healed', () => {
    const links = new LinkTable()
    links.partition([[1], [2, 3]])
    links.partition([[1, 3], [2]])
    links.unpartition([[1], [2, 3]])
    expect([links.blocked(1, 2), links.blocked(1, 3), links.blocked(3, 2)]).toEqual([true, false, true])
    links.unpartition([[1, 3], [2]])
    expect(links.blocked(1, 2)).toBe(false)
  })

  test('peer calls: requests on one link arrive in order, and a node that closes fails the calls it serves', async () => {
    const network = new MemoryPeerNetwork({ seed: 3, delayRate: 1, maxDelayMs: 20 })
    const arrived: number[] = []
    const server = network.channel(2)
    server.serve(async (_, [n]) => {
      arrived.push(n as number)
      return n === 99 ? new Promise(() => undefined) : n // 99 never answers
    })
    const client = network.channel(1)
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.call(2, 'join', [i, { host: 'h', port: 1 }])))
    expect(arrived).toEqual(Array.from({ length: 20 }, (_, i) => i))
    const hanging = client.call(2, 'join', [99, { host: 'h', port: 1 }])
    await waitUntil(() => arrived.includes(99))
    await server.close()
    await expect(hanging).rejects.toMatchObject({ code: 'LEADER_NOT_AVAILABLE', retriable: true })
  })
})

/*
 * Bugs this suite found, kept as the smallest repros (all fixed; they run in CI as regression
 * tests): broker bugs on a plain MemoryCluster, and client bugs on a LocalBroker behind a scripted
 * broker (testing-faults-scripted.ts) that replays the exact interleaving the cluster produced.
 * A new bug found by a seed goes here first; its KNOWN_BUGS entry may tolerate it meanwhile.
 */
describe('bugs found under cluster faults (regressions)', () => {
  // FIXED BUG (broker, fetch-path.ts readPartitions/readLocal; was cluster-node.ts): a replica
  // behind its partition that knows no leader (restarted and not yet caught up, or cut off from
  // the leader) forwards a read past its end only to a *known* leader; with none (leader 0) the
  // guess is the preferred replica, i.e. itself, so it reads locally and answers OFFSET_OUT_OF_RANGE
  // for an offset that is committed. The consumer then resets its position (autoOffsetReset):
  // with 'earliest' it re-consumes the partition from 0, with 'latest' it can skip records. Seen on
  // cluster seed 6 (node 2 just restarted; the group re-read partition 2 from offset 0).
  test('was a bug: a replica cut off from its partition answers OFFSET_OUT_OF_RANGE for a committed offset', async () => {
    const cluster = await MemoryCluster.start(3)
    try {
      await waitUntil(() => cluster.metaLeader() !== 0)
      await cluster.node(1).createTopics([{ topic: 'lag', numPartitions: 1, replicationFactor: 3 }])
      const preferred = (await cluster.node(1).metadata({ topics: ['lag'] })).topics[0]?.partitions[0]?.replicas[0] as number
      await waitUntil(() => cluster.node(preferred).status().leaderOf.includes('lag/0'))
      for (let i = 0; i < 5; i++) await produceOne(cluster, preferred, 'lag', `a${i}`)
      // The preferred replica is cut off; the others elect a leader and commit 5 more records.
      const others = cluster.ids.filter((id) => id !== preferred)
      cluster.partition([preferred], others)
      const leader = await waitUntil(() => others.find((id) => cluster.node(id).status().leaderOf.includes('lag/0')))
      for (let i = 0; i < 5; i++) await produceOne(cluster, leader, 'lag', `b${i}`)
      await waitUntil(() => cluster.node(preferred).partitionLeader('lag', 0) === 0)
      const [r] = await cluster
        .node(preferred)
        .fetch({ partitions: [{ topic: 'lag', partition: 0, offset: 10, maxBytes: 1 << 20 }], maxWaitMs: 0 })
      // Offset 10 is the partition's high watermark: a valid position. Expected a retriable error (or a forward).
      expect(r?.error?.code).not.toBe('OFFSET_OUT_OF_RANGE')
    } finally {
      await cluster.close()
    }
  })

  // FIXED BUG (broker: the metadata read path, cluster-admin.ts / cluster-node.ts metadata()): a node
  // restarted and not yet caught up on the metadata log answers from its empty state: metadata()
  // lists no topics and metadata({ topics }) says UNKNOWN_TOPIC_OR_PARTITION for a topic that
  // exists. (KRaft brokers stay fenced until they caught up.) With the next bug, a consumer group
  // whose leader asked such a node assigned nothing and stalled for good: seed 372.
  test('was a bug: a node restarted while cut off from the metadata leader says that an existing topic does not exist', async () => {
    const cluster = await MemoryCluster.start(3)
    try {
      await waitUntil(() => cluster.metaLeader() !== 0)
      await cluster.node(1).createTopics([{ topic: 'orders', numPartitions: 4, replicationFactor: 3 }])
      const victim = cluster.ids.find((id) => id !== cluster.metaLeader()) as number
      await eventually(async () => ((await cluster.node(victim).metadata()).topics.length === 1 ? true : undefined))
      await cluster.crash(victim)
      cluster.partition(
        [victim],
        cluster.ids.filter((id) => id !== victim),
      )
      await cluster.restart(victim)
      const answer = await cluster
        .node(victim)
        .metadata()
        .then(
          (m) => m.topics.map((t) => t.name),
          (e: unknown) => e,
        )
      // Expected: the topics it knew before the crash, or a retriable error while it catches up.
      if (Array.isArray(answer)) expect(answer).toEqual(['orders'])
      else expect(answer).toMatchObject({ code: 'LEADER_NOT_AVAILABLE', retriable: true })
      const named = await cluster
        .node(victim)
        .metadata({ topics: ['orders'] })
        .then(
          (m) => m.topics.map((t) => t.name),
          (e: unknown) => e,
        )
      if (Array.isArray(named)) expect(named).toEqual(['orders'])
      else expect(named).toMatchObject({ code: 'LEADER_NOT_AVAILABLE', retriable: true })
      cluster.healPartitions()
      await eventually(async () =>
        (
          await cluster
            .node(victim)
            .metadata()
            .catch(() => undefined)
        )?.topics.length === 1
          ? true
          : undefined,
      )
    } finally {
      await cluster.close()
    }
  })

  // FIXED BUG (client, consumer/group-membership.ts assign/existingTopics): the group leader drops
  // subscribed topics that its metadata lacks (stale metadata, as above), assigns nothing, and never
  // rejoins when the topic shows up, so the group stays Stable with nothing assigned. The Java and
  // KafkaJS clients rejoin when the subscribed topics' metadata changes. Seen on cluster seed 372.
  test('was a bug: a group leader that saw stale metadata assigns nothing and the group never recovers', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    await local.createTopics([{ topic: 'r', numPartitions: 2 }])
    let stale = true
    const broker = scripted(local, {
      metadata: async (request) => {
        const real = await local.metadata(request)
        return stale && request?.topics === undefined ? { ...real, topics: [] } : real
      },
    })
    const tb = await Tributary.open({ broker })
    await tb.producer().send({ topic: 'r', messages: [{ value: 'a' }, { value: 'b' }] })
    const consumer = tb.consumer({ groupId: 'g', heartbeatIntervalMs: 50, metadataMaxAgeMs: 200 })
    await consumer.subscribe({ topics: ['r'], fromBeginning: true })
    let handled = 0
    await consumer.run({ eachMessage: async () => void handled++ })
    stale = false // the node caught up
    await waitUntil(() => handled >= 2, 3000).catch(() => undefined)
    await tb.close()
    await local.close()
    expect(handled).toBe(2)
  })

  // FIXED BUG (client, producer/sender.ts settle → resetIdentity): a send that fails for good makes
  // the producer take a new producer id at once, while a batch of the old id is still waiting to
  // be retried for another partition. A later message of the same key goes out under the new id
  // and lands first; the old batch's retry lands after it. Both sends succeed, in the wrong order.
  // Seen on most cluster seeds (e.g. seed 1) once a spurious OUT_OF_ORDER_SEQUENCE_NUMBER (next bug) fails a send.
  test('was a bug: after one partition fails a send for good, an older retried message of a key lands after a newer one', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    await local.createTopics([{ topic: 'r', numPartitions: 2 }])
    const attempts = new Map<string, number>()
    const broker = scripted(local, {
      produce: (request) =>
        perBatch(local, request, async (value) => {
          const attempt = (attempts.get(value) ?? 0) + 1
          attempts.set(value, attempt)
          // k:0's first attempt meets a leader election (retriable); x:0 is refused for good.
          if (value === 'k:0' && attempt === 1) return 'LEADER_NOT_AVAILABLE'
          return value === 'x:0' ? 'OUT_OF_ORDER_SEQUENCE_NUMBER' : undefined
        }),
    })
    const tb = await Tributary.open({ broker })
    const producer = tb.producer({ acks: 'all', idempotent: true, retry: { retries: 5, initialRetryTimeMs: 200, maxRetryTimeMs: 200 } })
    await producer.send({ topic: 'r', messages: [{ value: 'warm-up', partition: 0 }] }) // the producer id is known from here on
    const first = producer.send({ topic: 'r', messages: [{ key: 'k', value: 'k:0', partition: 1 }] })
    await waitUntil(() => attempts.get('k:0') === 1) // k:0 was sent and refused once: x:0 goes in a request of its own
    await expect(producer.send({ topic: 'r', messages: [{ key: 'x', value: 'x:0', partition: 0 }] })).rejects.toMatchObject({
      code: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    })
    await producer.send({ topic: 'r', messages: [{ key: 'k', value: 'k:1', partition: 1 }] })
    await first
    const values = (await readLog(local, 'r')).filter((r) => r.partition === 1).map((r) => r.value)
    await tb.close()
    await local.close()
    expect(values).toEqual(['k:0', 'k:1'])
  })

  // FIXED BUG (client, producer/sender.ts mayRetry): OUT_OF_ORDER_SEQUENCE_NUMBER is retried only
  // while the previous batch of the partition is unsettled. When the previous batch's retry
  // succeeds before the rejection of the next batch is handled (a rejection computed before the
  // retry landed, answered late, e.g. inside a multi-partition response), the next batch fails for
  // good although its retry would succeed. Seen on most cluster seeds as failed sends.
  test('was a bug: a batch rejected as out of order while its predecessor was being retried fails instead of being retried', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    await local.createTopics([{ topic: 'r', numPartitions: 1 }])
    const attempts = new Map<string, number>()
    let firstLanded: () => void = () => undefined
    const landed = new Promise<void>((resolve) => (firstLanded = resolve))
    const broker = scripted(local, {
      produce: (request) =>
        perBatch(local, request, async (value) => {
          const attempt = (attempts.get(value) ?? 0) + 1
          attempts.set(value, attempt)
          if (value === 'k:0' && attempt === 1) return 'LEADER_NOT_AVAILABLE'
          // The leader checked k:1 before k:0's retry landed; its answer arrives after.
          if (value === 'k:1' && attempt === 1) return landed.then(() => sleep(20)).then(() => 'OUT_OF_ORDER_SEQUENCE_NUMBER' as const)
          return undefined
        }).then((results) => {
          if (attempts.get('k:0') === 2) firstLanded()
          return results
        }),
    })
    const tb = await Tributary.open({ broker })
    const producer = tb.producer({ acks: 'all', idempotent: true, retry: { retries: 5, initialRetryTimeMs: 50, maxRetryTimeMs: 50 } })
    await producer.send({ topic: 'r', messages: [{ value: 'warm-up' }] }) // the producer id is known from here on
    const first = producer.send({ topic: 'r', messages: [{ key: 'k', value: 'k:0' }] })
    await waitUntil(() => attempts.get('k:0') === 1) // k:0 was sent and refused once: k:1 goes in a batch of its own
    const second = producer.send({ topic: 'r', messages: [{ key: 'k', value: 'k:1' }] })
    const outcome = await Promise.allSettled([first, second])
    await tb.close()
    await local.close()
    expect(outcome.map((o) => (o.status === 'fulfilled' ? 'acked' : codeOf(o.reason)))).toEqual(['acked', 'acked'])
  })

  // FIXED BUG (client, consumer/consumer.ts run → Runner.start → rejoin → startPositions): one
  // transient, retriable error while fetching the committed offsets of the first assignment
  // (COORDINATOR_NOT_AVAILABLE while the metadata leader moves) makes consumer.run() reject and
  // leave the group, whatever `retry` says. Seen on cluster seeds 11 and 21 at start-up.
  test('was a bug: consumer.run() rejects on one retriable COORDINATOR_NOT_AVAILABLE from fetchOffsets', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    await local.createTopics([{ topic: 'r', numPartitions: 1 }])
    let calls = 0
    const broker = scripted(local, {
      fetchOffsets: async (groupId, partitions) => {
        if (++calls === 1) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is moving')
        return local.fetchOffsets(groupId, partitions)
      },
    })
    const tb = await Tributary.open({ broker })
    const consumer = tb.consumer({ groupId: 'g', retry: { retries: 5, initialRetryTimeMs: 20, maxRetryTimeMs: 50 } })
    await consumer.subscribe({ topics: ['r'], fromBeginning: true })
    const run = await consumer.run({ eachMessage: async () => undefined }).then(
      () => 'running',
      (error: unknown) => codeOf(error),
    )
    await tb.close()
    await local.close()
    expect(run).toBe('running')
  })

  // FIXED BUG (client, consumer/runner.ts commitQuietly / commitIfNecessary): an auto-commit that
  // fails (COORDINATOR_NOT_AVAILABLE while the metadata leader moves) is left "for the next
  // commit", but the next commit only comes with new data or stop(): while the topic is idle the
  // handled offsets stay uncommitted for good (the group's lag never reaches 0, and a restart
  // re-consumes them). Seen on cluster seeds 34 and 211 (a few seeds in 100). The same gap shows
  // when a commit finishes after newer offsets were handled and equal the committed offset (after a
  // position reset, seed 6): the partition again needs a commit, and nothing triggers one.
  test('was a bug: an auto-commit that failed once is not retried while no new data arrives', async () => {
    const local = await LocalBroker.open({ storage: new MemoryStorage() })
    await local.createTopics([{ topic: 'r', numPartitions: 1 }])
    let commits = 0
    const broker = scripted(local, {
      commitOffsets: async (request) => {
        if (++commits === 1) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is moving')
        return local.commitOffsets(request)
      },
    })
    const tb = await Tributary.open({ broker })
    await tb.producer().send({ topic: 'r', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
    const consumer = tb.consumer({
      groupId: 'g',
      heartbeatIntervalMs: 50,
      retry: { retries: 5, initialRetryTimeMs: 20, maxRetryTimeMs: 50 },
    })
    await consumer.subscribe({ topics: ['r'], fromBeginning: true })
    let handled = 0
    await consumer.run({ eachMessage: async () => void handled++ })
    await waitUntil(() => handled === 3)
    const committed = await eventually(async () => ((await local.fetchOffsets('g'))[0]?.offset === 3 ? 3 : undefined), 2000).catch(
      async () => (await local.fetchOffsets('g'))[0]?.offset ?? 'nothing',
    )
    await tb.close()
    await local.close()
    expect(committed).toBe(3)
  })
})
