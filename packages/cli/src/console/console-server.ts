import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { type Broker, type Logger, TributaryError, defaultLogger } from '@tributary/core'
import { type HttpListenOptions, closeHttp, listenHttp } from '../http/listen'
import { APP_CSS } from './assets/app-css'
import { APP_JS } from './assets/app-js'
import { INDEX_HTML } from './assets/index-html'
import { topicsWithOffsets } from '../topic-offsets'
import { OffsetHistory, browseMessages, groupsWithLag } from './console-data'

/** ConsoleServerOptions configure `ConsoleServer.start`. */
export interface ConsoleServerOptions extends HttpListenOptions {
  /** The broker to show: a LocalBroker, a ClusterNode, or a remote one. Required. */
  broker: Broker
  /** Allow actions (create a topic, reset a group's offsets). Default false: read-only. */
  actions?: boolean
  /** How often end offsets are sampled for rates and sparklines, in ms. Default 5000. */
  sampleIntervalMs?: number
  /** Samples kept (the sparkline's length). Default 120 (ten minutes at 5 s). */
  maxSamples?: number
  /** Groups shown at most. Default 1000. */
  maxGroups?: number
  logger?: Logger
}

const STATIC: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: INDEX_HTML },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  '/app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
}

/** MAX_BODY_BYTES bounds an action's JSON body. */
const MAX_BODY_BYTES = 65_536

/**
 * ConsoleServer is Tributary's web console: a small page (plain HTML, CSS and JavaScript served
 * from this package, nothing from a CDN) over a JSON API, showing topics and partitions with
 * leaders, replicas, ISR, offsets and message rates; groups with members, assignments and lag;
 * a message browser; and the cluster's nodes and Raft state. Read-only unless `actions` is set.
 * It binds loopback by default; a routable address needs `insecure` (it has no authentication).
 *
 * ```ts
 * const console = await ConsoleServer.start({ broker: tb.broker, listen: '127.0.0.1:8080' })
 * ```
 */
export class ConsoleServer {
  private constructor(
    private readonly server: Server,
    private readonly timer: ReturnType<typeof setInterval>,
    /** address is where it listens (the real port when 0 was asked). */
    readonly address: { host: string; port: number },
    /** url is the console's address, `http://host:port/`. */
    readonly url: string,
  ) {}

  /**
   * start listens and begins sampling end offsets.
   * @throws TributaryError INVALID_CONFIG for a bad or routable address without `insecure`; NETWORK_EXCEPTION when binding fails.
   */
  static async start(options: ConsoleServerOptions): Promise<ConsoleServer> {
    if (typeof options?.broker?.metadata !== 'function')
      throw new TributaryError('INVALID_CONFIG', 'console: broker must be a Broker', { details: { path: 'broker' } })
    const logger = options.logger ?? defaultLogger()
    const history = new OffsetHistory(options.maxSamples ?? 120)
    const api = new ConsoleApi(options.broker, history, options.actions === true, options.maxGroups ?? 1000)
    const { server, address, url } = await listenHttp('the console', { ...options, logger }, (req, res) => {
      api.handle(req, res).catch((error: unknown) => sendError(res, error))
    })
    const sample = () =>
      api.sample().catch((error: unknown) => logger.debug('console: sampling end offsets failed', { error: error as Error }))
    void sample()
    const timer = setInterval(sample, options.sampleIntervalMs ?? 5000)
    timer.unref()
    logger.info('console listening', { url: `${url}/`, actions: options.actions === true })
    return new ConsoleServer(server, timer, address, `${url}/`)
  }

  /** close stops sampling and the listener. */
  close(): Promise<void> {
    clearInterval(this.timer)
    return closeHttp(this.server)
  }
}

/** ConsoleApi answers the page's requests. */
class ConsoleApi {
  constructor(
    private readonly broker: Broker,
    private readonly history: OffsetHistory,
    private readonly actions: boolean,
    private readonly maxGroups: number,
  ) {}

