import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  MemoryStorage,
  TributaryError,
  encodeRecordBatch,
  iterateBatches,
  resolveTopicConfig,
  systemClock,
  type PartitionLog,
} from '@tributary/core'
import { partitionLogConfig, writeBaseOffset } from '@tributary/core/internal'
import type { ClusterNode } from '../node/cluster-node'
import type { PartitionReplica } from './partition-replica'
import {
  appendUpTo,
  decodePartitionSnapshot,
  defaultPartitionSnapshotOptions,
  encodePartitionSnapshot,
  fillLog,
  peerFetchRange,
  resolvePartitionSnapshotOptions,
  type FetchRange,
} from './partition-snapshot'
import { MemoryPeerNetwork } from '../server/peer-channel'
import { eventually, readAll, waitUntil, type ReadRecord } from '@tributary/core/testing'
import { MemoryCluster } from '../testing/memory-cluster'

jest.setTimeout(60_000)

/** Snapshot every 50 entries and keep 10 behind: small enough that a few hundred produces compact many times. */
const partitionSnapshots = { snapshotEveryEntries: 50, snapshotTrailingEntries: 10 }

const batchOf = (values: string[], idem?: { producerId: number; baseSequence: number }): Buffer =>
  encodeRecordBatch(
    values.map((v) => ({ key: Buffer.from('k'), value: Buffer.from(v), timestamp: 1, headers: [] })) as never,
    idem === undefined ? {} : { producerId: idem.producerId, producerEpoch: 0, baseSequence: idem.baseSequence },
  )

/** replicaOf reaches a node's replica of a partition: the tests inspect its Raft log bounds. */
const replicaOf = (node: ClusterNode, topic: string, partition = 0): PartitionReplica | undefined =>
  (node as unknown as { replicas: Map<string, PartitionReplica> }).replicas.get(`${topic}/${partition}`)

/** retried runs a raw Broker call until it stops failing with a retriable error (leaders may move early on). */
const retried = <T>(f: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> =>
  eventually(async () => {
    try {
      return await f()
    } catch (error) {
      if (error instanceof TributaryError && error.retriable) return undefined
      throw error
    }
  }, timeoutMs)

/** keyedNow is a one-record batch with a key and the current time (retention by time then keeps it). */
const keyedNow = (key: string, value: string): Buffer =>
  encodeRecordBatch([{ key: Buffer.from(key), value: Buffer.from(value), timestamp: Date.now(), headers: [] }] as never)

async function createTopic(c: MemoryCluster, topic: string, numPartitions: number, configs: Record<string, string> = {}): Promise<void> {
  await waitUntil(() => c.node(1).status().metaLeader !== 0, 10_000)
  const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }))
  await retried(async () => {
    const [r] = await c.node(1).createTopics([{ topic, numPartitions, replicationFactor: 3, configEntries }])
    if (r?.error && r.error.code !== 'TOPIC_ALREADY_EXISTS') throw r.error
    return true
  })
}

/** produce appends one batch with acks=all through the node `node()` returns and resolves with its base offset. */
function produce(node: () => ClusterNode, topic: string, partition: number, batch: Buffer): Promise<number> {
  return retried<number>(async () => {
    const [r] = await node().produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic, partition, batch }] })
    if (r?.error) throw r.error
    return r?.baseOffset
  })
}

/** readCount reads a topic through `id` until it holds `count` records. */
function readCount(c: MemoryCluster, id: number, topic: string, count: number): Promise<ReadRecord[]> {
  return eventually(async () => {
    const read = await readAll(c.node(id), topic).catch(() => [])
    return read.length >= count ? read : undefined
  }, 20_000)
}

/** LocalRecord is one record of a replica's own log: offset, key, value. */
type LocalRecord = [number, string | null, string | null]

/** localRecords reads a replica's own log from its start (no forwarding to the leader, unlike a fetch). */
function localRecords(log: PartitionLog): LocalRecord[] {
  const out: LocalRecord[] = []
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    const batches = log.read(next, 1 << 20)
    if (batches.length === 0) break
    for (const batch of iterateBatches(batches)) {
      for (const r of batch.records()) if (r.offset >= next) out.push([r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null])
      next = batch.lastOffset + 1
    }
  }
  return out
}

