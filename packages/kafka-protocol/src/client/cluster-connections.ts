import { type Clock, TributaryError } from '@tributary/core'
import { BrokerConnections } from './broker-connections'
import type { ResolvedKafkaClientOptions } from './options'

/** BrokerAddress is a broker as metadata lists it. */
export interface BrokerAddress {
  nodeId: number
  host: string
  port: number
}

/**
 * ClusterConnections holds the connections to every broker, by address: the bootstrap list of the
 * options, then every broker metadata lists (by node id).
 *
 * - `node(id)` is a broker by node id (a partition leader, a coordinator, the controller).
 * - `any()` is some broker for calls any broker serves (metadata, describe configs): one already
 *   connected if there is one, else the known addresses in turn, brokers that refused a
 *   connection recently last.
 *
 * Bounded: only addresses from the bootstrap list or the latest metadata; a broker that left the
 * metadata is closed.
 */
export class ClusterConnections {
  private readonly byAddress = new Map<string, BrokerConnections>()
  private readonly nodes = new Map<number, string>()
  private readonly bootstrap: string[]
  /** Where `any()` starts, advanced after a failure so that a dead broker is not asked first every time. */
  private cursor = 0
  private closed = false

  constructor(
    private readonly options: ResolvedKafkaClientOptions,
    private readonly clock: Clock,
    /** onLost hears that a connection to a broker dropped. */
    private readonly onLost: (address: string, error: TributaryError) => void,
  ) {
    this.bootstrap = options.brokers.map((b) => `${b.host}:${b.port}`)
  }

  /** setBrokers takes the broker list of the latest metadata. */
  setBrokers(brokers: readonly BrokerAddress[]): void {
    if (brokers.length === 0) return
    this.nodes.clear()
    for (const b of brokers) this.nodes.set(b.nodeId, `${b.host}:${b.port}`)
    const keep = new Set([...this.bootstrap, ...this.nodes.values()])
    for (const [address, c] of this.byAddress) {
      if (!keep.has(address)) {
        c.close()
        this.byAddress.delete(address)
      }
    }
  }

  /** addressOf is where node `nodeId` listens, when metadata said so. */
  addressOf(nodeId: number): string | undefined {
    return this.nodes.get(nodeId)
  }

  /** nodeIds lists the brokers of the latest metadata. */
  nodeIds(): number[] {
    return [...this.nodes.keys()]
  }

  /**
   * node returns the connections to broker `nodeId`.
   * @throws TributaryError LEADER_NOT_AVAILABLE (retriable) when metadata does not list it (yet).
   */
  node(nodeId: number): BrokerConnections {
    const address = this.nodes.get(nodeId)
    if (address === undefined) {
      throw new TributaryError('LEADER_NOT_AVAILABLE', `broker ${nodeId} is not in the cluster metadata`, { details: { nodeId } })
    }
    return this.at(address)
  }

  /** at returns the connections to `address` ('host:port'). */
  at(address: string): BrokerConnections {
    this.assertOpen()
    let c = this.byAddress.get(address)
    if (c === undefined) {
      const i = address.lastIndexOf(':')
      c = new BrokerConnections(address.slice(0, i), Number(address.slice(i + 1)), this.options, this.clock, this.onLost)
      this.byAddress.set(address, c)
    }
    return c
  }

  /**
   * any runs `call` against some broker: a connected one first, then every known address in turn
   * (those that refused a connection recently last), moving on while the call fails retriably
   * with a network error (the broker cannot be reached). The last failure is thrown.
   * @throws TributaryError NETWORK_EXCEPTION (retriable) when no broker can be reached; the call's own errors.
   */
  async any<T>(call: (broker: BrokerConnections) => Promise<T>): Promise<T> {
    this.assertOpen()
    const addresses = this.order()
    let lastError: unknown
    for (const address of addresses) {
      try {
        return await call(this.at(address))
      } catch (error) {
        if (!(error instanceof TributaryError) || error.code !== 'NETWORK_EXCEPTION' || !error.retriable) throw error
        lastError = error
        this.cursor++
      }
    }
    throw new TributaryError('NETWORK_EXCEPTION', `no broker of ${addresses.join(', ')} can be reached`, {
      cause: lastError,
      details: { brokers: addresses },
    })
  }

  /** order lists the addresses `any()` tries: connected, then the rest from the cursor, down ones last. */
  private order(): string[] {
    const known = [...new Set([...this.nodes.values(), ...this.bootstrap])]
    const start = this.cursor % known.length
    const rotated = [...known.slice(start), ...known.slice(0, start)]
    const state = (a: string): number => {
      const c = this.byAddress.get(a)
      if (c?.isConnected()) return 0
      return c?.isDown() ? 2 : 1
    }
    return rotated.sort((a, b) => state(a) - state(b))
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the Kafka client is closed')
  }

  /** close closes every connection. */
  close(): void {
    this.closed = true
    for (const c of this.byAddress.values()) c.close()
    this.byAddress.clear()
  }
}
