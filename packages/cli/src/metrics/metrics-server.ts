import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Logger } from '@tributary/core'
import { type MetricsSnapshot, Tributary } from '@tributary/client'
import { type HttpListenOptions, closeHttp, listenHttp } from '../http/listen'
import { type PrometheusOptions, prometheusRegistry } from './prometheus'

/** MetricsInput is what metrics are read from: a Tributary, or any function returning a snapshot. */
export type MetricsInput = Tributary | (() => Promise<MetricsSnapshot>)

function snapshotOf(source: MetricsInput): () => Promise<MetricsSnapshot> {
  return source instanceof Tributary ? () => source.metrics() : source
}

/**
 * metricsHandler returns a Node HTTP handler that answers with the Prometheus text format of
 * `source`'s metrics (for `app.get('/metrics', handler)` or `http.createServer(handler)`).
 * A failed snapshot answers 503 with the error's message.
 */
export function metricsHandler(source: MetricsInput, options: PrometheusOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const registry = prometheusRegistry(snapshotOf(source), options)
  return (_req, res) => {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType })
        res.end(text)
      },
      (error: unknown) => {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`metrics unavailable: ${(error as Error)?.message ?? String(error)}\n`)
      },
    )
  }
}

/**
 * mountMetrics serves `source`'s metrics at `path` (default '/metrics') on an application's own
 * HTTP server: requests for that path are answered here, every other request goes to the
 * server's existing 'request' listeners as before.
 */
export function mountMetrics(server: Server, source: MetricsInput, options: PrometheusOptions & { path?: string } = {}): void {
  const path = options.path ?? '/metrics'
  const handler = metricsHandler(source, options)
  const previous = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>
  server.removeAllListeners('request')
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === path) return handler(req, res)
    for (const listener of previous) listener.call(server, req, res)
  })
}

/** MetricsServerOptions configure `MetricsServer.start`. */
export interface MetricsServerOptions extends HttpListenOptions, PrometheusOptions {
  /** Where the metrics come from. Required. */
  source: MetricsInput
  logger?: Logger
}

/**
 * MetricsServer is a standalone Prometheus endpoint: `GET /metrics` on a loopback address by
 * default (`tributary serve --metrics 127.0.0.1:9464`).
 */
export class MetricsServer {
  private constructor(
    private readonly server: Server,
    /** address is where it listens (the real port when 0 was asked). */
    readonly address: { host: string; port: number },
    /** url is the endpoint, `http://host:port/metrics`. */
    readonly url: string,
  ) {}

  /**
   * start listens and serves `/metrics`.
   * @throws TributaryError INVALID_CONFIG for a bad or routable address without `insecure`; NETWORK_EXCEPTION when binding fails.
   */
  static async start(options: MetricsServerOptions): Promise<MetricsServer> {
    const handler = metricsHandler(options.source, options)
    const { server, address, url } = await listenHttp('the metrics listener', options, (req, res) => {
      if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') return handler(req, res)
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('not found: the metrics are at /metrics\n')
    })
    options.logger?.info('metrics listening', { url: `${url}/metrics` })
    return new MetricsServer(server, address, `${url}/metrics`)
  }

  /** close stops the listener. */
  close(): Promise<void> {
    return closeHttp(this.server)
  }
}
