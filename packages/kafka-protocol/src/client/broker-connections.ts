import { type Clock, TributaryError } from '@tributary/core'
import { KafkaConnection } from './connection'
import type { ResolvedKafkaClientOptions } from './options'

/**
 * Lane names a shared, pipelined connection to a broker:
 * - `data`: produce, metadata, offsets, admin, producer ids;
 * - `group`: heartbeats, commits and offset reads at the group coordinator, so that a slow
 *   produce (acks=all waiting for replicas) never delays a heartbeat.
 * Calls that wait at the broker (fetch long polls, JoinGroup, SyncGroup) lease a connection of
 * their own instead (`lease()`): Kafka answers a connection's requests in order, so a wait on a
 * shared connection would hold back everything behind it.
 */
export type Lane = 'data' | 'group'

/** Lease is a connection held by one caller until `release()`. */
export interface Lease {
  readonly connection: KafkaConnection
  /** release gives the connection back (or closes it when `discard`, e.g. after an abandoned wait). */
  release(discard?: boolean): void
}

interface Waiter {
  resolve(lease: Lease): void
  reject(error: unknown): void
}

/**
 * BrokerConnections are the connections to one broker: one per lane, opened lazily and again
 * after a loss, and up to `maxConnectionsPerBroker - 2` leased ones, kept open when returned for
 * the next caller. Leases beyond the bound wait (in order) for one to be returned.
 *
 * A broker that refused a connection is "down" for `reconnectBackoffMs`: calls fail at once with
 * the refusal (retriable) instead of hammering it, and `ClusterConnections.any()` tries it last.
 */
export class BrokerConnections {
  readonly address: string
  private readonly lanes = new Map<Lane, KafkaConnection>()
  private readonly opening = new Map<Lane, Promise<KafkaConnection>>()
  private readonly idle: KafkaConnection[] = []
  /** Every open connection (lanes, idle and leased), to close them all on close(). */
  private readonly all = new Set<KafkaConnection>()
  private leased = 0
  private readonly waiters: Waiter[] = []
  private downUntilMs = Number.NEGATIVE_INFINITY
  private lastRefusal: TributaryError | null = null
  private closed = false

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: ResolvedKafkaClientOptions,
    private readonly clock: Clock,
    /** onLost hears that an open connection dropped (the broker may be gone: its leaderships are stale). */
    private readonly onLost: (address: string, error: TributaryError) => void,
  ) {
    this.address = `${host}:${port}`
  }

  /** isDown tells whether the broker refused a connection less than reconnectBackoffMs ago. */
  isDown(): boolean {
    return this.downUntilMs > this.clock.now()
  }

  /** isConnected tells whether a lane connection is open and usable (a cheap broker to ask). */
  isConnected(): boolean {
    for (const c of this.lanes.values()) if (c.usable) return true
    return false
  }

  /** canLeaseNow tells whether `lease()` would resolve without waiting for a lease to be returned. */
  canLeaseNow(): boolean {
    return this.leased < this.options.maxConnectionsPerBroker - 2 || this.idle.some((c) => c.usable)
  }

  /**
   * connection returns the open connection of `lane`, opening it first when needed.
   * @throws TributaryError NETWORK_EXCEPTION (retriable) when the broker cannot be reached; the handshake's errors; CLIENT_CLOSED.
   */
  connection(lane: Lane): Promise<KafkaConnection> {
    const c = this.lanes.get(lane)
    if (c?.usable) return Promise.resolve(c)
    let opening = this.opening.get(lane)
    if (opening === undefined) {
      opening = this.open().then(
        (conn) => {
          this.opening.delete(lane)
          this.lanes.set(lane, conn)
          return conn
        },
        (error: unknown) => {
          this.opening.delete(lane)
          throw error
        },
      )
      this.opening.set(lane, opening)
    }
    return opening
  }

  /**
   * lease returns a connection for one caller alone (a wait at the broker), reusing an idle one.
   * @throws TributaryError as `connection`.
   */
  async lease(): Promise<Lease> {
    this.assertOpen()
    while (this.idle.length > 0) {
      const c = this.idle.pop() as KafkaConnection
      if (c.usable) return this.leaseOf(c)
      c.close()
    }
    if (this.leased >= this.options.maxConnectionsPerBroker - 2) {
      return new Promise<Lease>((resolve, reject) => this.waiters.push({ resolve, reject }))
    }
    this.leased++
    try {
      return this.leaseOf(await this.open(), true)
    } catch (error) {
      this.leased--
      this.wakeWaiter()
      throw error
    }
  }

  private leaseOf(connection: KafkaConnection, counted = false): Lease {
    if (!counted) this.leased++
    let released = false
    return {
      connection,
      release: (discard = false) => {
        if (released) return
        released = true
        this.leased--
        if (discard || !connection.usable || this.closed) connection.close()
        else if (this.waiters.length > 0) {
          this.leased++
          ;(this.waiters.shift() as Waiter).resolve(this.leaseOf(connection, true))
          return
        } else this.idle.push(connection)
        this.wakeWaiter()
      },
    }
  }

  /** wakeWaiter lets the first waiting lease open a connection of its own, now that one is free. */
  private wakeWaiter(): void {
    const w = this.waiters.shift()
    if (w === undefined) return
    this.lease().then(w.resolve, w.reject)
  }

  private async open(): Promise<KafkaConnection> {
    this.assertOpen()
    if (this.isDown() && this.lastRefusal !== null) throw this.lastRefusal
    try {
      const c = await KafkaConnection.open(this.host, this.port, this.options, this.clock, (conn, error) => this.lost(conn, error))
      if (this.closed) {
        c.close()
        this.assertOpen()
      }
      this.downUntilMs = Number.NEGATIVE_INFINITY
      this.lastRefusal = null
      this.all.add(c)
      return c
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'NETWORK_EXCEPTION' && error.retriable) {
        this.downUntilMs = this.clock.now() + this.options.reconnectBackoffMs
        this.lastRefusal = error
      }
      throw error
    }
  }

  private lost(connection: KafkaConnection, error: TributaryError): void {
    this.all.delete(connection)
    for (const [lane, c] of this.lanes) if (c === connection) this.lanes.delete(lane)
    const i = this.idle.indexOf(connection)
    if (i >= 0) this.idle.splice(i, 1)
    if (!this.closed && error.code !== 'CLIENT_CLOSED') this.onLost(this.address, error)
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the Kafka client is closed')
  }

  /** close closes every connection; their calls fail with CLIENT_CLOSED. */
  close(): void {
    this.closed = true
    const error = new TributaryError('CLIENT_CLOSED', 'the Kafka client is closed')
    for (const w of this.waiters.splice(0)) w.reject(error)
    for (const c of [...this.all]) c.close(error)
    this.all.clear()
    this.lanes.clear()
    this.idle.length = 0
  }
}
