import { TributaryError, type Broker, type Clock, type Logger } from '@tributary/core'

/**
 * ClientContext is what every client made by one `Tributary` shares: the broker it talks to, the
 * clock its timers run on, its client id, and whether the Tributary is still open.
 */
export interface ClientContext {
  readonly broker: Broker
  readonly clock: Clock
  readonly clientId: string
  /** logger is where the clients' log lines go (the Tributary's `logger` and `logLevel`). */
  readonly logger: Logger
  /** isClosed tells whether `tb.close()` has begun. */
  isClosed(): boolean
  /**
   * keepAlive holds the process open until the returned function is called. The clock's timers
   * are unref'd (a library must not keep a process alive by itself), so a pending send or a
   * running consumer takes a hold, as a socket would in a networked client.
   */
  keepAlive(): () => void
}

/** keepAliveCounter returns a `keepAlive` backed by one ref'd timer shared by every hold. */
export function keepAliveCounter(): () => () => void {
  let holds = 0
  let timer: ReturnType<typeof setInterval> | null = null
  return () => {
    if (holds++ === 0) timer = setInterval(() => {}, 1 << 30)
    let released = false
    return () => {
      if (released) return
      released = true
      if (--holds === 0 && timer !== null) {
        clearInterval(timer)
        timer = null
      }
    }
  }
}

/** assertOpen throws CLIENT_CLOSED naming `what` once the Tributary (or the client itself) is closed. */
export function assertOpen(closed: boolean, what: string): void {
  if (closed) throw new TributaryError('CLIENT_CLOSED', `${what}: the client is closed`)
}
