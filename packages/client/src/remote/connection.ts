import { connect } from 'node:net'
import type { BrokerRpc, Clock } from '@tributary/core'
import { WireConnection } from '@tributary/core/internal'
import type { ResolvedConnectOptions } from './options'

/**
 * NodeConnection is the remote client's connection to one cluster node: core's bounded, timed
 * WireConnection speaking the Broker calls (`BrokerRpc`), over a TCP socket from `node:net`
 * (the socket glue; see WireConnection for connects, losses, bounds and timeouts).
 */
export type NodeConnection = WireConnection<BrokerRpc>

/** openNodeConnection makes the (lazily connecting) connection to `address` ('host:port'). */
export function nodeConnection(address: string, options: ResolvedConnectOptions, clock: Clock, onLost: () => void): NodeConnection {
  const i = address.lastIndexOf(':')
  return new WireConnection<BrokerRpc>({
    host: address.slice(0, i),
    port: Number(address.slice(i + 1)),
    dial: (host, port) => connect({ host, port }),
    clock,
    requestTimeoutMs: options.requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    maxInFlightRequests: options.maxInFlightRequests,
    maxQueuedRequests: options.maxQueuedRequests,
    onLost,
  })
}
