/**
 * Codec bench: encodes and decodes 1,000,000 records (16-byte keys, 100-byte random values) in
 * batches of 1,000, three runs, and prints the median rate of each; then compares the native
 * CRC-32C against a pure-JS table implementation on 1 MiB, as the baseline that justifies the
 * native dependency. Run with `pnpm tsx bench/codec.ts`.
 */
import { randomBytes } from 'node:crypto'
import { crc32c } from '../packages/core/src/crc32c'
import type { RecordInput } from '../packages/core/src/model'
import { RecordBatch, encodeRecordBatch } from '../packages/core/src/record-batch'

const TOTAL_RECORDS = 1_000_000
const BATCH_RECORDS = 1_000
const RUNS = 3
const CRC_INPUT_BYTES = 1024 * 1024
const CRC_ROUNDS = 50

/**
 * makeBatch builds one batch of fresh records, as a producer would hand them over: small Buffers
 * copied out of a random pool (so they come from Node's pooled slab, like `Buffer.from(json)`).
 * It runs outside the timed section, and batches are not all kept alive at once, so the figure is
 * the codec's cost rather than the garbage collector marking a million input objects.
 */
function makeBatch(pool: Buffer, batchIndex: number): RecordInput[] {
  const records: RecordInput[] = []
  const baseTimestamp = 1_700_000_000_000
  for (let i = 0; i < BATCH_RECORDS; i++) {
    const at = ((batchIndex * BATCH_RECORDS + i) * 7919) % (pool.length - 116)
    records.push({
      key: Buffer.from(pool.subarray(at, at + 16)),
      value: Buffer.from(pool.subarray(at + 16, at + 116)),
      headers: [],
      timestamp: baseTimestamp + batchIndex * BATCH_RECORDS + i,
    })
  }
  return records
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

function benchCodec(): { encodePerSec: number; decodePerSec: number; batchBytes: number } {
  const pool = randomBytes(4 * 1024 * 1024)
  const batchCount = TOTAL_RECORDS / BATCH_RECORDS
  const encodeRates: number[] = []
  const decodeRates: number[] = []
  let encoded: Buffer[] = []
  let checksum = 0
  for (let run = 0; run < RUNS; run++) {
    encoded = []
    let encodeMs = 0
    for (let b = 0; b < batchCount; b++) {
      const records = makeBatch(pool, b)
      encodeMs += timeMs(() => encoded.push(encodeRecordBatch(records, { baseOffset: b * BATCH_RECORDS })))
    }
    const decodeMs = timeMs(() => {
      for (const buf of encoded) for (const record of RecordBatch.from(buf)) checksum += record.value!.length
    })
    encodeRates.push(TOTAL_RECORDS / (encodeMs / 1000))
    decodeRates.push(TOTAL_RECORDS / (decodeMs / 1000))
  }
  if (checksum !== RUNS * TOTAL_RECORDS * 100) throw new Error(`decoded ${checksum} value bytes, expected ${RUNS * TOTAL_RECORDS * 100}`)
  return { encodePerSec: median(encodeRates), decodePerSec: median(decodeRates), batchBytes: encoded[0]!.length }
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte: the JS baseline. */
const CRC_TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c
  }
  return table
})()

function crc32cTable(bytes: Uint8Array): number {
  let crc = -1
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}

function benchCrc(): { nativeMiBPerSec: number; tableMiBPerSec: number } {
  const input = randomBytes(CRC_INPUT_BYTES)
  if (crc32c(input) !== crc32cTable(input)) throw new Error('native and table CRC-32C disagree')
  const rate = (fn: (b: Uint8Array) => number) => {
    const rates: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const ms = timeMs(() => {
        for (let i = 0; i < CRC_ROUNDS; i++) fn(input)
      })
      rates.push(CRC_ROUNDS / (ms / 1000))
    }
    return median(rates)
  }
  return { nativeMiBPerSec: rate(crc32c), tableMiBPerSec: rate(crc32cTable) }
}

const codec = benchCodec()
const crc = benchCrc()
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(`records ${fmt(TOTAL_RECORDS)}, ${BATCH_RECORDS} per batch (${fmt(codec.batchBytes)} bytes), median of ${RUNS} runs`)
console.log(`  encode             ${fmt(codec.encodePerSec).padStart(12)} msgs/s`)
console.log(`  decode (CRC+iter)  ${fmt(codec.decodePerSec).padStart(12)} msgs/s`)
console.log(`CRC-32C over 1 MiB, median of ${RUNS} runs`)
console.log(`  @node-rs/crc32     ${fmt(crc.nativeMiBPerSec).padStart(12)} MiB/s`)
console.log(`  JS table           ${fmt(crc.tableMiBPerSec).padStart(12)} MiB/s`)
console.log(`  native wins: ${crc.nativeMiBPerSec > crc.tableMiBPerSec} (${(crc.nativeMiBPerSec / crc.tableMiBPerSec).toFixed(1)}x)`)
console.log(JSON.stringify({ bench: 'codec', ...codec, ...crc }))
