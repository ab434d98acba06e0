import { type Server, createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo, isIP } from 'node:net'
import { TributaryError, type Logger } from '@tributary/core'
import { formatHostPort, parseHostPort } from '@tributary/kafka-protocol'

/** HttpListenOptions say where an HTTP listener (metrics, console) binds. */
export interface HttpListenOptions {
  /** 'host:port' to bind; port 0 picks a free one. Default '127.0.0.1:0'. */
  listen?: string
  /** Allow a routable (non-loopback) address: it has no TLS or authentication. Default false (refused). */
  insecure?: boolean
  /** Where the listener logs (a warning for an insecure bind). */
  logger?: Logger
}

/**
 * listenHttp starts an HTTP server on a loopback address, or on a routable one only with
 * `insecure` (the listener has no TLS or authentication), and resolves with it and its address.
 * Connections are bounded (maxConnections 256) and idle ones time out.
 * @throws TributaryError INVALID_CONFIG for a bad or routable address without `insecure`; NETWORK_EXCEPTION when binding fails.
 */
export async function listenHttp(
  what: string,
  options: HttpListenOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; address: { host: string; port: number }; url: string }> {
  const listen = options.listen ?? '127.0.0.1:0'
  const at = parseHostPort(listen)
  if (at === undefined)
    throw new TributaryError('INVALID_CONFIG', `${what}: listen must be HOST:PORT, got ${listen}`, { details: { path: 'listen' } })
  if (!isLoopbackHost(at.host)) {
    if (!options.insecure)
      throw new TributaryError(
        'INVALID_CONFIG',
        `${what}: ${listen} is reachable from the network; it has no TLS or authentication, pass insecure to allow it`,
        {
          details: { path: 'listen' },
        },
      )
    options.logger?.warn(`${what} is reachable from the network without TLS or authentication (insecure)`, { listen })
  }
  const server = createServer(handler)
  server.maxConnections = 256
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new TributaryError('NETWORK_EXCEPTION', `${what}: cannot listen on ${listen}: ${error.message}`, { cause: error })),
    )
    server.listen(at.port, at.host, () => resolve())
  })
  const bound = server.address() as AddressInfo
  const address = { host: at.host, port: bound.port }
  return { server, address, url: `http://${formatHostPort(address)}` }
}

/** closeHttp stops accepting, ends idle keep-alive connections and resolves once the server is closed. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
    setTimeout(() => server.closeAllConnections(), 1000).unref()
  })
}

/** isLoopbackHost tells whether binding `host` keeps a listener on this machine only. */
function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}
