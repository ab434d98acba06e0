import { readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryCluster } from '@tributary/cluster/testing'
import { MemoryStorage, TributaryError, type LogFields, type Logger, type PartitionLog, encodeRecordBatch } from '@tributary/core'
import { waitUntil } from '@tributary/core/testing'

/*
 * File handles on a cluster node are bounded as on a single node: partition segments through
 * FileStorage's LRU and Raft logs through a HandleCache, one budget (`maxOpenFiles`) for both. A
 * replica that cannot start because the process ran out of descriptors (EMFILE) is a typed,
 * logged error that reaches whoever asks for that partition, not a silent LEADER_NOT_AVAILABLE.
 */

const openFds = (): number => readdirSync('/proc/self/fd').length
const batch = (value: string): Buffer =>
  encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from(value), timestamp: 1, headers: [] }] as never)

test('a node with 200 partitions on disk holds no more descriptors than maxOpenFiles', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tributary-fds-'))
  const before = openFds()
  const cluster = await MemoryCluster.start(1, { maxOpenFiles: 64 }, (id) => join(root, `n${id}`))
  try {
    const node = cluster.node(1)
    await waitUntil(() => node.status().metaLeader === 1, 10_000)
    await node.createTopics([{ topic: 'many', numPartitions: 200, replicationFactor: 1 }])
    await waitUntil(() => node.status().leaderOf.length === 200, 30_000)
    for (let p = 0; p < 200; p++) {
      const [r] = await node.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 'many', partition: p, batch: batch(`v${p}`) }] })
      expect(r?.error).toBeUndefined()
    }
    // Without the caches this is one descriptor per partition log and one per Raft log: 400+.
    expect(openFds() - before).toBeLessThanOrEqual(64 + 16)
  } finally {
    await cluster.close()
    await rm(root, { recursive: true, force: true })
  }
}, 120_000)

/** EmfileStorage is a MemoryStorage whose new partitions fail as an exhausted descriptor table makes them fail. */
class EmfileStorage extends MemoryStorage {
  failing = true
  override partitionLog(tp: { topic: string; partition: number }, config: Parameters<MemoryStorage['partitionLog']>[1]): PartitionLog {
    if (this.failing && tp.topic === 'starved') {
      const cause = Object.assign(new Error('EMFILE: too many open files, open'), { code: 'EMFILE', errno: -24 })
      throw new TributaryError('KAFKA_STORAGE_ERROR', `open ${tp.topic}-${tp.partition}: ${cause.message}`, { cause })
    }
    return super.partitionLog(tp, config)
  }
}

test('EMFILE while starting a replica is logged and answered to a producer as KAFKA_STORAGE_ERROR; the replica starts once descriptors are back', async () => {
  const lines: Array<{ message: string; fields?: LogFields }> = []
  const logger: Logger = {
    error: (message, fields) => lines.push({ message, fields }),
    warn: () => {},
    info: () => {},
    debug: () => {},
  }
  const storage = new EmfileStorage()
  const cluster = await MemoryCluster.start(1, { storage, logger })
  try {
    const node = cluster.node(1)
    await waitUntil(() => node.status().metaLeader === 1, 10_000)
    await node.createTopics([{ topic: 'starved', numPartitions: 1, replicationFactor: 1 }])
    const [r] = await node.produce({ acks: -1, timeoutMs: 1000, partitions: [{ topic: 'starved', partition: 0, batch: batch('x') }] })
    expect(r?.error?.code).toBe('KAFKA_STORAGE_ERROR')
    expect(r?.error?.message).toContain('EMFILE')
    expect(lines.some((l) => l.message.includes('could not start') && l.fields?.cause === 'EMFILE')).toBe(true)
    storage.failing = false
    await waitUntil(() => node.status().leaderOf.length === 1, 10_000)
    const [ok] = await node.produce({ acks: -1, timeoutMs: 1000, partitions: [{ topic: 'starved', partition: 0, batch: batch('y') }] })
    expect(ok?.error).toBeUndefined()
  } finally {
    await cluster.close()
  }
}, 60_000)
