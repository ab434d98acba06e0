/**
 * Compression codecs on 1 MiB of JSON-ish records: compress and decompress throughput (MB/s of
 * plain data) and ratio of each of Kafka's codecs as Tributary registers them. A standalone
 * script, not a bench workload: `pnpm tsx bench/compression-codecs.ts [rounds]`. Each figure is
 * the best of `rounds` (default 7) rounds of 0.3 s: on a shared machine other work only ever slows
 * a round down, so the best round is the closest to the codec's own speed.
 */
import { CompressionTypes, MAX_DECOMPRESSED_BATCH_BYTES, getCompressionCodec, type CompressionType } from '@tributary/core'
import { registerKafkaCodecs } from '@tributary/kafka-protocol'

const MIB = 1024 * 1024
const rounds = Number(process.argv[2] ?? 7)
const ROUND_NS = 300_000_000n

/** records builds `bytes` of newline-separated JSON events, with the variety of real payloads. */
function records(bytes: number): Buffer {
  const events = ['page_view', 'add_to_cart', 'checkout', 'search']
  let out = ''
  for (let i = 0; out.length < bytes; i++) {
    const n = Math.imul(i + 1, 2654435761) >>> 0
    out += `${JSON.stringify({
      id: `evt-${(n % 1e9).toString(36)}-${i}`,
      userId: `user-${n % 20_000}`,
      type: events[n % 4],
      amountCents: n % 100_000,
      currency: n % 3 === 0 ? 'EUR' : 'USD',
      at: new Date(1_700_000_000_000 + i * 137).toISOString(),
      tags: [`t${n % 17}`, `t${n % 5}`],
    })}\n`
  }
  return Buffer.from(out).subarray(0, bytes)
}

/** rate returns the best MB/s (of `bytes` per call) over `rounds` rounds of calling `fn`. */
function rate(fn: () => unknown, bytes: number): number {
  for (let i = 0; i < 3; i++) fn() // warm up (loads the native package, fills caches)
  let best = 0
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    let calls = 0
    let elapsedNs = 0n
    do {
      fn()
      calls++
      elapsedNs = process.hrtime.bigint() - start
    } while (elapsedNs < ROUND_NS)
    best = Math.max(best, (bytes * calls) / 1e6 / (Number(elapsedNs) / 1e9))
  }
  return best
}

registerKafkaCodecs()
const plain = records(MIB)
const rows: string[][] = [['codec', 'package', 'compress MB/s', 'decompress MB/s', 'ratio']]
const packages: Record<CompressionType, string> = {
  none: '-',
  gzip: 'node:zlib',
  snappy: 'snappy (xerial framing)',
  lz4: 'lz4-napi (frame, 64 KiB blocks)',
  zstd: 'zstd-napi (level 3)',
}
for (const type of Object.keys(CompressionTypes) as CompressionType[]) {
  if (type === 'none') continue
  const codec = getCompressionCodec(type)
  const packed = codec.compress(plain)
  if (!codec.decompress(packed, MAX_DECOMPRESSED_BATCH_BYTES).equals(plain)) throw new Error(`${type} does not round-trip`)
  const c = rate(() => codec.compress(plain), plain.length)
  const d = rate(() => codec.decompress(packed, MAX_DECOMPRESSED_BATCH_BYTES), plain.length)
  rows.push([type, packages[type], c.toFixed(0), d.toFixed(0), (plain.length / packed.length).toFixed(2)])
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '))
console.log(`\n1 MiB of JSON records; best of ${rounds} rounds of 0.3 s; Node ${process.version}, one thread.`)
