import type { PeerChannel, PeerHandler } from './peer-channel'
import { WireConnection } from './wire'

/**
 * TcpPeerChannel forwards requests to other nodes over their listen address (the same wire
 * protocol as clients, with `peer:`-prefixed methods). Incoming peer requests are delivered by
 * the node's BrokerServer, so `serve` only keeps the handler for it.
 */
export class TcpPeerChannel implements PeerChannel {
  private readonly connections = new Map<number, WireConnection>()
  handler: PeerHandler | undefined

  constructor(private readonly peers: ReadonlyMap<number, { host: string; port: number }>) {}

  call(to: number, method: string, args: unknown[]): Promise<unknown> {
    let c = this.connections.get(to)
    if (c === undefined) {
      const a = this.peers.get(to)
      if (a === undefined) return Promise.reject(new Error(`unknown peer ${to}`))
      this.connections.set(to, (c = new WireConnection(a.host, a.port)))
    }
    return c.call(`peer:${method}`, args)
  }

  serve(handler: PeerHandler): void {
    this.handler = handler
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()))
  }
}
