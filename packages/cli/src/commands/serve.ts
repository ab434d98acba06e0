import { readFileSync } from 'node:fs'
import { Command, Option } from 'commander'
import {
  type Broker,
  LOG_LEVELS,
  LocalBroker,
  type LogLevel,
  type Logger,
  MemoryStorage,
  type Storage,
  TributaryError,
  consoleLogger,
} from '@tributary/core'
import {
  KafkaServer,
  type KafkaServerOptions,
  type SaslMechanism,
  formatHostPort,
  parseHostPort,
  registerKafkaCodecs,
} from '@tributary/kafka-protocol'
import { BrokerTraffic, collectMetrics, instrumentBroker } from '@tributary/client'
import { ClusterNode, type ClusterNodeOptions } from '@tributary/cluster'
import { ConsoleServer } from '../console/console-server'
import { MetricsServer } from '../metrics/metrics-server'
import { FileStorage } from '@tributary/storage-file'
import { SqliteStorage } from '@tributary/storage-sqlite'

/*
 * `tributary serve`: one Tributary node that Kafka clients can use. Storage: files under --dir
 * (the default when --dir is given), one SQLite database (--storage sqlite --path FILE), or memory
 * (no --dir). Once the listener accepts connections it prints exactly one line on stdout,
 * `kafka listening on HOST:PORT`; everything else goes to stderr. SIGTERM and SIGINT close it
 * cleanly: the listener stops, the broker syncs its storage and releases the directory lock.
 *
 * Cluster mode (--node-id, --listen, --peers): the node is a ClusterNode (partitions and metadata
 * replicated with Raft; Tributary's own protocol on --listen, Raft on --raft-listen, by default
 * its port + 1). The security flags protect every port: --tls-cert/--tls-key (and --tls-ca, the
 * authority peers' certificates are checked against) put TLS on the Kafka listener, the client
 * port and the Raft port; --sasl-users makes Kafka and Tributary clients authenticate;
 * --cluster-secret-file (or TRIBUTARY_CLUSTER_SECRET) is the secret nodes prove to each other;
 * --acl limits what each SASL user may do (on the Kafka listener too; alone, it guards the Kafka
 * listener of a single node). Without them the node binds loopback only; a routable
 * address needs all of them or --insecure (a warning is logged). Its Kafka
 * listener is registered in the cluster metadata, so every node's Metadata lists every node's
 * Kafka address with the partitions' real leaders. The line is printed once the registration is in
 * the metadata (which needs a quorum of the nodes up).
 */

/** ServeOptions are the parsed flags of `tributary serve`. */
export interface ServeOptions {
  dir?: string
  storage?: 'file' | 'sqlite' | 'memory'
  path?: string
  kafka: string
  advertise?: string
  partitions: string
  autoCreateTopics: boolean
  insecure?: boolean
  tlsCert?: string
  tlsKey?: string
  saslUsers?: string
  saslMechanisms?: string
  logLevel: LogLevel
  /** Cluster mode: this node's id (a positive integer, never reused). */
  nodeId?: string
  /** Cluster mode: where this node serves Tributary's own protocol and its peers ('host:port'; Raft on port + 1). */
  listen?: string
  /** Cluster mode: the other nodes, '2=host:port,3=host:port'. */
  peers?: string
  /** Cluster mode: join a running cluster through --peers instead of forming one. */
  join?: boolean
  /** Cluster mode: where Raft messages are served ('host:port'; default --listen's port + 1). */
  raftListen?: string
  /** Cluster mode: the client address other nodes and clients are told ('host:port'). */
  clusterAdvertise?: string
  /** Cluster mode: a file holding the cluster secret (default: the TRIBUTARY_CLUSTER_SECRET environment variable). */
  clusterSecretFile?: string
  /** Cluster mode: PEM certificate authority peers' certificates are checked against (default: --tls-cert itself). */
  tlsCa?: string
  /** A JSON file holding the ACL, a list of { principal, operations, resourcePrefix? }: the Kafka listener's, and in cluster mode every port's. */
  acl?: string
  /** group.min.session.timeout.ms, in ms. */
  groupMinSessionTimeoutMs?: string
  /** group.initial.rebalance.delay.ms, in ms. */
  groupInitialRebalanceDelayMs?: string
  /** Cluster mode: one Raft tick, in ms (elections take 10-20 ticks). */
  raftTickMs?: string
  /** The web console's address ('host:port'); none without it. */
  ui?: string
  /** Allow the console's actions (create topic, reset offsets). */
  uiActions?: boolean
  /** The Prometheus endpoint's address ('host:port', serving /metrics); none without it. */
  metrics?: string
}

