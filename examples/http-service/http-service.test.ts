import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { kafkaEnv } from '../kafka-env'
import { startExample } from '../run-example'

/** start runs the service and resolves with its port once it listens. */
function start(dataDir: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = startExample('http-service', { PORT: '0', DATA_DIR: dataDir, ...env })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) resolve({ child, port: Number(m[1]) })
    })
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => reject(new Error(`service exited with ${code} before listening:\n${out}`)))
  })
}

/** post sends one order and resolves with the HTTP status (or 0 when the connection failed). */
function post(port: number, id: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/orders', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', () => resolve(0))
    req.end(JSON.stringify({ id, items: ['widget'] }))
  })
}

const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.once('exit', (code) => resolve(code)))

/** killAndRestart loads the service, SIGKILLs it, restarts it and checks that every accepted order is processed. */
async function killAndRestart(env: Record<string, string> = {}): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-http-'))
  const ids = Array.from({ length: 240 }, (_, i) => `order-${i}`)
  const accepted = new Set<string>()
  try {
    let service = await start(dataDir, env)
    // Load with 8 concurrent clients; kill the service once 80 orders are accepted.
    let next = 0
    let killed = false
    const client = async (): Promise<void> => {
      while (next < ids.length && !killed) {
        const id = ids[next++] as string
        if ((await post(service.port, id)) === 202) accepted.add(id)
        if (accepted.size >= 80 && !killed) {
          killed = true
          service.child.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: 8 }, client))
    await exited(service.child).catch(() => null)
    expect(accepted.size).toBeGreaterThanOrEqual(80)

    service = await start(dataDir, env)
    for (const id of ids) if (!accepted.has(id) && (await post(service.port, id)) === 202) accepted.add(id)
    expect(accepted.size).toBe(ids.length)

    const processedIds = async (): Promise<string[]> => (await readFile(join(dataDir, 'processed.log'), 'utf8')).split('\n').filter(Boolean)
    const deadline = Date.now() + 20_000
    for (;;) {
      const done = new Set(await processedIds())
      if (ids.every((id) => done.has(id))) break
      if (Date.now() > deadline) throw new Error(`only ${done.size} of ${ids.length} orders processed`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const stopped = exited(service.child)
    service.child.kill('SIGTERM')
    expect(await stopped).toBe(0)
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

test(
  'killed with SIGKILL mid-load and restarted, the service loses no accepted order and processes each at least once',
  () => killAndRestart(),
  60_000,
)

test('unchanged, over the Kafka protocol (KAFKA_BROKERS), a SIGKILL loses no accepted order either', async () => {
  const kafka = await kafkaEnv()
  try {
    await killAndRestart(kafka.env)
  } finally {
    await kafka.close()
  }
}, 90_000)
