import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises'
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
import { partitionLogConfig } from '@tributary/core/internal'
import { eventually, waitUntil } from '@tributary/core/testing'
import type { ClusterNode } from '../node/cluster-node'
import { MemoryCluster } from '../testing/memory-cluster'
import type { PartitionReplica } from './partition-replica'
import { fillLog, type FetchRange } from './partition-snapshot'

/**
 * The log start offset in a cluster: DeleteRecords is replicated as a log-start move through the
 * partition's Raft group, so every replica keeps the same start, exactly the asked offset (inside a
 * batch too), across restarts and snapshot restores.
 */

jest.setTimeout(60_000)

const partitionSnapshots = { snapshotEveryEntries: 50, snapshotTrailingEntries: 10 }

/** batchOf is one batch of records with the given values (key 'k'). */
const batchOf = (values: string[]): Buffer =>
  encodeRecordBatch(values.map((v) => ({ key: Buffer.from('k'), value: Buffer.from(v), timestamp: 1, headers: [] })) as never)

/** replicaOf reaches a node's replica of a partition, to inspect its local log. */
const replicaOf = (node: ClusterNode, topic: string): PartitionReplica | undefined =>
  (node as unknown as { replicas: Map<string, PartitionReplica> }).replicas.get(`${topic}/0`)

/** retried runs a raw Broker call until it stops failing with a retriable error. */
const retried = <T>(f: () => Promise<T | undefined>): Promise<T> =>
  eventually(async () => {
    try {
      return await f()
    } catch (error) {
      if (error instanceof TributaryError && error.retriable) return undefined
      throw error
    }
  }, 10_000)

async function createTopic(c: MemoryCluster, topic: string): Promise<void> {
  await waitUntil(() => c.node(1).status().metaLeader !== 0, 10_000)
  await retried(async () => {
    const [r] = await c.node(1).createTopics([{ topic, numPartitions: 1, replicationFactor: 3 }])
    if (r?.error && r.error.code !== 'TOPIC_ALREADY_EXISTS') throw r.error
    return true
  })
}

function produce(node: ClusterNode, topic: string, values: string[]): Promise<number> {
  return retried<number>(async () => {
    const [r] = await node.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic, partition: 0, batch: batchOf(values) }] })
    if (r?.error) throw r.error
    return r?.baseOffset
  })
}

function deleteRecords(node: ClusterNode, topic: string, offset: number): Promise<number> {
  return retried<number>(async () => {
    const [r] = await node.deleteRecords([{ topic, partition: 0, offset }])
    if (r?.error) throw r.error
    return r?.lowWatermark
  })
}

/** localRecords reads a replica's own log from its start: [offset, value] of each record at or after it. */
function localRecords(log: PartitionLog): Array<[number, string]> {
  const out: Array<[number, string]> = []
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    const batches = log.read(next, 1 << 20)
    if (batches.length === 0) break
    for (const batch of iterateBatches(batches)) {
      for (const r of batch.records()) if (r.offset >= next) out.push([r.offset, r.value?.toString() ?? ''])
      next = batch.lastOffset + 1
    }
  }
  return out
}