/** Serving is a running `serve`: its Kafka address and how to stop it. */
export interface Serving {
  readonly kafka: { host: string; port: number }
  readonly broker: Broker
  /** The console's URL, with --ui. */
  readonly ui?: string
  /** The metrics endpoint's URL, with --metrics. */
  readonly metrics?: string
  close(): Promise<void>
}

/** serveCommand is the `serve` command of the `tributary` program. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve a Tributary node to Kafka clients (kcat, librdkafka, KafkaJS, kafka-python, Java)')
    .option('--dir <dir>', 'data directory (file storage); without --dir and --storage, data lives in memory')
    .addOption(new Option('--storage <kind>', 'storage engine').choices(['file', 'sqlite', 'memory']))
    .option('--path <file>', 'the SQLite database file (with --storage sqlite)')
    .option('--kafka <host:port>', 'address of the Kafka listener', '127.0.0.1:9092')
    .option('--advertise <host:port>', 'address clients are told to connect to (default: the listener)')
    .option('--partitions <n>', 'partitions of topics created without a count (num.partitions)', '1')
    .option('--no-auto-create-topics', 'do not create unknown topics on first use (auto.create.topics.enable=false)')
    .option('--insecure', 'allow a routable listener without TLS and SASL')
    .option('--tls-cert <file>', 'PEM certificate (chain) of the TLS listener')
    .option('--tls-key <file>', 'PEM private key of the TLS listener')
    .option('--sasl-users <file>', 'JSON users file ({ "users": [{ "username", "password" }] }); turns SASL on')
    .option('--sasl-mechanisms <list>', 'SASL mechanisms offered (default SCRAM-SHA-512,SCRAM-SHA-256,PLAIN)')
    .addOption(new Option('--log-level <level>', 'least severe level logged on stderr').choices([...LOG_LEVELS]).default('info'))
    .option('--node-id <n>', 'cluster mode: this node id (with --listen and --peers)')
    .option('--listen <host:port>', "cluster mode: Tributary's own protocol and the peers (Raft on port + 1)")
    .option('--peers <list>', 'cluster mode: the other nodes, 2=host:port,3=host:port')
    .option('--join', 'cluster mode: join a running cluster through --peers')
    .option('--raft-listen <host:port>', 'cluster mode: where Raft messages are served (default: --listen port + 1)')
    .option('--cluster-advertise <host:port>', 'cluster mode: client address told to other nodes and clients (default: --listen)')
    .option('--cluster-secret-file <file>', 'cluster mode: file holding the secret nodes prove to each other (or TRIBUTARY_CLUSTER_SECRET)')
    .option('--tls-ca <file>', "cluster mode: PEM authority peers' certificates are checked against (default: --tls-cert)")
    .option('--acl <file>', 'JSON list of { principal, operations, resourcePrefix } for the Kafka listener (and cluster ports)')
    .option('--group-min-session-timeout-ms <ms>', 'shortest consumer session accepted (group.min.session.timeout.ms)')
    .option('--group-initial-rebalance-delay-ms <ms>', "wait before a new group's first rebalance (group.initial.rebalance.delay.ms)")
    .option('--raft-tick-ms <ms>', 'cluster mode: one Raft tick (elections take 10-20 ticks)')
    .option('--ui <host:port>', 'serve the web console here (loopback unless --insecure)')
    .option('--ui-actions', 'let the console create topics and reset offsets (read-only without it)')
    .option('--metrics <host:port>', 'serve Prometheus metrics at /metrics here (loopback unless --insecure)')
    .action(async (options: ServeOptions) => {
      const serving = await startServe(options)
      process.stdout.write(`kafka listening on ${formatHostPort(serving.kafka)}\n`)
      if (serving.ui !== undefined) process.stderr.write(`tributary: console on ${serving.ui}\n`)
      if (serving.metrics !== undefined) process.stderr.write(`tributary: metrics on ${serving.metrics}\n`)
      await untilStopped(serving)
    })
}

/**
 * startServe opens the storage and broker and starts the Kafka listener, as `tributary serve`
 * does (tests embed it without a process).
 * @throws TributaryError INVALID_CONFIG for contradictory flags; STORAGE_LOCKED when another process holds --dir.
 */
