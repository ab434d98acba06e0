import { connect } from 'node:net'
import { TributaryError, type Clock, type RpcArgs, type RpcResult } from '@tributary/core'
import { type CallOptions, WireConnection } from '@tributary/core/internal'
import type { PeerHandler, PeerChannel } from './peer-channel'
import type { PeerMethod, PeerRpc } from './peer-rpc'

/** PeerConnectionLimits bound each connection to a peer (the same WireConnection the remote client uses). */
export interface PeerConnectionLimits {
  readonly clock: Clock
  /** requestTimeoutMs bounds each forwarded request, on top of the wait it asks for. */
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly maxInFlightRequests: number
  readonly maxQueuedRequests: number
}

/**
 * TcpPeerChannel forwards requests to other nodes over their listen address: the wire protocol
 * clients speak, with `peer:`-prefixed methods, on core's bounded, timed WireConnection (one per
 * peer). Incoming peer requests are delivered by the node's BrokerServer, so `serve` only keeps
 * the handler for it.
 */
export class TcpPeerChannel implements PeerChannel {
  private readonly connections = new Map<number, WireConnection<PeerRpc>>()
  handler: PeerHandler | undefined

  constructor(
    private readonly peers: ReadonlyMap<number, { host: string; port: number }>,
    private readonly limits: PeerConnectionLimits,
  ) {}

  call<K extends PeerMethod>(to: number, method: K, args: RpcArgs<PeerRpc, K>, options?: CallOptions): Promise<RpcResult<PeerRpc, K>> {
    let c = this.connections.get(to)
    if (c === undefined) {
      const a = this.peers.get(to)
      if (a === undefined)
        return Promise.reject(new TributaryError('LEADER_NOT_AVAILABLE', `node ${to} has no known address`, { details: { nodeId: to } }))
      c = new WireConnection<PeerRpc>({
        host: a.host,
        port: a.port,
        dial: (host, port) => connect({ host, port }),
        methodPrefix: 'peer:',
        details: { nodeId: to },
        ...this.limits,
      })
      this.connections.set(to, c)
    }
    return c.call(method, args, options)
  }

  serve(handler: PeerHandler): void {
    this.handler = handler
  }

  async close(): Promise<void> {
    for (const c of this.connections.values()) c.close()
  }
}
