import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStorage, TributaryError, encodeRecordBatch, iterateBatches, partitionLogConfig, resolveTopicConfig, systemClock, type PartitionLog } from '@tributary/core'
import type { ClusterNode } from './cluster-node'
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
import { MemoryPeerNetwork } from './peer-channel'
import { MemoryCluster, eventually, readAll, waitUntil, type ReadRecord } from './test-kit'

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

async function createTopic(c: MemoryCluster, topic: string, numPartitions: number): Promise<void> {
  await waitUntil(() => c.node(1).status().metaLeader !== 0, 10_000)
  await retried(async () => {
    const [r] = await c.node(1).createTopics([{ topic, numPartitions, replicationFactor: 3 }])
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
        expect(s.lastIndex - s.firstIndex + 1).toBeLessThanOrEqual(partitionSnapshots.snapshotEveryEntries + partitionSnapshots.snapshotTrailingEntries + 15)
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
    expect(restarted.log.endOffset()).toBe(150)

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
  const fromLog = (log: PartitionLog): FetchRange => async (_id, _t, _p, from) => log.read(from, 64)
  const fill = (log: PartitionLog, target: number, sources: number[], fetchRange: FetchRange, signal = new AbortController().signal): Promise<void> =>
    fillLog({ log, target, sources, fetchRange, clock: systemClock, signal, groupId: 'p/test/0' })

  test('a snapshot round-trips, and data that is not one is a KAFKA_STORAGE_ERROR', () => {
    const snap = { endOffset: 10, startOffset: 3, journal: [{ batch: { producerId: 7, producerEpoch: 0, baseSequence: 4, lastOffsetDelta: 0 }, baseOffset: 9, logAppendTime: -1 }] }
    expect(decodePartitionSnapshot(encodePartitionSnapshot(snap), 'g')).toEqual(snap)
    expect(() => decodePartitionSnapshot(Buffer.from('{"v":1,"endOffset":1,"startOffset":2,"journal":[]}'), 'g')).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }))
    expect(() => decodePartitionSnapshot(Buffer.from('not json'), 'g')).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }))
  })

  test('options default to 10,000 entries or 16 MiB and reject unknown or non-positive values with their path', () => {
    expect(resolvePartitionSnapshotOptions({ snapshotEveryEntries: 50 })).toEqual({ ...defaultPartitionSnapshotOptions, snapshotEveryEntries: 50 })
    expect(defaultPartitionSnapshotOptions).toMatchObject({ snapshotEveryEntries: 10_000, snapshotEveryBytes: 16 * 1024 * 1024 })
    expect(() => resolvePartitionSnapshotOptions({ snapshotEveryMs: 5 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', details: { path: 'options.partitionSnapshots.snapshotEveryMs' } }))
    expect(() => resolvePartitionSnapshotOptions({ snapshotTrailingBytes: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', details: { path: 'options.partitionSnapshots.snapshotTrailingBytes' } }))
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
    const values = log.read(0, 1 << 20).flatMap((b) => [...iterateBatches([b])].flatMap((batch) => [...batch.records()].map((r) => [r.offset, r.value?.toString()])))
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => [i, `v${i}`]))
  })

  test('fillLog fails for good when the range was deleted on every source or no other replica exists', async () => {
    const log = await openLog('local')
    const deleted: FetchRange = async () => {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', 'below the log start', { details: { logStartOffset: 100 } })
    }
    await expect(fill(log, 150, [2, 3], deleted)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', retriable: false })
    await expect(fill(log, 150, [], deleted)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', retriable: false })
    await expect(fill(log, 0, [], deleted)).resolves.toBeUndefined()
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

  test('appendUpTo refuses batches that would leave a gap in the offsets', async () => {
    const peer = await peerLog(10)
    const log = await openLog('local')
    expect(() => appendUpTo(log, peer.read(5, 1 << 20), 10, 'g')).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }))
    expect(appendUpTo(log, peer.read(0, 1 << 20), 10, 'g')).toBe(10)
    expect(appendUpTo(log, peer.read(0, 1 << 20), 10, 'g')).toBe(0)
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