describe('the log start offset across replicas', () => {
  let cluster: MemoryCluster | undefined
  let root: string | undefined
  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
    if (root !== undefined) await rm(root, { recursive: true, force: true })
    root = undefined
  })

  test('deleteRecords inside a batch gives every replica exactly that log start, kept across a restart of the whole cluster', async () => {
    const dir = (root = await mkdtemp(join(tmpdir(), 'tributary-log-start-')))
    const dirOf = (id: number): string => join(dir, `node-${id}`)
    let c = (cluster = await MemoryCluster.start(3, { tickMs: 20 }, dirOf))
    await createTopic(c, 'cut')
    for (let b = 0; b < 4; b++)
      await produce(
        c.node(1),
        'cut',
        Array.from({ length: 5 }, (_, i) => `v${b * 5 + i}`),
      )
    expect(await deleteRecords(c.node(2), 'cut', 7)).toBe(7)
    const starts = (): Array<number | undefined> => [1, 2, 3].map((id) => replicaOf(c.node(id), 'cut')?.log.startOffset())
    await waitUntil(() => starts().every((s) => s === 7), 10_000)
    const expected = Array.from({ length: 13 }, (_, i): [number, string] => [7 + i, `v${7 + i}`])
    for (const id of [1, 2, 3]) expect(localRecords(replicaOf(c.node(id), 'cut')!.log)).toEqual(expected)
    // A lower offset changes nothing; -1 moves the start to the high watermark, on every replica.
    expect(await deleteRecords(c.node(3), 'cut', 2)).toBe(7)

    await c.close()
    c = cluster = await MemoryCluster.start(3, { tickMs: 20 }, dirOf)
    await waitUntil(() => starts().every((s) => s === 7), 10_000)
    expect(await deleteRecords(c.node(1), 'cut', -1)).toBe(20)
    await waitUntil(() => starts().every((s) => s === 20), 10_000)
    expect(await produce(c.node(1), 'cut', ['after'])).toBe(20)
  })

  test('a replica whose batches up to a log start inside a batch were lost in a crash gets them back from its Raft log, with the same start', async () => {
    const dir = (root = await mkdtemp(join(tmpdir(), 'tributary-log-start-lost-')))
    const dirOf = (id: number): string => join(dir, `node-${id}`)
    const c = (cluster = await MemoryCluster.start(3, { tickMs: 20 }, dirOf))
    await createTopic(c, 'lost')
    await produce(
      c.node(1),
      'lost',
      Array.from({ length: 10 }, (_, i) => `v${i}`),
    )
    expect(await deleteRecords(c.node(1), 'lost', 4)).toBe(4)
    const victim = 3
    await waitUntil(() => replicaOf(c.node(victim), 'lost')?.log.startOffset() === 4, 10_000)
    await c.crash(victim)
    // The partition's batches were never synced (no snapshot yet): a power loss takes them, the durable checkpoint stays.
    const partitionDir = join(dirOf(victim), 'data', 'lost-0')
    for (const name of await readdir(partitionDir)) if (name.endsWith('.log')) await truncate(join(partitionDir, name), 0)
    const node = await c.restart(victim)
    const log = await waitUntil(() => {
      const l = replicaOf(node, 'lost')?.log
      return l !== undefined && l.endOffset() === 10 && l
    }, 20_000)
    expect(log.startOffset()).toBe(4)
    expect(localRecords(log)).toEqual(Array.from({ length: 6 }, (_, i): [number, string] => [4 + i, `v${4 + i}`]))
    expect(await produce(c.node(1), 'lost', ['after'])).toBe(10)
    await waitUntil(() => log.endOffset() === 11, 10_000)
  })

  test('a follower down while DeleteRecords moved the start inside a batch past its end restarts with exactly the leader start and records', async () => {
    const c = (cluster = await MemoryCluster.start(3, { partitionSnapshots }))
    await createTopic(c, 'behind')
    const leader = await c.leaderOf('behind', 0)
    const follower = [1, 2, 3].find((id) => id !== leader)!
    await produce(c.node(leader), 'behind', ['a0', 'a1'])
    await waitUntil(() => (replicaOf(c.node(follower), 'behind')?.log.endOffset() ?? 0) >= 2, 10_000)
    await c.crash(follower)
    // 120 batches of 3 records: enough Raft entries for snapshots to drop the ones the follower lacks.
    for (let b = 0; b < 120; b++) await produce(c.node(leader), 'behind', [`b${b}-0`, `b${b}-1`, `b${b}-2`])
    const cut = 2 + 3 * 100 + 1
    expect(await deleteRecords(c.node(leader), 'behind', cut)).toBe(cut)
    for (let b = 0; b < 60; b++) await produce(c.node(leader), 'behind', [`c${b}`])
    const current = await c.leaderOf('behind', 0)
    const leaderLog = replicaOf(c.node(current), 'behind')!.log
    expect(leaderLog.startOffset()).toBe(cut)

    const restarted = await c.restart(follower)
    const log = await waitUntil(() => {
      const l = replicaOf(restarted, 'behind')?.log
      return l !== undefined && l.endOffset() === leaderLog.endOffset() && l
    }, 20_000)
    expect(log.startOffset()).toBe(cut)
    expect(localRecords(log)).toEqual(localRecords(leaderLog))
    expect(localRecords(log)[0]).toEqual([cut, 'b100-1'])
  })
})

describe('fillLog and a log start inside a batch', () => {
  const config = partitionLogConfig(resolveTopicConfig({}))
  const openLog = async (): Promise<PartitionLog> => {
    const storage = new MemoryStorage()
    await storage.open()
    return storage.partitionLog({ topic: 'local', partition: 0 }, config)
  }

  test('a log restarted at a source start that lies inside a batch copies that batch whole and keeps the start', async () => {
    const source = await openLog()
    for (let b = 0; b < 10; b++) source.append(batchOf([`v${b * 4}`, `v${b * 4 + 1}`, `v${b * 4 + 2}`, `v${b * 4 + 3}`]))
    source.deleteBefore(13)
    const fetchRange: FetchRange = async (_id, _t, _p, from) => {
      if (from < source.startOffset())
        throw new TributaryError('OFFSET_OUT_OF_RANGE', 'deleted', { details: { logStartOffset: source.startOffset() } })
      return source.read(from, 64)
    }
    const log = await openLog()
    log.append(batchOf(['old']))
    await fillLog({ log, target: 40, sources: [2], fetchRange, clock: systemClock, signal: new AbortController().signal, groupId: 'g' })
    expect([log.startOffset(), log.endOffset()]).toEqual([13, 40])
    expect(localRecords(log)).toEqual(localRecords(source))
    expect(localRecords(log)[0]).toEqual([13, 'v13'])
    expect(log.append(batchOf(['next'])).baseOffset).toBe(40)
  })
})
