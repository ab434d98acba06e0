import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { TributaryError, type Clock, type RpcArgs, type RpcResult } from '@tributary/core'
import { type CallOptions, WireConnection } from '@tributary/core/internal'
import { peerNonce, peerProof, verifyPeerProof, type TlsClientOptions } from '@tributary/core/net'
import { PEER_PURPOSE } from './broker-server'
import type { PeerHandler, PeerChannel } from './peer-channel'
import type { PeerMethod, PeerRpc } from './peer-rpc'

/** PeerIdentity is how this node proves itself to its peers: its id, the cluster secret and its TLS settings. */
export interface PeerIdentity {
  readonly nodeId: number
  readonly tls?: TlsClientOptions
  readonly secret?: string
}

/**
 * provePeer runs the peer challenge–response on a new connection (core/net's peer-auth): `$hello`
 * gives the acceptor's nonce, `$peer:auth` sends our id, nonce and proof and gets the acceptor's
 * proof, which must check too (a node without the secret receives nothing).
 * @throws TributaryError CLUSTER_AUTHORIZATION_FAILED.
 */
async function provePeer(
  call: (method: string, args: readonly unknown[]) => Promise<unknown>,
  nodeId: number,
  secret: string,
  to: number,
): Promise<void> {
  const hello = (await call('$hello', [])) as { nonce?: unknown }
  if (!Buffer.isBuffer(hello?.nonce)) throw new TributaryError('CLUSTER_AUTHORIZATION_FAILED', `node ${to} sent no nonce`)
  const nonceD = peerNonce()
  const answer = (await call('$peer:auth', [nodeId, nonceD, peerProof(secret, 'dialer', PEER_PURPOSE, hello.nonce, nonceD, nodeId)])) as {
    proof?: unknown
  }
  if (!Buffer.isBuffer(answer?.proof) || !verifyPeerProof(answer.proof, secret, 'acceptor', PEER_PURPOSE, hello.nonce, nonceD, nodeId))
    throw new TributaryError('CLUSTER_AUTHORIZATION_FAILED', `the node at node ${to}'s address did not prove the cluster secret`)
}

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
    private readonly identity: PeerIdentity = { nodeId: 0 },
  ) {}

  call<K extends PeerMethod>(to: number, method: K, args: RpcArgs<PeerRpc, K>, options?: CallOptions): Promise<RpcResult<PeerRpc, K>> {
    let c = this.connections.get(to)
    const { tls, secret, nodeId } = this.identity
    if (c === undefined) {
      const a = this.peers.get(to)
      if (a === undefined)
        return Promise.reject(new TributaryError('LEADER_NOT_AVAILABLE', `node ${to} has no known address`, { details: { nodeId: to } }))
      c = new WireConnection<PeerRpc>({
        host: a.host,
        port: a.port,
        dial: (host, port) => (tls === undefined ? connect({ host, port }) : tlsConnect({ host, port, ...tls })),
        secure: tls !== undefined,
        handshake: secret === undefined ? undefined : (call) => provePeer(call, nodeId, secret, to),
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
