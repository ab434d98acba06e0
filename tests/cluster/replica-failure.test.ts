import { TributaryError } from '@tributary/core'
import { Tributary } from '@tributary/client'
import { MemoryRaftStorage } from '@tributary/raft'
import { MemoryCluster } from '@tributary/cluster/testing'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'

jest.setTimeout(30_000)

/** A Raft storage whose next persist fails once `failNext` is set: a disk error on one node. */
class FlakyStorage extends MemoryRaftStorage {
  failNext = false
  override async persist(update: Parameters<MemoryRaftStorage['persist']>[0]): Promise<void> {
    if (this.failNext) {
      this.failNext = false
      throw new TributaryError('KAFKA_STORAGE_ERROR', 'injected: the disk went away')
    }
    return super.persist(update)
  }
}

test('a partition group that stops on a storage error is restarted and catches up; the node reports the error', async () => {
  const stores = new Map<string, FlakyStorage>()
  const storeOf = (node: number, group: string): FlakyStorage => {
    const k = `${node}:${group}`
    if (!stores.has(k)) stores.set(k, new FlakyStorage())
    return stores.get(k) as FlakyStorage
  }
  let current = 0
  const cluster = await MemoryCluster.start(3, {
    // Each node's options are built in turn: capture the node id for its storages.
    get raftStorage() {
      const node = ++current
      return (group: string) => storeOf(node, group)
    },
  } as never)
  try {
    await waitUntil(() => cluster.node(1).status().metaLeader !== 0)
    await cluster.node(1).createTopics([{ topic: 't', numPartitions: 1, replicationFactor: 3 }])
    const leader = await cluster.leaderOf('t', 0)
    const victim = [1, 2, 3].find((id) => id !== leader) as number
    const group = [...stores.keys()].find((k) => k.startsWith(`${victim}:p/`)) as string
    stores.get(group)!.failNext = true
    const tb = await Tributary.open({ broker: cluster.node(leader) })
    const producer = tb.producer({ acks: 'all' })
    for (let i = 0; i < 50; i++) await producer.send({ topic: 't', messages: [{ value: `v${i}` }] })
    await waitUntil(() => cluster.node(victim).status().lastReplicaError !== undefined)
    expect(cluster.node(victim).status().lastReplicaError?.error.code).toBe('KAFKA_STORAGE_ERROR')
    // Restarted from its storage, the replica catches up with everything.
    const read = await eventually(async () => {
      const r = await readAll(cluster.node(victim), 't').catch(() => [])
      return r.length === 50 ? r : undefined
    }, 10_000)
    expect(read.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`))
    await tb.close()
  } finally {
    await cluster.close()
  }
})