  async sample(): Promise<void> {
    const topics = await topicsWithOffsets(this.broker)
    this.history.add(Date.now(), new Map(topics.map((t) => [t.name, t.partitions.reduce((n, p) => n + p.endOffset, 0)])))
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console')
    const path = url.pathname
    if (req.method === 'GET') {
      const asset = STATIC[path]
      if (asset) return send(res, 200, asset.type, asset.body)
      if (path === '/api/overview') return sendJson(res, await this.overview())
      if (path === '/api/topics') return sendJson(res, await this.topics())
      if (path === '/api/groups') return sendJson(res, await groupsWithLag(this.broker, this.maxGroups))
      if (path === '/api/cluster') return sendJson(res, await this.cluster())
      if (path === '/api/messages') return sendJson(res, await browseMessages(this.broker, messageQuery(url.searchParams)))
      return sendJson(res, { error: 'not found' }, 404)
    }
    if (req.method === 'POST' && path.startsWith('/api/')) {
      if (!this.actions) return sendJson(res, { error: 'the console is read-only (start it with actions enabled: --ui-actions)' }, 403)
      // A custom header needs a CORS preflight, which is never granted: other sites cannot post here.
      if (req.headers['x-tributary-action'] !== '1') return sendJson(res, { error: 'missing x-tributary-action header' }, 403)
      const body = await readJson(req)
      if (path === '/api/topics') return sendJson(res, await this.createTopic(body))
      const reset = /^\/api\/groups\/([^/]+)\/reset$/.exec(path)
      if (reset) return sendJson(res, await this.resetOffsets(decodeURIComponent(reset[1] as string), body))
      return sendJson(res, { error: 'not found' }, 404)
    }
    return sendJson(res, { error: 'method not allowed' }, 405)
  }

  private async overview() {
    const metadata = await this.broker.metadata()
    return {
      clusterId: metadata.clusterId,
      nodeId: this.broker.nodeId,
      controllerId: metadata.controllerId,
      brokers: metadata.brokers,
      actions: this.actions,
    }
  }

  private async topics() {
    const topics = await topicsWithOffsets(this.broker)
    return topics.map((t) => ({
      ...t,
      ...this.history.series(t.name),
      messages: t.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0),
    }))
  }

  private async cluster() {
    const metadata = await this.broker.metadata()
    const stats = this.broker.stats?.() ?? null
    return { clusterId: metadata.clusterId, controllerId: metadata.controllerId, brokers: metadata.brokers, stats }
  }

  private async createTopic(body: Record<string, unknown>) {
    const topic = String(body.topic ?? '')
    const partitions = body.partitions === undefined || body.partitions === '' ? undefined : Number(body.partitions)
    const [result] = await this.broker.createTopics([{ topic, ...(partitions !== undefined ? { numPartitions: partitions } : {}) }])
    if (result?.error) throw result.error
    return { topic, created: result?.created === true }
  }

  private async resetOffsets(groupId: string, body: Record<string, unknown>) {
    const topic = String(body.topic ?? '')
    const to = String(body.to ?? '')
    const [group] = await this.broker.describeGroups([groupId])
    if (group && group.members.length > 0)
      throw new TributaryError(
        'NON_EMPTY_GROUP',
        `group ${groupId} has ${group.members.length} members: stop them before resetting offsets`,
      )
    const topics = await topicsWithOffsets(this.broker)
    const t = topics.find((x) => x.name === topic)
    if (!t) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${topic}'`)
    const offset = Number(body.offset)
    const offsets = t.partitions.map((p) => {
      let next = p.endOffset
      if (to === 'earliest') next = p.startOffset
      else if (to === 'offset') {
        if (!Number.isSafeInteger(offset) || offset < 0) throw new TributaryError('INVALID_REQUEST', 'offset must be a whole number ≥ 0')
        next = Math.min(Math.max(offset, p.startOffset), p.endOffset)
      } else if (to !== 'latest') throw new TributaryError('INVALID_REQUEST', "to must be 'earliest', 'latest' or 'offset'")
      return { topic, partition: p.partition, offset: next }
    })
    await this.broker.commitOffsets({ groupId, generationId: -1, memberId: '', offsets })
    return { groupId, offsets }
  }
}

function messageQuery(params: URLSearchParams) {
  const num = (name: string) => (params.get(name) === null || params.get(name) === '' ? undefined : Number(params.get(name)))
  const offset = num('offset')
  const timestampMs = num('timestamp')
  return {
    topic: params.get('topic') ?? '',
    partition: num('partition') ?? 0,
    ...(offset !== undefined ? { offset } : {}),
    ...(timestampMs !== undefined ? { timestampMs } : {}),
    limit: num('limit') ?? 20,
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
    throw new TributaryError('INVALID_REQUEST', 'actions take a JSON body (content-type: application/json)')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new TributaryError('INVALID_REQUEST', `the body is over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
    return parsed as Record<string, unknown>
  } catch {
    throw new TributaryError('INVALID_REQUEST', 'the body is not a JSON object')
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:",
  })
  res.end(body)
}

function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value))
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return void res.destroy()
  const t = error instanceof TributaryError ? error : null
  const status =
    t === null
      ? 500
      : t.code === 'UNKNOWN_TOPIC_OR_PARTITION'
        ? 404
        : t.code.startsWith('INVALID') || t.code === 'NON_EMPTY_GROUP'
          ? 400
          : 503
  sendJson(res, { error: (error as Error)?.message ?? String(error), code: t?.code ?? 'UNKNOWN_SERVER_ERROR' }, status)
}
