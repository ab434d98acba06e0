import { TributaryError, type Clock, type NodeInfo } from '@tributary/core'
import { type NodeConnection, nodeConnection } from './connection'
import type { ResolvedConnectOptions } from './options'

/**
 * ConnectionPool keeps one NodeConnection per node address, opened lazily: the bootstrap
 * addresses of the options, then every node that metadata lists.
 *
 * - `reach(address)` is the connection to one node (a partition leader).
 * - `any()` is a connection to some live node, for calls any node can serve (it forwards what it
 *   does not lead): the one used last, or else the next address in turn that accepts. After that
 *   connection is lost the next call starts with the next address, since the node used may be
 *   the one that died.
 * - A node that refused a connection is "down" for `reconnectBackoffMs`: `any()` tries it last
 *   and the caller sends its partitions elsewhere.
 *
 * Bounded: connections only to addresses in the bootstrap list or the latest metadata (an idle
 * connection to a node that left the metadata is closed).
 */
export class ConnectionPool {
  private readonly connections = new Map<string, NodeConnection>()
  private readonly downUntilMs = new Map<string, number>()
  private readonly bootstrap: ReadonlyArray<{ host: string; port: number }>
  /** Every address known, bootstrap first: the order `any()` tries them in. */
  private known: Array<{ host: string; port: number }>
  /** The address `any()` used last. */
  private current: string | undefined
  private closed = false

  constructor(
    private readonly options: ResolvedConnectOptions,
    private readonly clock: Clock,
    /** onLost is told when an open connection drops (the node may be gone: its leaders are stale). */
    private readonly onLost: (address: string) => void,
  ) {
    this.bootstrap = options.brokers
    this.known = [...options.brokers]
  }

  /** setBrokers makes the nodes of the latest metadata known (the bootstrap addresses stay). */
  setBrokers(brokers: readonly NodeInfo[]): void {
    const next = [...this.bootstrap]
    const seen = new Set(next.map(addressOf))
    for (const b of brokers) {
      const a = addressOf(b)
      if (!seen.has(a)) seen.add(a), next.push({ host: b.host, port: b.port })
    }
    this.known = next
    for (const [address, c] of this.connections) {
      if (!seen.has(address) && c.idle) {
        c.close()
        this.connections.delete(address)
      }
    }
  }

  /** isDown tells whether `address` refused a connection less than reconnectBackoffMs ago. */
  isDown(address: string): boolean {
    return (this.downUntilMs.get(address) ?? -Infinity) > this.clock.now()
  }

  /**
   * reach returns the open connection to `address`, connecting first if needed.
   * @throws TributaryError LEADER_NOT_AVAILABLE when it cannot be reached (it is then "down"); CLIENT_CLOSED.
   */
  async reach(address: string): Promise<NodeConnection> {
    const c = this.connection(address)
    try {
      await c.connect()
    } catch (error) {
      if (!(error instanceof TributaryError && error.code === 'CLIENT_CLOSED'))
        this.downUntilMs.set(address, this.clock.now() + this.options.reconnectBackoffMs)
      throw error
    }
    this.downUntilMs.delete(address)
    return c
  }

  /**
   * any returns an open connection to some node: the last one used, or the next that accepts
   * (nodes that are down are tried last).
   * @throws TributaryError LEADER_NOT_AVAILABLE (retriable) when no address accepts; CLIENT_CLOSED after close;
   *   SASL_AUTHENTICATION_FAILED (and the other final errors of the SASL handshake) as the node gave it.
   */
  async any(): Promise<NodeConnection> {
    this.assertOpen()
    const known = this.known
    const start = Math.max(
      0,
      known.findIndex((a) => addressOf(a) === this.current),
    )
    const order = known.map((_, i) => addressOf(known[(start + i) % known.length] as { host: string; port: number }))
    let lastError: unknown
    for (const address of [...order.filter((a) => !this.isDown(a)), ...order.filter((a) => this.isDown(a))]) {
      try {
        const c = await this.reach(address)
        this.current = address
        return c
      } catch (error) {
        // Closed, or refused for a reason another node would give too (SASL credentials, TLS trust).
        if (error instanceof TributaryError && (error.code === 'CLIENT_CLOSED' || !error.retriable)) throw error
        lastError = error
      }
    }
    const list = order.join(', ')
    throw new TributaryError('LEADER_NOT_AVAILABLE', `no broker of ${list} can be reached`, {
      cause: lastError,
      details: { brokers: list },
    })
  }

  private connection(address: string): NodeConnection {
    this.assertOpen()
    let c = this.connections.get(address)
    if (c === undefined) {
      c = nodeConnection(address, this.options, this.clock, () => this.lost(address))
      this.connections.set(address, c)
    }
    return c
  }

  private lost(address: string): void {
    if (address === this.current) {
      const i = this.known.findIndex((a) => addressOf(a) === address)
      const next = this.known[(i + 1) % this.known.length]
      this.current = next === undefined ? undefined : addressOf(next)
    }
    this.onLost(address)
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the connection to the cluster is closed')
  }

  /** close closes every connection: their pending calls fail with CLIENT_CLOSED. */
  close(): void {
    this.closed = true
    for (const c of this.connections.values()) c.close()
    this.connections.clear()
  }
}

/** addressOf is a node's 'host:port', the key of its connection. */
export function addressOf(node: { host: string; port: number }): string {
  return `${node.host}:${node.port}`
}
