import { connect } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { messagePool } from '../lib/data'
import { freePort, startServer, type Server } from '../lib/servers'
import { nowMs } from '../lib/stats'
import { importOptional, type TributaryApi } from './tributary-api'
import { GROUP_ID, TOPIC, TributarySession, untilDeadline } from './tributary'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * Two Kafka clients against the same Kafka protocol server, `tributary serve` (file storage, its
 * own process, 127.0.0.1 on a free port), driven the same way as the other systems:
 *
 * - tributary-kafka-client: Tributary's own client over the Kafka protocol
 *   (`Tributary.connect({ kafka })`, the KafkaBroker of @tributary/kafka-protocol), with the
 *   settings of tributary-file (acks=1, not idempotent, lingerMs 0, one record batch per send of
 *   1,000; `eachBatch`).
 * - kafkajs: KafkaJS 2.2.4, the Node Kafka client most code is written against, with acks=1 and
 *   no compression (one Produce request per send of 1,000); `eachBatch`.
 *
 * The server is stopped with the session, and started again over the same directory when the
 * consume workload reopens the system (reads then come from its segment files).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = path.join(ROOT, 'packages', 'cli', 'src', 'bin.ts')

/**
 * SERVE_STARTUP_LIMIT_MS bounds the start of `tributary serve`: it runs from source through tsx,
 * which took over 10 s on the shared 2-core machine under a load average of 15.
 */
const SERVE_STARTUP_LIMIT_MS = 60_000

/** startServe runs `tributary serve --dir <dir>/serve` and resolves once it accepts connections. */
export async function startServe(dir: string): Promise<Server> {
  const port = await freePort()
  // The CLI runs from source through the tsx loader, which finds the workspace packages through this tsconfig.
  process.env.TSX_TSCONFIG_PATH ??= path.join(ROOT, 'tsconfig.json')
  // BENCH_SERVE_CPU_PROF=<dir> profiles the server (read it with bench/cpu-profile-summary.ts).
  const profileDir = process.env.BENCH_SERVE_CPU_PROF
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []
  const args = [
    ...profile,
    '--import',
    'tsx',
    CLI,
    'serve',
    '--dir',
    path.join(dir, 'serve'),
    '--kafka',
    `127.0.0.1:${port}`,
    '--log-level',
    'warn',
  ]
  return startServer(process.execPath, args, port, () => canConnect(port), SERVE_STARTUP_LIMIT_MS)
}

function canConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('error', reject)
  })
}

/** ServedSession is a client session plus the `tributary serve` it talks to. */
export class ServedSession implements LogSession {
  constructor(
    private readonly client: LogSession,
    private readonly server: Server,
  ) {}
  produce(options: ProduceOptions): Promise<number> {
    return this.client.produce(options)
  }
  consume(count: number, deadlineMs: number): Promise<number> {
    return this.client.consume(count, deadlineMs)
  }
  async close(): Promise<void> {
    try {
      await this.client.close()
    } finally {
      await this.server.stop()
    }
  }
  serverPeakRssBytes(): number {
    return this.server.peakRssBytes()
  }
}

export const tributaryKafkaClient: LogSystem = {
  name: 'tributary-kafka-client',
  persistent: true,
  async open(dir) {
    const Tributary = (await importOptional('@tributary/client', 'Tributary')) as {
      connect(options: { kafka: { brokers: string[] } }): Promise<TributaryApi>
    }
    const server = await startServe(dir)
    try {
      const tb = await Tributary.connect({ kafka: { brokers: [`127.0.0.1:${server.port}`] } })
      return new ServedSession(new TributarySession(tb), server)
    } catch (error) {
      await server.stop()
      throw error
    }
  },
}

// ---- KafkaJS ------------------------------------------------------------------------------------

interface KafkaJsModule {
  Kafka: new (config: { clientId: string; brokers: string[]; logLevel: number }) => KafkaJs
  logLevel: { NOTHING: number }
  Partitioners: { DefaultPartitioner: unknown }
}
interface KafkaJs {
  producer(options: object): {
    connect(): Promise<void>
    send(r: { topic: string; acks: number; messages: Array<{ key: Buffer | null; value: Buffer | null }> }): Promise<unknown>
    disconnect(): Promise<void>
  }
  consumer(options: object): {
    connect(): Promise<void>
    subscribe(r: { topic: string; fromBeginning: boolean }): Promise<void>
    run(r: { eachBatch: (p: { batch: { messages: Array<{ value: Buffer | null }> } }) => Promise<void> }): Promise<void>
    stop(): Promise<void>
    disconnect(): Promise<void>
  }
  admin(): {
    connect(): Promise<void>
    createTopics(r: { topics: Array<{ topic: string; numPartitions: number }> }): Promise<boolean>
    disconnect(): Promise<void>
  }
}

class KafkaJsSession implements LogSession {
  private topicCreated = false

  constructor(
    private readonly kafkajs: KafkaJsModule,
    private readonly kafka: KafkaJs,
  ) {}

  async produce({ count, batchSize, deadlineMs }: ProduceOptions): Promise<number> {
    await this.ensureTopic()
    const pool = messagePool()
    const producer = this.kafka.producer({ createPartitioner: this.kafkajs.Partitioners.DefaultPartitioner, idempotent: false })
    await producer.connect()
    let sent = 0
    while (sent < count && nowMs() < deadlineMs) {
      const n = Math.min(batchSize, count - sent)
      await producer.send({ topic: TOPIC, acks: 1, messages: pool.batch(sent, n) })
      sent += n
    }
    await producer.disconnect()
    return sent
  }

  async consume(count: number, deadlineMs: number): Promise<number> {
    const consumer = this.kafka.consumer({ groupId: GROUP_ID, maxWaitTimeInMs: 500 })
    await consumer.connect()
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    let seen = 0
    let valueBytes = 0
    await untilDeadline(
      new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              for (const message of batch.messages) valueBytes += message.value?.length ?? 0
              seen += batch.messages.length
              if (seen >= count) resolve()
            },
          })
          .catch(reject)
      }),
      deadlineMs,
    )
    await consumer.stop()
    await consumer.disconnect()
    if (valueBytes < 0) throw new Error('unreachable')
    return seen
  }

  private async ensureTopic(): Promise<void> {
    if (this.topicCreated) return
    const admin = this.kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })
    await admin.disconnect()
    this.topicCreated = true
  }

  async close(): Promise<void> {}

  serverPeakRssBytes(): number {
    return 0
  }
}

export const kafkaJs: LogSystem = {
  name: 'kafkajs',
  persistent: true,
  async open(dir) {
    const kafkajs = (await import('kafkajs')) as unknown as KafkaJsModule
    const server = await startServe(dir)
    const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${server.port}`], logLevel: kafkajs.logLevel.NOTHING })
    return new ServedSession(new KafkaJsSession(kafkajs, kafka), server)
  },
}
