import { createServer, type Server, type Socket } from 'node:net'
import type { ClusterMetadata } from '@tributary/core'
import { FrameReader, encodeFrame, type WireHeader } from '@tributary/core/internal'

/*
 * Test helpers for the remote client: fake nodes that speak the wire protocol on localhost, so
 * that routing and connection handling are tested without a cluster. Imported by the tests of
 * this folder, not copied.
 */

/** FakeNode is a TCP server on an ephemeral localhost port that answers frames as a test says. */
export interface FakeNode {
  server: Server
  address: string
  host: string
  port: number
  sockets: Set<Socket>
  /** Every request received, in order. */
  requests: WireHeader[]
}

/** Answer decides a request's reply: a header, undefined (stay silent), or 'drop' (close the connection). */
export type Answer = (h: WireHeader, socket: Socket) => WireHeader | undefined | 'drop'

/** listen starts a fake node; `answer` decides each request's reply. */
export async function listen(answer: Answer): Promise<FakeNode> {
  const sockets = new Set<Socket>()
  const requests: WireHeader[] = []
  const server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    const reader = new FrameReader()
    s.on('data', (chunk) =>
      reader.push(chunk, (h) => {
        requests.push(h)
        const reply = answer(h, s)
        if (reply === 'drop') s.destroy()
        else if (reply !== undefined) s.write(encodeFrame(reply))
      }),
    )
    s.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  return { server, address: `127.0.0.1:${port}`, host: '127.0.0.1', port, sockets, requests }
}

/** deadAddress is a localhost port with nothing listening. */
export async function deadAddress(): Promise<string> {
  const node = await listen(() => undefined)
  await stop(node)
  return node.address
}

/** stop closes a fake node and every connection to it. */
export async function stop(node: Pick<FakeNode, 'server' | 'sockets'>): Promise<void> {
  for (const s of node.sockets) s.destroy()
  await new Promise((r) => node.server.close(r))
}

/** methodsOf lists the methods of `node`'s requests, in order. */
export function methodsOf(node: FakeNode): string[] {
  return node.requests.map((h) => h.m ?? '')
}

/** argOf is the first argument of a request. */
export function argOf<T>(h: WireHeader): T {
  return (h.a as unknown[])[0] as T
}

/**
 * fakeMetadata builds a metadata answer: `nodes` maps node ids to fake nodes (or addresses), and
 * `leaders` maps each topic to its partitions' leader ids (-1: none).
 */
export function fakeMetadata(
  nodes: Record<number, { host: string; port: number } | string>,
  leaders: Record<string, number[]>,
): ClusterMetadata {
  return {
    clusterId: 'fake',
    controllerId: 1,
    brokers: Object.entries(nodes).map(([id, n]) => {
      const a = typeof n === 'string' ? { host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) } : n
      return { nodeId: Number(id), host: a.host, port: a.port }
    }),
    topics: Object.entries(leaders).map(([name, ls]) => ({
      name,
      topicId: name,
      isInternal: false,
      partitions: ls.map((leader, partition) => ({ partition, leader, replicas: [], isr: [], offlineReplicas: [] })),
    })),
  }
}
