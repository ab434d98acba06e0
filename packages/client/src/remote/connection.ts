import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { BrokerRpc, Clock } from '@tributary/core'
import { WireConnection } from '@tributary/core/internal'
import type { ResolvedConnectOptions } from './options'
import { authenticateNode } from './authenticate'

/**
 * NodeConnection is the remote client's connection to one cluster node: core's bounded, timed
 * WireConnection speaking the Broker calls (`BrokerRpc`), over a TCP socket from `node:net`
 * or TLS socket (the socket glue; see WireConnection for connects, losses, bounds and timeouts),
 * authenticated with SASL first when `sasl` is set.
 */
export type NodeConnection = WireConnection<BrokerRpc>

/** openNodeConnection makes the (lazily connecting) connection to `address` ('host:port'). */
export function nodeConnection(address: string, options: ResolvedConnectOptions, clock: Clock, onLost: () => void): NodeConnection {
  const i = address.lastIndexOf(':')
  const { tls, sasl } = options
  return new WireConnection<BrokerRpc>({
    host: address.slice(0, i),
    port: Number(address.slice(i + 1)),
    dial: (host, port) => (tls === undefined ? connect({ host, port }) : tlsConnect({ host, port, ...tls })),
    secure: tls !== undefined,
    handshake: sasl === undefined ? undefined : (call) => authenticateNode(call, sasl),
    clock,
    requestTimeoutMs: options.requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    maxInFlightRequests: options.maxInFlightRequests,
    maxQueuedRequests: options.maxQueuedRequests,
    onLost,
  })
}