export async function startServe(options: ServeOptions): Promise<Serving> {
  const logger = consoleLogger({ level: options.logLevel, name: 'tributary' })
  registerKafkaCodecs()
  const kafka = parseHostPort(options.kafka)
  if (kafka === undefined) throw flagError('--kafka', `must be HOST:PORT, got ${options.kafka}`)
  const partitions = Number(options.partitions)
  if (!Number.isSafeInteger(partitions) || partitions < 1)
    throw flagError('--partitions', `must be a positive integer, got ${options.partitions}`)
  if (options.nodeId !== undefined || options.listen !== undefined || options.peers !== undefined)
    return startClusterNode(options, partitions, logger)
  const storage = openStorage(options, logger)
  const broker = await LocalBroker.open({
    storage,
    host: kafka.host,
    port: kafka.port,
    numPartitions: partitions,
    autoCreateTopics: options.autoCreateTopics,
    ...groupOptions(options),
  })
  try {
    const traffic = new BrokerTraffic()
    const server = await KafkaServer.start(serverOptions(options, instrumentBroker(broker, [traffic], 'kafka'), logger))
    const observers = await startObservers(options, broker, traffic, logger).catch(async (error: unknown) => {
      await server.close()
      throw error
    })
    let closing: Promise<void> | null = null
    return {
      kafka: server.advertised,
      broker,
      ...observers.urls,
      close: () => {
        closing ??= server
          .close()
          .then(() => observers.close())
          .finally(() => broker.close())
        return closing
      },
    }
  } catch (error) {
    await broker.close()
    throw error
  }
}

/** startObservers starts the console (--ui) and the metrics endpoint (--metrics) over the served broker. */
async function startObservers(
  options: ServeOptions,
  broker: Broker,
  traffic: BrokerTraffic,
  logger: Logger,
): Promise<{ urls: { ui?: string; metrics?: string }; close(): Promise<void> }> {
  const insecure = options.insecure === true
  if (options.uiActions && options.ui === undefined) throw flagError('--ui-actions', 'needs --ui')
  const metrics =
    options.metrics === undefined
      ? undefined
      : await MetricsServer.start({
          source: () => collectMetrics({ broker, traffic }),
          listen: options.metrics,
          insecure,
          logger,
          processMetrics: true,
        })
  let ui: ConsoleServer | undefined
  try {
    ui =
      options.ui === undefined
        ? undefined
        : await ConsoleServer.start({ broker, listen: options.ui, insecure, logger, actions: options.uiActions === true })
  } catch (error) {
    await metrics?.close()
    throw error
  }
  return {
    urls: { ...(ui ? { ui: ui.url } : {}), ...(metrics ? { metrics: metrics.url } : {}) },
    close: async () => {
      await Promise.allSettled([ui?.close(), metrics?.close()])
    },
  }
}

