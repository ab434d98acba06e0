import { createServer } from 'node:net'
import { encodeRecordBatch } from '@tributary/core'
import { ClusterNode } from './cluster-node'
import { eventually, readAll, waitUntil } from './test-kit'

jest.setTimeout(30_000)

/** freePort finds a port p with p and p + 1 free (a node listens on p, its Raft transport on p + 1). */
async function freePort(): Promise<number> {
  for (;;) {
    const s = createServer()
    const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)))
    await new Promise((r) => s.close(r))
    const probe = createServer()
    const ok = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false))
      probe.listen(port + 1, '127.0.0.1', () => resolve(true))
    })
    if (ok) await new Promise((r) => probe.close(r))
    if (ok) return port
  }
}

test('three nodes on localhost TCP: a produce forwarded over the peer channel is read back from a third node', async () => {
  const ports = [await freePort(), await freePort(), await freePort()]
  const address = (id: number): string => `127.0.0.1:${ports[id - 1]}`
  const nodes = await Promise.all(
    [1, 2, 3].map((id) => ClusterNode.start({ nodeId: id, listen: address(id), peers: Object.fromEntries([1, 2, 3].filter((p) => p !== id).map((p) => [p, address(p)])), tickMs: 20 })),
  )
  try {
    await waitUntil(() => nodes[0]?.status().metaLeader !== 0)
    await eventually(async () => ((await nodes[1]!.createTopics([{ topic: 'tcp', numPartitions: 1, replicationFactor: 3 }]))[0]?.error ? undefined : true))
    const leader = await waitUntil(() => nodes.find((n) => n.status().leaderOf.includes('tcp/0'))?.nodeId)
    const via = nodes.find((n) => n.nodeId !== leader) as ClusterNode
    const batch = encodeRecordBatch([{ key: null, value: Buffer.from('over tcp'), timestamp: 1, headers: [] }] as never)
    const [r] = await via.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: 'tcp', partition: 0, batch }] })
    expect(r?.error).toBeUndefined()
    expect(r?.baseOffset).toBe(0)
    const reader = nodes.find((n) => n.nodeId !== leader && n !== via) as ClusterNode
    const read = await eventually(async () => {
      const all = await readAll(reader, 'tcp')
      return all.length > 0 ? all : undefined
    })
    expect(read.map((x) => x.value)).toEqual(['over tcp'])
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
