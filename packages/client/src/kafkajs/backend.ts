import { Tributary } from '../tributary'
import { nonRetriable, notImplemented } from './errors'
import type { BackendConnectOptions, KafkaConfig } from './types'

/**
 * The backend seam: how a facade client (producer, consumer, admin) gets the Tributary it runs on.
 * KafkaJS gives each client its own connections, opened by `connect()` and closed by
 * `disconnect()`; a backend does the same with a Tributary per client, or lends a shared one.
 *
 * - `new Kafka({ tributary: tb })`: every client runs on `tb` (embedded, or connected by the
 *   application to anything); the facade never closes it.
 * - `new Kafka({ brokers })`: each client opens its own Tributary with `connect` and closes it on
 *   disconnect. The default `connect` is `Tributary.connect` (a Tributary cluster over TCP); a
 *   Kafka-protocol backend plugs in as another `connect` (`(o) => Tributary.connect({ kafka: … })`)
 *   without any change to the facade.
 */

/** ClientLease is one client's Tributary and how to give it back. */
export interface ClientLease {
  readonly tb: Tributary
  release(): Promise<void>
}

/** Backend opens a lease per connecting client. */
export interface Backend {
  open(client: BackendConnectOptions['client'], maxInFlightRequests: number | undefined): Promise<ClientLease>
}

/** connectTributaryCluster is the default `connect`: Tributary's own protocol, which has no TLS or SASL yet. */
export async function connectTributaryCluster(o: BackendConnectOptions): Promise<Tributary> {
  if (o.ssl || o.sasl) {
    throw notImplemented(
      'ssl and sasl are not supported by the Tributary cluster protocol; pass a `connect` backend that supports them (the Kafka backend)',
    )
  }
  return Tributary.connect({
    brokers: o.brokers,
    clientId: o.clientId,
    connectTimeoutMs: o.connectTimeoutMs,
    ...(o.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: o.requestTimeoutMs }),
    ...(o.maxInFlightRequests === undefined ? {} : { maxInFlightRequests: o.maxInFlightRequests }),
  })
}

/** KafkaJS's default connectionTimeout, in ms. */
const DEFAULT_CONNECTION_TIMEOUT_MS = 1_000

/**
 * backendFor chooses the backend of a `new Kafka(config)`. Throws KafkaJSNonRetriableError unless
 * exactly one of `tributary` and `brokers` is given.
 */
export function backendFor(config: KafkaConfig, clientId: string): Backend {
  const { tributary, brokers } = config
  if (tributary !== undefined && brokers !== undefined) throw nonRetriable('Give either `tributary` or `brokers`, not both')
  if (tributary !== undefined) {
    if (!(tributary instanceof Tributary)) throw nonRetriable('`tributary` must be a Tributary (Tributary.open or Tributary.connect)')
    return { open: async () => ({ tb: tributary, release: async () => {} }) }
  }
  if (brokers === undefined || brokers === null) throw nonRetriable('Failed to connect: brokers parameter should not be null')
  if (!Array.isArray(brokers) && typeof brokers !== 'function') throw nonRetriable('brokers must be an array of "host:port" or a function')
  const connect = config.connect ?? connectTributaryCluster
  return {
    open: async (client, maxInFlightRequests) => {
      const list = typeof brokers === 'function' ? await brokers() : brokers
      if (!Array.isArray(list) || list.length === 0) throw nonRetriable('Failed to connect: expected brokers array and got nothing')
      const tb = await connect({
        brokers: [...list],
        clientId,
        ssl: config.ssl,
        sasl: config.sasl,
        connectTimeoutMs: config.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        requestTimeoutMs: config.requestTimeout,
        maxInFlightRequests,
        client,
      })
      return { tb, release: () => tb.close() }
    },
  }
}