/** startClusterNode is cluster mode: a ClusterNode with a Kafka listener registered in the cluster metadata. */
async function startClusterNode(options: ServeOptions, numPartitions: number, logger: Logger): Promise<Serving> {
  const nodeId = Number(options.nodeId)
  if (!Number.isSafeInteger(nodeId) || nodeId < 1) throw flagError('--node-id', `must be a positive integer, got ${String(options.nodeId)}`)
  if (options.listen === undefined || parseHostPort(options.listen) === undefined)
    throw flagError('--listen', 'must be HOST:PORT in cluster mode')
  if (options.storage === 'sqlite') throw flagError('--storage', 'sqlite is not available in cluster mode (file with --dir, or memory)')
  // One set of counters for both listeners: Kafka clients and Tributary's own (--brokers).
  const traffic = new BrokerTraffic()
  const node = await ClusterNode.start({
    nodeId,
    listen: options.listen,
    ...clusterNetworkOptions(options),
    peers: parsePeers(options.peers ?? ''),
    join: options.join === true,
    ...(options.dir !== undefined ? { dir: options.dir } : {}),
    numPartitions,
    autoCreateTopics: options.autoCreateTopics,
    groupCoordinator: groupOptions(options),
    ...(options.raftTickMs !== undefined ? { tickMs: msFlag('--raft-tick-ms', options.raftTickMs) } : {}),
    logger,
    clientBroker: (b) => instrumentBroker(b, [traffic], 'tributary'),
  })
  try {
    const server = await KafkaServer.start({
      ...serverOptions(options, instrumentBroker(node, [traffic], 'kafka'), logger),
      topology: node.kafkaTopology(),
      acl: node.acl,
    })
    await registerKafkaListener(node, server, logger)
    const observers = await startObservers(options, node, traffic, logger).catch(async (error: unknown) => {
      await server.close()
      throw error
    })
    let closing: Promise<void> | null = null
    return {
      kafka: server.advertised,
      broker: node,
      ...observers.urls,
      close: () => {
        closing ??= server
          .close()
          .then(() => observers.close())
          .finally(() => node.close())
        return closing
      },
    }
  } catch (error) {
    await node.close()
    throw error
  }
}

/**
 * clusterNetworkOptions are the cluster node's bind, advertise and security options from the flags
 * (the TLS certificate and SASL users of the Kafka listener serve its ports too).
 * @throws TributaryError INVALID_CONFIG naming the flag.
 */
function clusterNetworkOptions(options: ServeOptions): Partial<ClusterNodeOptions> {
  const out: { -readonly [K in keyof ClusterNodeOptions]?: ClusterNodeOptions[K] } = { insecure: options.insecure === true }
  if (options.raftListen !== undefined) out.raftListen = options.raftListen
  if (options.clusterAdvertise !== undefined) out.advertise = options.clusterAdvertise
  type Security = NonNullable<ClusterNodeOptions['security']>
  const security: { -readonly [K in keyof Security]?: Security[K] } = {}
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    const cert = readFileSync(options.tlsCert)
    const ca = readFileSync(options.tlsCa ?? options.tlsCert)
    security.tls = { server: { cert, key: readFileSync(options.tlsKey) }, client: { ca: [ca] } }
  } else if (options.tlsCa !== undefined) throw flagError('--tls-ca', 'needs --tls-cert and --tls-key')
  const secret =
    options.clusterSecretFile !== undefined
      ? readFileSync(options.clusterSecretFile, 'utf8').trim()
      : process.env.TRIBUTARY_CLUSTER_SECRET?.trim() || undefined
  if (secret !== undefined) security.clusterSecret = secret
  if (options.saslUsers !== undefined) {
    const mechanisms = options.saslMechanisms?.split(',').map((m) => m.trim()) as SaslMechanism[] | undefined
    security.sasl = { usersFile: options.saslUsers, ...(mechanisms ? { mechanisms } : {}) }
  }
  if (options.acl !== undefined) security.acl = readAcl(options.acl) as never
  out.security = security
  return out
}

