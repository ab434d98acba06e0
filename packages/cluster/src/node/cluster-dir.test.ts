import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TributaryError, encodeRecordBatch } from '@tributary/core'
import { ClusterNode } from './cluster-node'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'
import { MemoryCluster } from '../testing/memory-cluster'

jest.setTimeout(30_000)

const batch = (value: string): Buffer =>
  encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from(value), timestamp: 1, headers: [] }] as never)

describe('ClusterNode.start({ dir })', () => {
  let root: string
  let cluster: MemoryCluster | undefined
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tributary-cluster-dir-'))
  })
  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
    await rm(root, { recursive: true, force: true })
  })

  // fsyncs slow the first elections down, so leadership may still move early on: raw Broker
  // calls (which, unlike the client, do not retry) are retried here on retriable errors.
  const retried = <T>(f: () => Promise<T>): Promise<T> =>
    eventually(async () => {
      try {
        return await f()
      } catch (error) {
        if (error instanceof TributaryError && error.retriable) return undefined
        throw error
      }
    })
  const createTopic = (c: MemoryCluster, topic: string): Promise<boolean> =>
    retried(async () => {
      const [r] = await c.node(1).createTopics([{ topic, numPartitions: 1, replicationFactor: 3 }])
      if (r?.error && r.error.code !== 'TOPIC_ALREADY_EXISTS') throw r.error
      return true
    })
  const produceAll = async (c: MemoryCluster, topic: string, values: string[]): Promise<void> => {
    for (const [i, value] of values.entries()) {
      await retried(async () => {
        const [res] = await c
          .node((i % 3) + 1)
          .produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic, partition: 0, batch: batch(value) }] })
        if (res?.error) throw res.error
        return res
      })
    }
  }
  const readValues = (c: MemoryCluster, id: number, topic: string, count: number): Promise<Array<string | null>> =>
    // A restarted node knows the topic once it has re-applied the metadata log, so errors retry.
    eventually(async () => {
      const read = await readAll(c.node(id), topic).catch(() => [])
      return read.length === count ? read.map((r) => r.value) : undefined
    })

  test('a three-node cluster on file storage produces with acks=all and reads back from every node', async () => {
    cluster = await MemoryCluster.start(3, { tickMs: 20 }, (id) => join(root, `node-${id}`))
    await waitUntil(() => cluster?.node(1).status().metaLeader !== 0)
    await createTopic(cluster, 'disk')
    const values = Array.from({ length: 10 }, (_, i) => `v${i}`)
    await produceAll(cluster, 'disk', values)
    for (const id of [1, 2, 3]) expect(await readValues(cluster, id, 'disk', 10)).toEqual(values)
  })

  test('a node restarted from its dir keeps its data, and the whole cluster restarted keeps topics and records', async () => {
    cluster = await MemoryCluster.start(3, { tickMs: 20 }, (id) => join(root, `node-${id}`))
    await waitUntil(() => cluster?.node(1).status().metaLeader !== 0)
    await createTopic(cluster, 'kept')
    const values = Array.from({ length: 10 }, (_, i) => `v${i}`)
    await produceAll(cluster, 'kept', values)
    await readValues(cluster, 3, 'kept', 10)

    await cluster.crash(3)
    await cluster.restart(3)
    expect(await readValues(cluster, 3, 'kept', 10)).toEqual(values)

    // Every node down, then all up again from their directories: nothing lives in memory.
    await cluster.close()
    cluster = await MemoryCluster.start(3, { tickMs: 20 }, (id) => join(root, `node-${id}`))
    await waitUntil(() => cluster?.node(1).status().metaLeader !== 0)
    for (const id of [1, 2, 3]) expect(await readValues(cluster, id, 'kept', 10)).toEqual(values)
    await produceAll(cluster, 'kept', ['after'])
    expect(await readValues(cluster, 2, 'kept', 11)).toEqual([...values, 'after'])
  })

  test('dir cannot be combined with storage or raftStorage', async () => {
    await expect(
      ClusterNode.start({ nodeId: 1, listen: '127.0.0.1:0', peers: {}, dir: root, raftStorage: () => undefined as never }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
    await expect(ClusterNode.start({ nodeId: 1, listen: '127.0.0.1:0', peers: {}, dir: '' })).rejects.toBeInstanceOf(TributaryError)
  })
})
