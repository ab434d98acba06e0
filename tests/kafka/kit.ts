import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Broker, LocalBroker, type LocalBrokerOptions, MemoryStorage, type Storage, silentLogger, type Logger } from '@tributary/core'
import { KafkaServer, type KafkaServerOptions } from '@tributary/kafka-protocol'
import { FileStorage } from '@tributary/storage-file'

/*
 * Test kit of the real-client tests: a KafkaServer over a LocalBroker on a free port, and child
 * processes (kcat, /usr/bin/python3) with their output collected. A client tool that is missing
 * fails the test with how to install it; it never skips.
 */

/** Served is a running server with its broker. */
export interface Served {
  readonly broker: LocalBroker
  readonly server: KafkaServer
  /** 'host:port' for clients' bootstrap lists. */
  readonly bootstrap: string
  /** Lines the server logged at warn or error (the tests assert there are none unless provoked). */
  readonly warnings: string[]
  close(): Promise<void>
}

/** ServeOptions pick the storage and broker settings of a test server. */
export interface ServeOptions {
  storage?: 'memory' | 'file'
  broker?: Omit<LocalBrokerOptions, 'storage'>
  server?: Omit<KafkaServerOptions, 'broker' | 'listen'>
}

/** serve starts a KafkaServer on 127.0.0.1 (a free port) over a new LocalBroker. */
export async function serve(options: ServeOptions = {}): Promise<Served> {
  const dir = options.storage === 'file' ? mkdtempSync(join(tmpdir(), 'tributary-kafka-')) : null
  const storage: Storage = dir === null ? new MemoryStorage() : new FileStorage({ dir })
  const broker = await LocalBroker.open({ storage, numPartitions: 1, ...options.broker })
  const warnings: string[] = []
  const logger: Logger = {
    ...silentLogger,
    warn: (m, f) => warnings.push(`WARN ${m} ${JSON.stringify(f ?? {})}`),
    error: (m, f) => warnings.push(`ERROR ${m} ${JSON.stringify(f ?? {})}`),
  }
  const server = await KafkaServer.start({ logger, ...options.server, broker, listen: '127.0.0.1:0' })
  return {
    broker,
    server,
    bootstrap: `127.0.0.1:${server.address.port}`,
    warnings,
    async close() {
      await server.close()
      await broker.close()
      if (dir !== null) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** requireTool fails (never skips) when a client tool is not installed. */
export function requireTool(command: string, install: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
  } catch {
    throw new Error(`${command} is not installed: ${install} (the Kafka client tests need it; .ci/run installs it)`)
  }
}

/** requirePython fails when /usr/bin/python3 cannot import a module (Debian's python3-kafka, python3-confluent-kafka). */
export function requirePython(module: string, debianPackage: string): void {
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' })
  } catch {
    throw new Error(`/usr/bin/python3 cannot import ${module}: apt-get install -y ${debianPackage} (.ci/run installs it)`)
  }
}

/** RunResult is a finished child process. */
export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** run runs a command to its end (killed after timeoutMs), feeding `input` on stdin. */
export function run(
  command: string,
  args: string[],
  options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}

/** Running is a long-lived child whose output is collected as it comes. */
export interface Running {
  readonly child: ChildProcess
  stdout(): string
  stderr(): string
  /** waitFor resolves once `test` holds on the output so far (polled), or rejects after timeoutMs. */
  waitFor(test: (stdout: string, stderr: string) => boolean, timeoutMs?: number, what?: string): Promise<void>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** start starts a long-lived child (a kcat consumer in a group, a Python consumer). */
export function start(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Running {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')))
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')))
  child.stdin?.on('error', () => undefined)
  if (options.input !== undefined) child.stdin?.end(options.input)
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(test, timeoutMs = 30_000, what = 'output') {
      const deadline = Date.now() + timeoutMs
      while (!test(out, err)) {
        if (child.exitCode !== null)
          throw new Error(`${command} exited (${child.exitCode}) before ${what}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`)
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`)
        await sleep(50)
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

/** sleep waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** readAll reads a partition from the beginning through the broker (to check what clients wrote). */
export async function readAll(
  broker: Broker,
  topic: string,
  partition: number,
): Promise<Array<{ offset: number; key: string | null; value: string | null; headers: Record<string, string> }>> {
  const { RecordBatch } = await import('@tributary/core')
  const out: Array<{ offset: number; key: string | null; value: string | null; headers: Record<string, string> }> = []
  let offset = 0
  for (;;) {
    const [r] = await broker.fetch({ partitions: [{ topic, partition, offset, maxBytes: 1 << 20 }], maxWaitMs: 0 })
    if (!r || r.error) throw r?.error ?? new Error('no fetch result')
    if (r.batches.length === 0) return out
    for (const b of r.batches) {
      for (const rec of RecordBatch.from(b)) {
        if (rec.offset < offset) continue
        out.push({
          offset: rec.offset,
          key: rec.key?.toString('utf8') ?? null,
          value: rec.value?.toString('utf8') ?? null,
          headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString('utf8') ?? ''])),
        })
        offset = rec.offset + 1
      }
    }
  }
}