/** batchGaps counts the places where a log's next batch starts past the previous batch's end. */
function batchGaps(log: PartitionLog): number {
  let gaps = 0
  let expected = log.startOffset()
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    const batches = log.read(next, 1 << 20)
    if (batches.length === 0) break
    for (const batch of iterateBatches(batches)) {
      if (batch.baseOffset > expected) gaps++
      expected = next = batch.lastOffset + 1
    }
  }
  return gaps
}

/** expectExactly checks a partition's records: the expected values, once each, in order, at offsets 0, 1, 2, … */
function expectExactly(records: ReadRecord[], partition: number, values: string[]): void {
  const mine = records.filter((r) => r.partition === partition)
  expect(mine.map((r) => r.value)).toEqual(values)
  expect(mine.map((r) => r.offset)).toEqual(values.map((_, i) => i))
}

describe('partition snapshots and Raft log compaction', () => {
  let cluster: MemoryCluster | undefined
  let root: string | undefined
  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
    if (root !== undefined) await rm(root, { recursive: true, force: true })
    root = undefined
  })

  test('with a snapshot every 50 entries, each partition group keeps a bounded Raft log while every replica serves all 3,000 messages', async () => {
    const c = (cluster = await MemoryCluster.start(3, { partitionSnapshots }))
    await createTopic(c, 'bounded', 2)
    const expected: string[][] = [[], []]
    // 300 batches of 10 records over two partitions, 15 in flight at a time: 150 Raft entries per partition.
    for (let wave = 0; wave < 20; wave++) {
      const sends = Array.from({ length: 15 }, (_, j) => {
        const n = wave * 15 + j
        const values = Array.from({ length: 10 }, (_, k) => `m${n * 10 + k}`)
        const partition = n % 2
        return produce(() => c.node((n % 3) + 1), 'bounded', partition, batchOf(values)).then((offset) => ({ partition, offset, values }))
      })
      for (const { partition, offset, values } of await Promise.all(sends)) expected[partition]![offset / 10] = values.join(',')
    }
    const flat = expected.map((p) => p.flatMap((v) => v.split(',')))
    expect(flat[0]!.length + flat[1]!.length).toBe(3000)
    for (const id of [1, 2, 3]) {
      const records = await readCount(c, id, 'bounded', 3000)
      expectExactly(records, 0, flat[0]!)
      expectExactly(records, 1, flat[1]!)
    }
    for (const id of [1, 2, 3]) {
      for (const partition of [0, 1]) {
        const s = replicaOf(c.node(id), 'bounded', partition)!.raft.status()
        expect(s.lastIndex).toBeGreaterThan(150)
        expect(s.snapshotIndex).toBeGreaterThanOrEqual(100)
        expect(s.firstIndex).toBeGreaterThan(50)
        // At most one snapshot interval, the trailing entries and one Ready's worth (15 in flight) stay.
        expect(s.lastIndex - s.firstIndex + 1).toBeLessThanOrEqual(
          partitionSnapshots.snapshotEveryEntries + partitionSnapshots.snapshotTrailingEntries + 15,
        )
      }
    }
  })

  test('a follower down while the leader compacts past it restarts and catches up by snapshot and range fetch: every message once, in order, contiguous', async () => {
    // In-memory nodes keep their Raft state across a restart but lose their partition logs, so the
    // restarted follower must copy the data below its snapshots from the others.
    const c = (cluster = await MemoryCluster.start(3, { partitionSnapshots }))
    await createTopic(c, 'lag', 1)
    const leader = await c.leaderOf('lag', 0)
    const follower = [1, 2, 3].find((id) => id !== leader)!
    const { producerId } = await retried(() => c.node(leader).initProducerId())
    const values: string[] = []
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        values.push(`v${i}`)
        expect(await produce(() => c.node(leader), 'lag', 0, batchOf([`v${i}`], { producerId, baseSequence: i }))).toBe(i)
      }
    }
    await send(0, 80)
    await readCount(c, follower, 'lag', 80)
    const before = replicaOf(c.node(follower), 'lag')!.raft.status()
    await c.crash(follower)
    await send(80, 400)
    const leaderStatus = replicaOf(c.node(leader), 'lag')!.raft.status()
    expect(leaderStatus.firstIndex).toBeGreaterThan(before.lastIndex + 1) // the follower's next entry is gone

    const restarted = await c.restart(follower)
    // A lagging node forwards reads past its end to the leader: wait for its own log before reading.
    await waitUntil(() => (replicaOf(restarted, 'lag')?.log.endOffset() ?? 0) >= 400, 20_000)
    expectExactly(await readCount(c, follower, 'lag', 400), 0, values)
    const after = replicaOf(restarted, 'lag')!.raft.status()
    expect(after.snapshotIndex).toBeGreaterThan(before.lastIndex) // it installed the leader's snapshot

    // The restored follower adopted the producer journal: led by it, a retried batch is a duplicate.
    // Whoever leads hands over (again, should the preferred-leader rebalance have taken it back).
    await waitUntil(() => {
      if (replicaOf(restarted, 'lag')?.isReady()) return true
      for (const node of c.nodes.values()) {
        const r = replicaOf(node, 'lag')
        if (r?.isReady()) r.raft.transferLeadership(follower)
      }
      return false
    }, 10_000)
    expect(await produce(() => c.node(follower), 'lag', 0, batchOf(['v399'], { producerId, baseSequence: 399 }))).toBe(399)
    expect(await produce(() => c.node(follower), 'lag', 0, batchOf(['v400'], { producerId, baseSequence: 400 }))).toBe(400)
    expectExactly(await readCount(c, follower, 'lag', 401), 0, [...values, 'v400'])
  })

  test('a dir-backed node restarted after snapshots keeps its data and applies nothing twice; so does the whole cluster', async () => {
    const dir = (root = await mkdtemp(join(tmpdir(), 'tributary-partition-snapshot-')))
    const dirOf = (id: number): string => join(dir, `node-${id}`)
    let c = (cluster = await MemoryCluster.start(3, { tickMs: 20, partitionSnapshots }, dirOf))
    await createTopic(c, 'disk', 1)
    const values = Array.from({ length: 150 }, (_, i) => `d${i}`)
    for (const [i, v] of values.entries()) expect(await produce(() => c.node((i % 3) + 1), 'disk', 0, batchOf([v]))).toBe(i)
    await readCount(c, 3, 'disk', 150)

    await c.crash(3)
    const node3 = await c.restart(3)
    const restarted = await waitUntil(() => replicaOf(node3, 'disk'), 10_000)
    expect(restarted.raft.status().firstIndex).toBeGreaterThan(50) // it started from a snapshot, not from entry 1
    expectExactly(await readCount(c, 3, 'disk', 150), 0, values)
    // Reads go through the leader, so node 3's own log may still be applying the last entry.
    await waitUntil(() => restarted.log.endOffset() === 150, 10_000)

    // Losing the partition's files (as unsynced data is lost, only more): the snapshot's data is copied back from the others.
    await c.crash(3)
    await rm(join(dirOf(3), 'data', 'disk-0'), { recursive: true, force: true })
    const node3again = await c.restart(3)
    const refilled = await waitUntil(() => replicaOf(node3again, 'disk'), 10_000)
    // Copied before the replica started (up to the snapshot's end: Raft replays the few entries after it).
    expect(refilled.log.endOffset()).toBeGreaterThan(100)
    expectExactly(await readCount(c, 3, 'disk', 150), 0, values)

    await c.close()
    c = cluster = await MemoryCluster.start(3, { tickMs: 20, partitionSnapshots }, dirOf)
    for (const id of [1, 2, 3]) expectExactly(await readCount(c, id, 'disk', 150), 0, values)
    expect(await produce(() => c.node(1), 'disk', 0, batchOf(['after']))).toBe(150)
    for (const id of [1, 2, 3]) expectExactly(await readCount(c, id, 'disk', 151), 0, [...values, 'after'])
  })

  test("a follower down while the leader's retention moved the log start past its end restarts its log at the leader's start and holds exactly the leader's records", async () => {
    const dir = (root = await mkdtemp(join(tmpdir(), 'tributary-partition-retained-')))
    const c = (cluster = await MemoryCluster.start(3, { tickMs: 20, partitionSnapshots }, (id) => join(dir, `node-${id}`)))
    await createTopic(c, 'retained', 1, { 'segment.bytes': '1024', 'retention.bytes': '4096' })
    const leader = await c.leaderOf('retained', 0)
    const follower = [1, 2, 3].find((id) => id !== leader)!
    for (let i = 0; i < 20; i++) expect(await produce(() => c.node(leader), 'retained', 0, keyedNow(`a${i}`, `early-${i}`))).toBe(i)
    await waitUntil(() => (replicaOf(c.node(follower), 'retained')?.log.endOffset() ?? 0) >= 20, 10_000)
    const before = replicaOf(c.node(follower), 'retained')!.raft.status()
    await c.crash(follower)

    for (let i = 20; i < 320; i++) expect(await produce(() => c.node(leader), 'retained', 0, keyedNow(`b${i}`, `late-${i}`))).toBe(i)
    // Leadership may have moved meanwhile (the preferred-leader rebalance): the cleaner runs on
    // both live nodes, and only the one that leads now decides the cut.
    const bystander = [1, 2, 3].find((id) => id !== leader && id !== follower)!
    for (const id of [leader, bystander]) await c.node(id).runLogCleaner()
    const current = await c.leaderOf('retained', 0)
    const leaderLog = replicaOf(c.node(current), 'retained')!.log
    // Retention deleted [0, start) everywhere, past the follower's end (20), and snapshots dropped the entries it lacks.
    expect(leaderLog.startOffset()).toBeGreaterThan(20)
    expect(replicaOf(c.node(current), 'retained')!.raft.status().firstIndex).toBeGreaterThan(before.lastIndex + 1)
    const other = current === leader ? bystander : leader
    await waitUntil(() => replicaOf(c.node(other), 'retained')!.log.startOffset() === leaderLog.startOffset(), 10_000)

    const restarted = await c.restart(follower)
    const log = await waitUntil(() => {
      const l = replicaOf(restarted, 'retained')?.log
      return l !== undefined && l.endOffset() === leaderLog.endOffset() && l
    }, 20_000)
    expect(log.startOffset()).toBe(leaderLog.startOffset())
    const expected = localRecords(leaderLog)
    expect(expected[0]?.[0]).toBe(leaderLog.startOffset())
    expect(localRecords(log)).toEqual(expected)
    // It keeps up as an ordinary follower afterwards.
    expect(await produce(() => c.node(leader), 'retained', 0, keyedNow('after', 'after'))).toBe(320)
    // `current` may no longer lead (the preferred-leader rebalance): its log, too, may still be applying 320.
    await waitUntil(() => log.endOffset() === 321 && leaderLog.endOffset() === 321, 10_000)
    expect(localRecords(log)).toEqual(localRecords(leaderLog))
  })

  test('a follower down while its peers compacted whole batches away copies the gaps as gaps: the same records at the same offsets as the leader', async () => {
    const c = (cluster = await MemoryCluster.start(3, { partitionSnapshots }))
    await createTopic(c, 'compacted', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.compaction.lag.ms': '0' })
    const leader = await c.leaderOf('compacted', 0)
    const follower = [1, 2, 3].find((id) => id !== leader)!
    const bystander = [1, 2, 3].find((id) => id !== leader && id !== follower)!
    let offset = 0
    const send = async (key: string, value: string): Promise<void> =>
      expect(await produce(() => c.node(leader), 'compacted', 0, keyedNow(key, value))).toBe(offset++)
    // Unique keys (never compacted), then five keys superseded over and over, then unique keys again:
    // the follower's own old records and the records after the leader's last snapshot are the same everywhere.
    for (let i = 0; i < 20; i++) await send(`first-${i}`, `f${i}`)
    await waitUntil(() => (replicaOf(c.node(follower), 'compacted')?.log.endOffset() ?? 0) >= 20, 10_000)
    const before = replicaOf(c.node(follower), 'compacted')!.raft.status()
    await c.crash(follower)
    for (let i = 0; i < 150; i++) await send(`key-${i % 5}`, `k${i}`)
    for (let i = 0; i < 80; i++) await send(`last-${i}`, `l${i}`)
    await waitUntil(() => replicaOf(c.node(bystander), 'compacted')!.log.endOffset() === offset, 10_000)
    for (const id of [leader, bystander]) await c.node(id).runLogCleaner()
    const leaderLog = replicaOf(c.node(leader), 'compacted')!.log
    expect(batchGaps(leaderLog)).toBeGreaterThan(0)
    expect(localRecords(leaderLog).length).toBeLessThan(offset - 100)
    expect(replicaOf(c.node(leader), 'compacted')!.raft.status().firstIndex).toBeGreaterThan(before.lastIndex + 1)

    const restarted = await c.restart(follower)
    const log = await waitUntil(() => {
      const l = replicaOf(restarted, 'compacted')?.log
      return l !== undefined && l.endOffset() === offset && l
    }, 20_000)
    expect(batchGaps(log)).toBeGreaterThan(0)
    expect(localRecords(log)).toEqual(localRecords(leaderLog))
    expect(replicaOf(restarted, 'compacted')!.raft.status().snapshotIndex).toBeGreaterThan(before.lastIndex)
  })
})

