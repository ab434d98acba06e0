import { InvariantError } from '@tributary/core/internal'
import { type Server, type Socket, createServer } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { TributaryError } from '@tributary/core'
import { registerKafkaCodecs } from '../compression/kafka-codecs'
import { type HostPort, formatHostPort, isLoopbackHost } from './address'
import { SERVED_APIS } from './apis'
import { type ApiTable, Connection } from './connection'
import type { ServerContext } from './context'
import { type KafkaServerOptions, type ResolvedServerOptions, advertisedFor, resolveServerOptions } from './options'
import { JoinBuffers } from './join-buffers'
import { RequestBudget } from './request-budget'
import { CredentialStore } from './sasl/credentials'
import type { ServedApi } from './served-api'
import { singleNodeTopology } from './topology'

/**
 * JOIN_BUFFER_BYTES and JOIN_BUFFERS bound the memory lent for joining Produce requests (see
 * JoinBuffers): 8 × 4 MiB, allocated on first need. Clients' default request limits are about 1 MiB
 * (librdkafka's message.max.bytes, the Java max.request.size); a larger request is joined as before.
 */
const JOIN_BUFFER_BYTES = 4 * 1024 * 1024
const JOIN_BUFFERS = 8

/** AdvertisedApi is one line of the ApiVersions answer. */
export interface AdvertisedApi {
  apiKey: number
  minVersion: number
  maxVersion: number
}

/**
 * KafkaServer serves a Broker to Kafka clients (kcat and everything on librdkafka, KafkaJS,
 * kafka-python, Java) over the Kafka wire protocol, on one listener.
 *
 * ```ts
 * const server = await KafkaServer.start({ broker, listen: '127.0.0.1:9092' })
 * // kcat -b 127.0.0.1:9092 -L
 * await server.close() // the broker stays open: it belongs to the caller
 * ```
 */
export class KafkaServer {
  /** The address the listener is bound to (port 0 resolved). */
  readonly address: HostPort
  /** The address clients are told to dial (Metadata, FindCoordinator). */
  readonly advertised: HostPort
  private readonly connections = new Set<Connection>()
  private closing: Promise<void> | null = null

  private constructor(
    private readonly server: Server,
    address: HostPort,
    advertised: HostPort,
  ) {
    this.address = address
    this.advertised = advertised
  }

  /**
   * start binds the listener and serves `options.broker` until `close()`. It registers Kafka's
   * compression codecs (snappy, lz4, zstd) with core, so produced batches of every codec are
   * validated and compacted.
   * @throws TributaryError INVALID_CONFIG for bad options, an unreadable SASL users file or an address that cannot be bound.
   */
  static async start(options: KafkaServerOptions): Promise<KafkaServer> {
    const resolved = resolveServerOptions(options)
    registerKafkaCodecs()
    const credentials = resolved.sasl === undefined ? null : await CredentialStore.load(resolved.sasl)
    const net = resolved.tls === undefined ? createServer({ pauseOnConnect: false }) : createTlsServer({ ...resolved.tls })
    net.maxConnections = resolved.maxConnections
    const bound = await listen(net, resolved)
    const advertised = advertisedFor(resolved, bound)
    const server = new KafkaServer(net, bound, advertised)
    const context: ServerContext = {
      broker: resolved.broker,
      options: resolved,
      logger: resolved.logger,
      topology: resolved.topology ?? singleNodeTopology(resolved.broker, () => advertised),
      advertised,
      credentials,
      apiVersions: advertisedApis(SERVED_APIS),
      budget: new RequestBudget(resolved.maxQueuedRequestBytes),
      joinBuffers: resolved.broker.copiesProducedBatches === true ? new JoinBuffers(JOIN_BUFFER_BYTES, JOIN_BUFFERS) : null,
    }
    server.serve(net, context, apiTable(SERVED_APIS))
    const { logger } = resolved
    if (!isLoopbackHost(resolved.listen.host) && (resolved.tls === undefined || resolved.sasl === undefined)) {
      logger.warn('the Kafka listener is reachable from the network without TLS and SASL (insecure: true)', {
        listen: formatHostPort(bound),
        tls: resolved.tls !== undefined,
        sasl: resolved.sasl !== undefined,
      })
    }
    logger.info('kafka listening', { listen: formatHostPort(bound), advertised: formatHostPort(advertised) })
    return server
  }

  /** connectionCount is the number of open client connections. */
  get connectionCount(): number {
    return this.connections.size
  }

  /** close stops accepting, closes every connection (their pending requests end unanswered) and resolves when the listener is closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      for (const c of [...this.connections]) c.close('the server is closing', 'debug')
    })
    return this.closing
  }

  private serve(net: Server, context: ServerContext, apis: ApiTable): void {
    let nextId = 1
    const onSocket = (socket: Socket) => {
      if (this.closing !== null) {
        socket.destroy()
        return
      }
      const connection = new Connection(socket, context, apis, nextId++, (c) => this.connections.delete(c))
      this.connections.add(connection)
    }
    const secure = context.options.tls !== undefined
    net.on(secure ? 'secureConnection' : 'connection', onSocket)
    net.on('drop', (data) => {
      context.logger.warn('refused a connection: too many connections', {
        remote: `${data?.remoteAddress}:${data?.remotePort}`,
        maxConnections: context.options.maxConnections,
      })
    })
    if (secure)
      net.on('tlsClientError', (error, socket) =>
        context.logger.debug('TLS handshake failed', { error: error.message, remote: socket.remoteAddress }),
      )
    net.on('error', (error) => context.logger.error('the Kafka listener failed', { error }))
  }
}

function listen(net: Server, options: ResolvedServerOptions): Promise<HostPort> {
  const { host, port } = options.listen
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new TributaryError(
          'INVALID_CONFIG',
          `kafkaServer.listen ${formatHostPort(options.listen)} cannot be bound: ${error.code ?? error.message}`,
          {
            details: { path: 'kafkaServer.listen' },
            cause: error,
          },
        ),
      )
    }
    net.once('error', onError)
    net.listen(port, host, () => {
      net.off('error', onError)
      const address = net.address()
      resolve({ host, port: typeof address === 'object' && address !== null ? address.port : port })
    })
  })
}

function apiTable(apis: readonly ServedApi[]): ApiTable {
  const table = new Map<number, ServedApi>()
  for (const api of apis) {
    if (table.has(api.api.key)) throw new InvariantError(`${api.api.name} is registered twice`)
    table.set(api.api.key, api)
  }
  return table
}

/** advertisedApis is ApiVersions' list: exactly the registered APIs and their version ranges. */
export function advertisedApis(apis: readonly ServedApi[]): AdvertisedApi[] {
  return apis.map((a) => ({ apiKey: a.api.key, minVersion: a.minVersion, maxVersion: a.maxVersion })).sort((a, b) => a.apiKey - b.apiKey)
}
