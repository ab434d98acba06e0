import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { StorageType, connect } from 'nats'
import { freePort, requireBinary, sleep, startServer, type Server } from '../lib/servers'
import { nowMs } from '../lib/stats'
import { NatsSession, STREAM, SUBJECT } from './nats-jetstream'
import type { LogSession, LogSystem } from './types'

/**
 * nats-jetstream-r3: three `nats-server` processes of our own clustered on 127.0.0.1 (each with
 * `server_name`, a `cluster { name, listen, routes }` block and its own `jetstream { store_dir }`
 * in the task's directory), and one file-storage stream with `num_replicas: 3`. A publish is
 * acknowledged once the stream's Raft group has it on a quorum of the three servers (JetStream
 * writes it to the page cache and fsyncs in the background). Produce and consume are the
 * single-node nats-jetstream's: asynchronous `js.publish` with at most PUBLISH_WINDOW
 * acknowledgements outstanding (the same `NatsSession`), the 116-byte key + value as the payload (NATS has no keys); a
 * durable pull consumer fetching 1,000 at a time and acknowledging each batch by its last message.
 */

const SERVERS = 3
/** The JetStream meta group elects its leader after the routes connect; stream creation waits for it. */
const STREAM_CREATE_LIMIT_MS = 20_000

/** config is one server's configuration file: client port, cluster routes to the others, its store. */
function config(name: string, port: number, clusterPort: number, routePorts: number[], storeDir: string): string {
  return [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${port}`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
    'cluster {',
    '  name: bench',
    `  listen: 127.0.0.1:${clusterPort}`,
    `  routes: [${routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]`,
    '}',
    '',
  ].join('\n')
}

async function open(dir: string): Promise<LogSession> {
  requireBinary('nats-server')
  const ports: number[] = []
  const clusterPorts: number[] = []
  for (let i = 0; i < SERVERS; i++) {
    ports.push(await freePort())
    clusterPorts.push(await freePort())
  }
  const servers: Server[] = []
  try {
    await Promise.all(
      ports.map(async (port, i) => {
        const name = `n${i + 1}`
        const home = path.join(dir, name)
        mkdirSync(home, { recursive: true })
        const file = path.join(home, 'nats.conf')
        writeFileSync(
          file,
          config(
            name,
            port,
            clusterPorts[i]!,
            clusterPorts.filter((_, j) => j !== i),
            path.join(home, 'jetstream'),
          ),
        )
        servers.push(
          await startServer('nats-server', ['-c', file], port, async () => {
            const probe = await connect({ servers: `127.0.0.1:${port}`, reconnect: false })
            await probe.close()
          }),
        )
      }),
    )
    const nc = await connect({ servers: ports.map((p) => `127.0.0.1:${p}`) })
    await createStream(async () => {
      const jsm = await nc.jetstreamManager({ timeout: 2_000 })
      await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File, num_replicas: SERVERS })
    })
    return new NatsSession(servers, nc, nc.jetstream())
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
}

/** createStream retries while the JetStream cluster has no meta leader yet ("temporarily unavailable"). */
async function createStream(add: () => Promise<void>): Promise<void> {
  const deadline = nowMs() + STREAM_CREATE_LIMIT_MS
  for (;;) {
    try {
      return await add()
    } catch (error) {
      if (nowMs() > deadline) throw new Error(`nats-server cluster: no stream after ${STREAM_CREATE_LIMIT_MS} ms: ${String(error)}`)
      await sleep(100)
    }
  }
}

export const natsJetstreamR3: LogSystem = { name: 'nats-jetstream-r3', persistent: true, open }
