/**
 * HTTP service: `POST /orders` appends each order to the `orders` topic with acks=all (it is on
 * disk) before answering 202, and a consumer group in the same process fulfils the orders,
 * recording each fulfilled order id durably in `processed.log`. Killed with SIGKILL and
 * restarted, it loses no accepted order: the log holds every acknowledged append, and the group
 * resumes from its committed offsets (at-least-once: an order may be fulfilled twice, never zero times).
 *
 * Run with `pnpm tsx examples/http-service/index.ts` (PORT default 3000, 0 picks a free port;
 * DATA_DIR default <os temp dir>/tributary-http-service, the same on every run so that a restart
 * finds its data, and outside the repository). Try: curl -XPOST localhost:3000/orders -d '{"id":"o-1"}'
 * With KAFKA_BROKERS=host:port,… the log is that Kafka cluster instead (see ../open-tributary.ts).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Tributary, TributaryError, type Producer } from '@tributary/client'
import { openTributary } from '../open-tributary'

const PORT = Number(process.env.PORT ?? 3000)
const DATA_DIR = process.env.DATA_DIR ?? join(tmpdir(), 'tributary-http-service')
const MAX_BODY_BYTES = 64 * 1024

async function main(): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true })
  const tb = await openTributary({ dir: join(DATA_DIR, 'log') })
  await tb.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 4 }] })
  const processed = await open(join(DATA_DIR, 'processed.log'), 'a')
  await startFulfilment(tb, processed)
  const producer = tb.producer({ acks: 'all' })
  const server = createServer((req, res) => void route(producer, req, res))
  server.listen(PORT, '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : PORT
    console.log(`listening on http://127.0.0.1:${port}`)
  })
  const shutdown = async (): Promise<void> => {
    server.close()
    await tb.close()
    await processed.close()
    console.log('stopped')
  }
  process.once('SIGTERM', () => void shutdown())
  process.once('SIGINT', () => void shutdown())
}

/** startFulfilment consumes orders; an order counts as fulfilled once its id is on disk. */
async function startFulfilment(tb: Tributary, processed: FileHandle): Promise<void> {
  // A static member (KIP-345): restarted after a crash, it takes its own place back at once. On a
  // Kafka cluster a member that dies without leaving otherwise holds its partitions for the session
  // timeout. Each running instance needs its own INSTANCE_ID.
  const consumer = tb.consumer({ groupId: 'fulfilment', groupInstanceId: process.env.INSTANCE_ID ?? 'fulfilment-1' })
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(String(message.value)) as { id: string }
      await processed.appendFile(`${order.id}\n`)
      // Durable before the handler resolves, so the offset is committed only after the record is safe.
      await processed.datasync()
    },
  })
}

async function route(producer: Producer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method === 'GET' && req.url === '/healthz') return reply(res, 200, { ok: true })
    if (req.method !== 'POST' || req.url !== '/orders') return reply(res, 404, { error: 'not found' })
    const order = parseOrder(await readBody(req))
    if (!order) return reply(res, 400, { error: 'expected a JSON object with a string "id"' })
    const [meta] = await producer.send({ topic: 'orders', messages: [{ key: order.id, value: JSON.stringify(order) }] })
    reply(res, 202, { accepted: order.id, partition: meta?.partition, offset: meta?.baseOffset })
  } catch (error) {
    const retriable = error instanceof TributaryError && error.retriable
    reply(res, retriable ? 503 : 500, { error: error instanceof Error ? error.message : String(error) })
  }
}

function parseOrder(body: string): { id: string } | null {
  try {
    const order = JSON.parse(body) as unknown
    return order !== null && typeof order === 'object' && typeof (order as { id?: unknown }).id === 'string'
      ? (order as { id: string })
      : null
  } catch {
    return null
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new TributaryError('MESSAGE_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
