import { createServer } from 'node:net'
import { waitUntil } from '@tributary/core/testing'
import { ClusterNode } from '../node/cluster-node'
import type { ClusterNodeOptions } from '../options'

/**
 * freePortPair finds a localhost port p with p and p + 1 both free: a node serves clients and
 * peers on p and its Raft transport on p + 1. (Another process may take either before it is
 * used; tests on one machine accept that small race.)
 */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await listenOnce(0)
    if ((await listenOnce(port + 1).catch(() => 0)) !== 0) return port
  }
}

/** listenOnce listens on `port` (0: any) on 127.0.0.1, closes again, and resolves with the port it got. */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const got = (server.address() as { port: number }).port
      server.close(() => resolve(got))
    })
  })
}

/**
 * startTcpCluster starts `size` ClusterNodes in this process on localhost TCP (Raft transport,
 * peer channel and client protocol all over sockets) and waits for a metadata leader.
 */
export async function startTcpCluster(
  size: number,
  extra: Partial<ClusterNodeOptions> = {},
): Promise<{ nodes: ClusterNode[]; addresses: string[] }> {
  const ids = Array.from({ length: size }, (_, i) => i + 1)
  const ports: number[] = []
  for (const _ of ids) ports.push(await freePortPair())
  const address = (id: number): string => `127.0.0.1:${ports[id - 1]}`
  const nodes = await Promise.all(
    ids.map((id) =>
      ClusterNode.start({
        nodeId: id,
        listen: address(id),
        peers: Object.fromEntries(ids.filter((p) => p !== id).map((p) => [p, address(p)])),
        tickMs: 20,
        ...extra,
      }),
    ),
  )
  await waitUntil(() => nodes[0]?.status().metaLeader !== 0)
  return { nodes, addresses: ids.map(address) }
}
