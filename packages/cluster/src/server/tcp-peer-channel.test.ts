import { createServer, type Server, type Socket } from 'node:net'
import { systemClock } from '@tributary/core'
import { TcpPeerChannel } from './tcp-peer-channel'

/** A TCP server that accepts peer connections and never answers (a stuck peer). */
async function silentPeer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('data', () => undefined)
    s.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port, sockets }
}

const LIMITS = { clock: systemClock, requestTimeoutMs: 100, connectTimeoutMs: 1000, maxInFlightRequests: 1, maxQueuedRequests: 1 }
const REQUEST = { partitions: [], maxWaitMs: 0 }

describe('TcpPeerChannel (core WireConnection to each peer)', () => {
  it('a peer with no known address fails the call with LEADER_NOT_AVAILABLE naming the node', async () => {
    const channel = new TcpPeerChannel(new Map(), LIMITS)
    await expect(channel.call(7, 'fetch', [REQUEST])).rejects.toMatchObject({ code: 'LEADER_NOT_AVAILABLE', details: { nodeId: 7 } })
    await channel.close()
  })

  it('a peer that refuses the connection fails the call with a retriable LEADER_NOT_AVAILABLE', async () => {
    const { server, port } = await silentPeer()
    await new Promise((r) => server.close(r))
    const channel = new TcpPeerChannel(new Map([[2, { host: '127.0.0.1', port }]]), LIMITS)
    await expect(channel.call(2, 'fetch', [REQUEST])).rejects.toMatchObject({ code: 'LEADER_NOT_AVAILABLE', retriable: true })
    await channel.close()
  })

  it('a peer that never answers: the request times out (REQUEST_TIMED_OUT, retriable), and requests beyond the bounds fail at once', async () => {
    const peer = await silentPeer()
    const channel = new TcpPeerChannel(new Map([[2, { host: '127.0.0.1', port: peer.port }]]), LIMITS)
    try {
      const inFlight = channel.call(2, 'fetch', [REQUEST])
      const queued = channel.call(2, 'fetch', [REQUEST])
      // One in flight and one queued fill the bounds: a third call is refused without waiting.
      await expect(channel.call(2, 'fetch', [REQUEST])).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true })
      await expect(inFlight).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true, details: { nodeId: 2 } })
      await expect(queued).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' })
    } finally {
      await channel.close()
      for (const s of peer.sockets) s.destroy()
      await new Promise((r) => peer.server.close(r))
    }
  })

  it('after close, calls fail with CLIENT_CLOSED', async () => {
    const peer = await silentPeer()
    const channel = new TcpPeerChannel(new Map([[2, { host: '127.0.0.1', port: peer.port }]]), LIMITS)
    const pending = channel.call(2, 'fetch', [REQUEST])
    await new Promise((r) => setTimeout(r, 20))
    await channel.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
    for (const s of peer.sockets) s.destroy()
    await new Promise((r) => peer.server.close(r))
  })
})
