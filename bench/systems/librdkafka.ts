import { spawn, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MESSAGE_PAYLOAD_BYTES, messagePool } from '../lib/data'
import { nowMs } from '../lib/stats'
import { SkipError } from '../lib/types'
import { ServedSession, startServe } from './kafka-serve'
import { GROUP_ID, TOPIC } from './tributary'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * librdkafka: the C client that kcat, confluent-kafka (Python, Go, .NET) and most non-Java Kafka
 * users run, against `tributary serve` (file storage, its own process, as for kafkajs).
 *
 * The driver is a small C program, rdkafka-bench.c beside this file, compiled by `open` into the
 * run's directory against Debian's librdkafka-dev (2.0.2) with gcc: a binary is never committed.
 * It reads the bench's message pool from a file (the same 16-byte keys and 100-byte values as
 * every other system) and produces with acks=1, no compression, not idempotent, `linger.ms` 5 and
 * `batch.num.messages` 10,000 (librdkafka's own batching replaces the sends of 1,000: its API is
 * one message per call); it consumes as one consumer-group member from the earliest offset with
 * `rd_kafka_consumer_poll`, touching every value, librdkafka's fetch defaults unchanged. The time
 * includes starting the program and connecting, as KafkaJS's includes `connect()`.
 */

const SOURCE = fileURLToPath(new URL('./rdkafka-bench.c', import.meta.url))
const HEADER = '/usr/include/librdkafka/rdkafka.h'
/** GRACE_MS is how long past its own limit the driver may take to flush before it is killed. */
const GRACE_MS = 20_000

/** compile builds the driver into `dir`, or throws SkipError when gcc or librdkafka-dev is missing. */
function compile(dir: string): string {
  if (!existsSync(HEADER)) throw new SkipError('librdkafka-dev not installed (run bench/peers/install.sh)')
  const binary = path.join(dir, 'rdkafka-bench')
  const built = spawnSync('gcc', ['-O2', '-o', binary, SOURCE, '-lrdkafka'], { encoding: 'utf8' })
  if (built.error) throw new SkipError(`gcc not available: ${built.error.message}`)
  if (built.status !== 0) throw new Error(`compiling rdkafka-bench.c failed: ${built.stderr.trim()}`)
  return binary
}

/** writePool writes the message pool as the driver reads it: records of key then value. */
function writePool(dir: string): string {
  const pool = messagePool()
  const file = path.join(dir, 'rdkafka-pool.bin')
  const count = 65_536
  const bytes = Buffer.allocUnsafe(count * MESSAGE_PAYLOAD_BYTES)
  for (let i = 0; i < count; i++) pool.at(i).payload.copy(bytes, i * MESSAGE_PAYLOAD_BYTES)
  writeFileSync(file, bytes)
  return file
}

/** run starts the driver and resolves with the messages it reports. */
function run(binary: string, args: string[], limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString()
    })
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs + GRACE_MS)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(killer)
      if (code !== 0) return reject(new Error(`rdkafka-bench ${args[0]} exited with ${code ?? signal}: ${stderr.trim().slice(-2000)}`))
      try {
        const report = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { messages: number }
        resolve(report.messages)
      } catch {
        reject(new Error(`rdkafka-bench ${args[0]} printed no report: ${stdout.slice(0, 500)}`))
      }
    })
  })
}

class RdKafkaSession implements LogSession {
  constructor(
    private readonly binary: string,
    private readonly poolFile: string,
    private readonly broker: string,
  ) {}

  produce({ count, deadlineMs }: ProduceOptions): Promise<number> {
    const limitMs = Math.max(1, Math.floor(deadlineMs - nowMs()))
    return run(this.binary, ['produce', this.broker, TOPIC, this.poolFile, String(count), String(limitMs)], limitMs)
  }

  consume(count: number, deadlineMs: number): Promise<number> {
    const limitMs = Math.max(1, Math.floor(deadlineMs - nowMs()))
    return run(this.binary, ['consume', this.broker, TOPIC, GROUP_ID, String(count), String(limitMs)], limitMs)
  }

  async close(): Promise<void> {}

  serverPeakRssBytes(): number {
    return 0
  }
}

export const librdkafka: LogSystem = {
  name: 'librdkafka',
  persistent: true,
  async open(dir) {
    const binary = existsSync(path.join(dir, 'rdkafka-bench')) ? path.join(dir, 'rdkafka-bench') : compile(dir)
    const poolFile = existsSync(path.join(dir, 'rdkafka-pool.bin')) ? path.join(dir, 'rdkafka-pool.bin') : writePool(dir)
    const server = await startServe(dir)
    return new ServedSession(new RdKafkaSession(binary, poolFile, `127.0.0.1:${server.port}`), server)
  },
}