/** registerKafkaListener puts this node's Kafka address in the cluster metadata, retrying while there is no quorum yet. */
async function registerKafkaListener(node: ClusterNode, server: KafkaServer, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await node.setKafkaAddress(server.advertised)
      return
    } catch (error) {
      if (!(error instanceof TributaryError) || !error.retriable) throw error
      if (attempt === 1) logger.info('waiting for the cluster metadata to register the Kafka listener', { reason: error.message })
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

/** groupOptions are the group coordinator's flags that were given. */
function groupOptions(options: ServeOptions): { minSessionTimeoutMs?: number; initialRebalanceDelayMs?: number } {
  const out: { minSessionTimeoutMs?: number; initialRebalanceDelayMs?: number } = {}
  if (options.groupMinSessionTimeoutMs !== undefined)
    out.minSessionTimeoutMs = msFlag('--group-min-session-timeout-ms', options.groupMinSessionTimeoutMs)
  if (options.groupInitialRebalanceDelayMs !== undefined)
    out.initialRebalanceDelayMs = msFlag('--group-initial-rebalance-delay-ms', options.groupInitialRebalanceDelayMs)
  return out
}

function msFlag(flag: string, value: string): number {
  const ms = Number(value)
  if (!Number.isSafeInteger(ms) || ms < 0) throw flagError(flag, `must be a whole number of ms, got ${value}`)
  return ms
}

/** parsePeers reads '2=host:port,3=host:port'. */
function parsePeers(list: string): Record<number, string> {
  const peers: Record<number, string> = {}
  for (const entry of list
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^(\d+)=(.+)$/.exec(entry)
    if (!m || parseHostPort(m[2]) === undefined) throw flagError('--peers', `must be ID=HOST:PORT,…, got ${entry}`)
    peers[Number(m[1])] = m[2] as string
  }
  return peers
}

function openStorage(options: ServeOptions, logger: Logger): Storage {
  const kind = options.storage ?? (options.dir !== undefined ? 'file' : 'memory')
  if (kind === 'file') {
    if (options.dir === undefined) throw flagError('--dir', 'is required with --storage file')
    return new FileStorage({ dir: options.dir, logger })
  }
  if (kind === 'sqlite') {
    const path = options.path ?? (options.dir === undefined ? undefined : `${options.dir}/tributary.db`)
    if (path === undefined) throw flagError('--path', 'is required with --storage sqlite (or give --dir)')
    return new SqliteStorage({ path })
  }
  if (options.dir !== undefined || options.path !== undefined) throw flagError('--storage', 'memory takes neither --dir nor --path')
  return new MemoryStorage()
}

function serverOptions(options: ServeOptions, broker: Broker, logger: Logger): KafkaServerOptions {
  const out: KafkaServerOptions = { broker, listen: options.kafka, logger, insecure: options.insecure === true }
  if (options.advertise !== undefined) out.advertise = options.advertise
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw flagError('--tls-cert', 'and --tls-key go together')
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    out.tls = { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) }
  }
  if (options.saslUsers !== undefined) {
    const mechanisms = options.saslMechanisms?.split(',').map((m) => m.trim()) as SaslMechanism[] | undefined
    out.sasl = { usersFile: options.saslUsers, ...(mechanisms ? { mechanisms } : {}) }
  } else if (options.saslMechanisms !== undefined) {
    throw flagError('--sasl-mechanisms', 'needs --sasl-users')
  }
  // In cluster mode the listener takes the node's own ACL (node.acl).
  if (options.acl !== undefined && options.nodeId === undefined && options.listen === undefined && options.peers === undefined)
    out.acl = readAcl(options.acl) as never
  return out
}

/** readAcl reads --acl's JSON file (checked by the listener's options: INVALID_CONFIG naming the entry). */
function readAcl(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw flagError('--acl', `must name a JSON file: ${(error as Error).message}`)
  }
}

/**
 * untilStopped resolves once SIGTERM or SIGINT has closed the node (a second signal exits at once).
 * Started by a process supervisor with an IPC channel (tests/supervisor), it also reports
 * `{ type: 'ready', kafka: 'host:port' }`, stops on `{ type: 'stop' }` and when the parent goes.
 */
function untilStopped(serving: Serving): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false
    const stop = (why: string) => {
      if (stopping) process.exit(130)
      stopping = true
      process.stderr.write(`tributary: ${why}, closing\n`)
      serving.close().then(
        () => {
          if (process.connected) process.disconnect()
          resolve()
        },
        (error: unknown) => {
          process.stderr.write(`tributary: close failed: ${(error as Error).message}\n`)
          process.exitCode = 1
          if (process.connected) process.disconnect()
          resolve()
        },
      )
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
    if (process.send !== undefined) {
      process.on('message', (m: { type?: string }) => m?.type === 'stop' && stop('asked to stop'))
      process.on('disconnect', () => stop('the parent went away'))
      process.send({ type: 'ready', kafka: formatHostPort(serving.kafka), ui: serving.ui, metrics: serving.metrics })
    }
  })
}

function flagError(flag: string, why: string): TributaryError {
  return new TributaryError('INVALID_CONFIG', `${flag} ${why}`, { details: { path: flag } })
}
