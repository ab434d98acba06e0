import { execFileSync } from 'node:child_process'
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
export { run, start, type RunResult, type Running } from '@tributary/core/testing'

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
