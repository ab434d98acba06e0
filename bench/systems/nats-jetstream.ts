import { AckPolicy, DeliverPolicy, StorageType, connect, type JetStreamClient, type NatsConnection, type PubAck } from 'nats'
import { messagePool } from '../lib/data'
import { freePort, requireBinary, startServer, type Server } from '../lib/servers'
import { nowMs } from '../lib/stats'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * nats-jetstream: a `nats-server -js` of our own (127.0.0.1, a free port, file storage in the
 * task's directory) with one file-backed stream. NATS messages have no key, so the payload is
 * the message's 16-byte key followed by its 100-byte value (the same bytes as everyone else).
 * Produce publishes asynchronously with at most PUBLISH_WINDOW acknowledgements outstanding;
 * consume is a durable pull consumer fetching batches of 1,000 and acknowledging each batch by
 * its last message (AckPolicy.All), the equivalent of a group member committing an offset.
 */

export const STREAM = 'bench'
export const SUBJECT = 'bench.messages'
const DURABLE = 'bench-group'
const PUBLISH_WINDOW = 2_000
const FETCH_COUNT = 1_000
const FETCH_EXPIRES_MS = 2_000

/** NatsSession runs the workloads against one stream, served by one nats-server or a cluster of them. */
export class NatsSession implements LogSession {
  constructor(
    private readonly servers: Server[],
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
  ) {}

  async produce({ count, deadlineMs }: ProduceOptions): Promise<number> {
    const pool = messagePool()
    // A FIFO of outstanding acknowledgements: the window is what bounds memory and in-flight work.
    const window: Promise<PubAck>[] = []
    let head = 0
    let sent = 0
    for (; sent < count; sent++) {
      if (window.length - head >= PUBLISH_WINDOW) {
        await window[head++]
        if (head === PUBLISH_WINDOW) {
          window.splice(0, head)
          head = 0
        }
        if (sent % 1000 === 0 && nowMs() > deadlineMs) break
      }
      window.push(this.js.publish(SUBJECT, pool.at(sent).payload))
    }
    await Promise.all(window.slice(head))
    return sent
  }

  async consume(count: number, deadlineMs: number): Promise<number> {
    const jsm = await this.nc.jetstreamManager()
    await jsm.consumers.add(STREAM, { durable_name: DURABLE, ack_policy: AckPolicy.All, deliver_policy: DeliverPolicy.All })
    const consumer = await this.js.consumers.get(STREAM, DURABLE)
    let seen = 0
    let payloadBytes = 0
    while (seen < count && nowMs() < deadlineMs) {
      const batch = await consumer.fetch({ max_messages: Math.min(FETCH_COUNT, count - seen), expires: FETCH_EXPIRES_MS })
      let last = null
      for await (const message of batch) {
        payloadBytes += message.data.length
        last = message
        seen++
      }
      if (last === null) break
      last.ack()
    }
    if (payloadBytes < 0) throw new Error('unreachable')
    return seen
  }

  async close(): Promise<void> {
    await this.nc.drain()
    await Promise.all(this.servers.map((s) => s.stop()))
  }

  serverPeakRssBytes(): number {
    return this.servers.reduce((total, s) => total + s.peakRssBytes(), 0)
  }
}

async function open(dir: string): Promise<LogSession> {
  requireBinary('nats-server')
  const port = await freePort()
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir]
  let nc: NatsConnection | null = null
  const server = await startServer('nats-server', args, port, async () => {
    nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false })
  })
  const connection = nc! as NatsConnection
  const jsm = await connection.jetstreamManager()
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File })
  return new NatsSession([server], connection, connection.jetstream())
}

export const natsJetstream: LogSystem = { name: 'nats-jetstream', persistent: true, open }