describe('partition snapshot pieces', () => {
  const config = partitionLogConfig(resolveTopicConfig({}))
  const openLog = async (name: string): Promise<PartitionLog> => {
    const storage = new MemoryStorage()
    await storage.open()
    return storage.partitionLog({ topic: name, partition: 0 }, config)
  }
  /** A peer's log holding `count` one-record batches v0, v1, … */
  const peerLog = async (count: number): Promise<PartitionLog> => {
    const log = await openLog('peer')
    for (let i = 0; i < count; i++) log.append(batchOf([`v${i}`]))
    return log
  }
  /** A peer's log of `count` batches v0, v1, … whose start retention moved to `start` (small segments, so it can). */
  const trimmedPeerLog = async (count: number, start: number): Promise<PartitionLog> => {
    const storage = new MemoryStorage()
    await storage.open()
    const log = storage.partitionLog({ topic: 'peer', partition: 0 }, { ...config, segmentBytes: 300 })
    for (let i = 0; i < count; i++) {
      if (i === start) log.roll()
      log.append(batchOf([`v${i}`]))
    }
    expect(log.deleteBefore(start)).toBe(start)
    return log
  }
  /** A peer's log of 40 keyed one-record batches compacted so that offsets 5–9 and 20–29 hold nothing. */
  const compactedPeerLog = async (): Promise<PartitionLog> => {
    const log = await openLog('peer')
    for (let i = 0; i < 40; i++) log.append(batchOf([`v${i}`]))
    log.roll()
    log.compact((r) => !((r.offset >= 5 && r.offset < 10) || (r.offset >= 20 && r.offset < 30)))
    return log
  }
  /** servedBy answers range fetches as a node serves them from its log: OFFSET_OUT_OF_RANGE with its log start below it. */
  const servedBy =
    (logs: Map<number, PartitionLog>): FetchRange =>
    async (id, _t, _p, from) => {
      const log = logs.get(id)
      if (log === undefined) throw new TributaryError('LEADER_NOT_AVAILABLE', `node ${id} cannot be reached`)
      if (from < log.startOffset())
        throw new TributaryError('OFFSET_OUT_OF_RANGE', `below ${log.startOffset()}`, { details: { logStartOffset: log.startOffset() } })
      return from < log.endOffset() ? log.read(from, 64) : []
    }
  const valuesOf = (log: PartitionLog): Array<[number, string | undefined]> =>
    log
      .read(log.startOffset(), 1 << 20)
      .flatMap((b) =>
        [...iterateBatches([b])].flatMap((batch) =>
          [...batch.records()].map((r): [number, string | undefined] => [r.offset, r.value?.toString()]),
        ),
      )
  const fromLog =
    (log: PartitionLog): FetchRange =>
    async (_id, _t, _p, from) =>
      log.read(from, 64)
  const fill = (
    log: PartitionLog,
    target: number,
    sources: number[],
    fetchRange: FetchRange,
    signal = new AbortController().signal,
  ): Promise<void> => fillLog({ log, target, sources, fetchRange, clock: systemClock, signal, groupId: 'p/test/0' })

  test('a snapshot round-trips, and data that is not one is a KAFKA_STORAGE_ERROR', () => {
    const snap = {
      endOffset: 10,
      startOffset: 3,
      journal: [{ batch: { producerId: 7, producerEpoch: 0, baseSequence: 4, lastOffsetDelta: 0 }, baseOffset: 9, logAppendTime: -1 }],
    }
    expect(decodePartitionSnapshot(encodePartitionSnapshot(snap), 'g')).toEqual(snap)
    expect(() => decodePartitionSnapshot(Buffer.from('{"v":1,"endOffset":1,"startOffset":2,"journal":[]}'), 'g')).toThrow(
      expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }),
    )
    expect(() => decodePartitionSnapshot(Buffer.from('not json'), 'g')).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }))
  })

  test('options default to 10,000 entries or 16 MiB and reject unknown or non-positive values with their path', () => {
    expect(resolvePartitionSnapshotOptions({ snapshotEveryEntries: 50 })).toEqual({
      ...defaultPartitionSnapshotOptions,
      snapshotEveryEntries: 50,
    })
    expect(defaultPartitionSnapshotOptions).toMatchObject({ snapshotEveryEntries: 10_000, snapshotEveryBytes: 16 * 1024 * 1024 })
    expect(() => resolvePartitionSnapshotOptions({ snapshotEveryMs: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', details: { path: 'options.partitionSnapshots.snapshotEveryMs' } }),
    )
    expect(() => resolvePartitionSnapshotOptions({ snapshotTrailingBytes: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', details: { path: 'options.partitionSnapshots.snapshotTrailingBytes' } }),
    )
  })

  test('fillLog copies exactly [end, target) from the first source that can serve it, skipping unreachable ones', async () => {
    const peer = await peerLog(30)
    const log = await openLog('local')
    for (let i = 0; i < 5; i++) log.append(batchOf([`v${i}`]))
    const asked: number[] = []
    const fetchRange: FetchRange = async (id, t, p, from, to) => {
      asked.push(id)
      if (id === 2) throw new TributaryError('LEADER_NOT_AVAILABLE', 'node 2 cannot be reached')
      return fromLog(peer)(id, t, p, from, to)
    }
    await fill(log, 20, [2, 3], fetchRange)
    expect(log.endOffset()).toBe(20)
    expect(asked.slice(0, 2)).toEqual([2, 3])
    const values = log
      .read(0, 1 << 20)
      .flatMap((b) => [...iterateBatches([b])].flatMap((batch) => [...batch.records()].map((r) => [r.offset, r.value?.toString()])))
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => [i, `v${i}`]))
  })

  test('fillLog fails for good when no other replica exists', async () => {
    const log = await openLog('local')
    log.append(batchOf(['v0']))
    const never: FetchRange = async () => {
      throw new Error('no source to ask')
    }
    await expect(fill(log, 150, [], never)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', retriable: false })
    await expect(fill(log, 1, [], never)).resolves.toBeUndefined()
  })

  test("when every source deleted the log's end, fillLog restarts the log empty at the smallest source start and copies on from there", async () => {
    const log = await openLog('local')
    for (let i = 0; i < 5; i++) log.append(batchOf([`old${i}`]))
    const sources = new Map([
      [2, await trimmedPeerLog(60, 30)],
      [3, await trimmedPeerLog(60, 20)],
    ])
    await fill(log, 50, [2, 3], servedBy(sources))
    expect([log.startOffset(), log.endOffset()]).toEqual([20, 50])
    expect(valuesOf(log)).toEqual(Array.from({ length: 30 }, (_, i) => [20 + i, `v${20 + i}`]))
    expect(log.append(batchOf(['next'])).baseOffset).toBe(50)
  })

  test('fillLog restarts the log only when every source deleted its end: a source that still holds the range is copied from', async () => {
    const log = await openLog('local')
    for (let i = 0; i < 5; i++) log.append(batchOf([`v${i}`]))
    const sources = new Map([
      [2, await trimmedPeerLog(60, 30)],
      [3, await peerLog(60)],
    ])
    await fill(log, 40, [2, 3], servedBy(sources))
    expect([log.startOffset(), log.endOffset()]).toEqual([0, 40])
    expect(valuesOf(log)).toEqual(Array.from({ length: 40 }, (_, i) => [i, `v${i}`]))
  })

  test('fillLog keeps the gaps a compacted source has, and passes the target when the source has nothing below it', async () => {
    const peer = await compactedPeerLog()
    const log = await openLog('local')
    // The peer compacted away offsets 20–29, the batches right below the target: the first batch
    // after them (30) is copied too, and the Raft entries replayed after the snapshot skip it.
    await fill(log, 25, [2], servedBy(new Map([[2, peer]])))
    expect(log.endOffset()).toBe(31)
    expect(valuesOf(log)).toEqual(valuesOf(peer).filter(([offset]) => offset <= 30))
  })

  test('fillLog retries while no source has the data, and gives up with CLIENT_CLOSED once aborted', async () => {
    const log = await openLog('local')
    const abort = new AbortController()
    let calls = 0
    const nothingYet: FetchRange = async () => {
      if (++calls === 3) abort.abort()
      return []
    }
    await expect(fill(log, 10, [2], nothingYet, abort.signal)).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
    expect(calls).toBe(3)
  })

  test('appendUpTo copies batches with the offsets they carry, gaps included, and skips what the log holds', async () => {
    const peer = await compactedPeerLog()
    const log = await openLog('local')
    const batches = peer.read(0, 1 << 20)
    expect(appendUpTo(log, batches, peer.endOffset(), 'g')).toBe(batches.length)
    expect([log.endOffset(), valuesOf(log)]).toEqual([peer.endOffset(), valuesOf(peer)])
    expect(appendUpTo(log, batches, peer.endOffset(), 'g')).toBe(0)
  })

  test('appendUpTo refuses a batch that straddles the log end or the target: the logs disagree', async () => {
    const at = (base: number, values: string[]): Buffer => {
      const b = batchOf(values)
      writeBaseOffset(b, base)
      return b
    }
    const log = await openLog('local')
    log.appendCopy(at(0, ['a', 'b', 'c']))
    expect(() => appendUpTo(log, [at(2, ['x', 'y'])], 10, 'g')).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }))
    expect(() => appendUpTo(log, [at(8, ['x', 'y', 'z'])], 10, 'g')).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }))
    expect(log.endOffset()).toBe(3)
  })
})

describe('peerFetchRange', () => {
  test('reads batches through the peer channel; a peer shutting down is unavailable, and only our own shutdown is CLIENT_CLOSED', async () => {
    const net = new MemoryPeerNetwork()
    const batches = [batchOf(['a']), batchOf(['b'])]
    let closing = false
    net.channel(2).serve(async () => {
      if (closing) throw new TributaryError('CLIENT_CLOSED', 'node 2 is closed')
      return [{ topic: 't', partition: 0, highWatermark: 2, logStartOffset: 0, batches }]
    })
    let closed = false
    const fetchRange = peerFetchRange(net.channel(1), () => closed)
    expect(await fetchRange(2, 't', 0, 0, 2)).toEqual(batches)
    expect(await fetchRange(2, 't', 0, 2, 5)).toEqual([])
    closing = true
    await expect(fetchRange(2, 't', 0, 0, 2)).rejects.toMatchObject({ code: 'LEADER_NOT_AVAILABLE' })
    closed = true
    await expect(fetchRange(2, 't', 0, 0, 2)).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
  })
})
