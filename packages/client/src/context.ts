import { TributaryError, type Broker, type Clock } from '@tributary/core'

/**
 * ClientContext is what every client made by one `Tributary` shares: the broker it talks to, the
 * clock its timers run on, its client id, and whether the Tributary is still open.
 */
export interface ClientContext {
  readonly broker: Broker
  readonly clock: Clock
  readonly clientId: string
  /** isClosed tells whether `tb.close()` has begun. */
  isClosed(): boolean
}

/** assertOpen throws CLIENT_CLOSED naming `what` once the Tributary (or the client itself) is closed. */
export function assertOpen(closed: boolean, what: string): void {
  if (closed) throw new TributaryError('CLIENT_CLOSED', `${what}: the client is closed`)
}
