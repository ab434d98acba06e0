import Redis from 'ioredis'
import { messagePool } from '../lib/data'
import { freePort, requireBinary, startServer, type Server } from '../lib/servers'
import { nowMs } from '../lib/stats'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * redis-streams: a redis-server of our own (127.0.0.1, a free port, data in the task's
 * directory) with `appendonly yes` and `appendfsync everysec` — Redis's durable setting that
 * compares with acks=1 plus a background flush. Produce pipelines XADD (fields `k` and `v`) in
 * batches of 1,000; consume reads with XREADGROUP COUNT 1,000 and acknowledges each batch with
 * one XACK, as one consumer-group member would.
 */

const STREAM = 'bench'
const GROUP = 'bench-group'
const READ_COUNT = 1_000

class RedisSession implements LogSession {
  constructor(
    private readonly server: Server,
    private readonly redis: Redis,
  ) {}

  async produce({ count, batchSize, deadlineMs }: ProduceOptions): Promise<number> {
    const pool = messagePool()
    let sent = 0
    while (sent < count && nowMs() < deadlineMs) {
      const n = Math.min(batchSize, count - sent)
      const pipeline = this.redis.pipeline()
      for (let i = 0; i < n; i++) {
        const { key, value } = pool.at(sent + i)
        pipeline.xadd(STREAM, '*', 'k', key, 'v', value)
      }
      const replies = await pipeline.exec()
      const failed = replies?.find(([error]) => error)
      if (failed) throw failed[0]
      sent += n
    }
    return sent
  }

  async consume(count: number, deadlineMs: number): Promise<number> {
    await this.redis.xgroup('CREATE', STREAM, GROUP, '0', 'MKSTREAM').catch((error: Error) => {
      if (!error.message.includes('BUSYGROUP')) throw error
    })
    let seen = 0
    let valueBytes = 0
    const acks: Promise<unknown>[] = []
    while (seen < count && nowMs() < deadlineMs) {
      const reply = (await this.redis.callBuffer('XREADGROUP', [
        'GROUP',
        GROUP,
        'consumer-1',
        'COUNT',
        READ_COUNT,
        'STREAMS',
        STREAM,
        '>',
      ])) as [Buffer, [Buffer, Buffer[]][]][] | null
      const entries = reply?.[0]?.[1] ?? []
      if (entries.length === 0) break
      const ids: Buffer[] = []
      for (const [id, fields] of entries) {
        valueBytes += fields[3]!.length
        ids.push(id)
      }
      seen += entries.length
      // Sent without waiting: the connection keeps commands in order, so the next read is
      // pipelined behind this acknowledgement, as a careful hand-written consumer would do.
      acks.push(this.redis.xack(STREAM, GROUP, ...ids))
    }
    await Promise.all(acks)
    if (valueBytes < 0) throw new Error('unreachable')
    return seen
  }

  async close(): Promise<void> {
    this.redis.disconnect()
    await this.server.stop()
  }

  serverPeakRssBytes(): number {
    return this.server.peakRssBytes()
  }
}

async function open(dir: string): Promise<LogSession> {
  requireBinary('redis-server')
  const port = await freePort()
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'yes',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--loglevel',
    'warning',
  ]
  let redis: Redis | null = null
  const server = await startServer('redis-server', args, port, async () => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      protocol: 2,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    // The first probes are refused while the server starts; the rejection below reports them.
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
      redis = client
    } catch (error) {
      client.disconnect()
      throw error
    }
  })
  return new RedisSession(server, redis!)
}

export const redisStreams: LogSystem = { name: 'redis-streams', persistent: true, open }
