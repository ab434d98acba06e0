/**
 * Quick storage-level benchmark of @tributary/storage-file: 1,000,000 messages (16-byte keys,
 * 100-byte values) in batches of 1,000, then a full read back, then acks=all appends from 64
 * concurrent writers. Run from the repo root: `pnpm tsx packages/storage-file/bench/append-read.ts`.
 * Prints the median of RUNS runs per figure.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeRecordBatch, RecordBatch, type RecordInput } from '@tributary/core'
import { FileStorage } from '../src/file-storage'

const MESSAGES = 1_000_000
const BATCH = 1_000
const RUNS = Number(process.env.RUNS ?? 5)
const CONFIG = { segmentBytes: 1024 * 1024 * 1024, segmentMs: 7 * 24 * 3600 * 1000, indexIntervalBytes: 4096 }
const TP = { topic: 'bench', partition: 0 }

function records(batch: number): RecordInput[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const key = Buffer.alloc(16)
    key.writeUInt32BE(batch * BATCH + i, 12)
    return { key, value: Buffer.alloc(100, i & 0xff), headers: [], timestamp: 1_700_000_000_000 + batch }
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function withStorage<T>(fn: (storage: FileStorage, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'))
  const storage = new FileStorage({ dir })
  await storage.open()
  try {
    return await fn(storage, dir)
  } finally {
    await storage.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One run: encode+append (acks=1), append of pre-encoded batches, full read with decode. */
async function run(inputs: RecordInput[][]): Promise<{ produce: number; appendOnly: number; read: number }> {
  return withStorage(async (storage) => {
    const log = storage.partitionLog(TP, CONFIG)
    let t = performance.now()
    for (const batch of inputs) log.append(encodeRecordBatch(batch))
    const produce = MESSAGES / ((performance.now() - t) / 1000)
    const encoded = inputs.map((batch) => encodeRecordBatch(batch))
    const log2 = storage.partitionLog({ topic: 'bench2', partition: 0 }, CONFIG)
    t = performance.now()
    for (const batch of encoded) log2.append(batch)
    const appendOnly = MESSAGES / ((performance.now() - t) / 1000)
    t = performance.now()
    let count = 0
    let valueBytes = 0
    for (let next = 0; next < log.endOffset(); ) {
      for (const buf of log.read(next, 1024 * 1024)) {
        const batch = RecordBatch.fromChecked(buf)
        for (const record of batch.records()) {
          count++
          valueBytes += record.value?.length ?? 0
        }
        next = batch.lastOffset + 1
      }
    }
    const read = count / ((performance.now() - t) / 1000)
    if (count !== MESSAGES || valueBytes !== MESSAGES * 100) throw new Error(`read back ${count} messages`)
    return { produce, appendOnly, read }
  })
}

/** acks=all: 64 writers each append a batch of 100 and await sync(), over and over. */
async function runAcksAll(): Promise<{ msgsPerSec: number; syncsPerSec: number }> {
  return withStorage(async (storage) => {
    const log = storage.partitionLog(TP, CONFIG)
    const batch = records(0).slice(0, 100)
    const deadline = performance.now() + 2000
    let messages = 0
    let acks = 0
    const writer = async (): Promise<void> => {
      while (performance.now() < deadline) {
        log.append(encodeRecordBatch(batch))
        await log.sync()
        messages += batch.length
        acks++
      }
    }
    const t = performance.now()
    await Promise.all(Array.from({ length: 64 }, writer))
    const seconds = (performance.now() - t) / 1000
    return { msgsPerSec: messages / seconds, syncsPerSec: acks / seconds }
  })
}

/**
 * framedLoop is the baseline: the floor of the JS work any log must do, copying each
 * message's length-prefixed key and value into 1 MiB buffers written with fs.writeSync.
 */
function framedLoop(inputs: RecordInput[][]): number {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-floor-'))
  const fd = openSync(join(dir, 'floor.log'), 'w')
  const buf = Buffer.allocUnsafe(1024 * 1024)
  let used = 0
  const t = performance.now()
  for (const batch of inputs) {
    for (const record of batch) {
      const key = record.key!
      const value = record.value!
      if (used + 8 + key.length + value.length > buf.length) {
        writeSync(fd, buf, 0, used)
        used = 0
      }
      buf.writeInt32BE(key.length, used)
      used += 4 + key.copy(buf, used + 4)
      buf.writeInt32BE(value.length, used)
      used += 4 + value.copy(buf, used + 4)
    }
  }
  writeSync(fd, buf, 0, used)
  const rate = MESSAGES / ((performance.now() - t) / 1000)
  closeSync(fd)
  rmSync(dir, { recursive: true, force: true })
  return rate
}

async function main(): Promise<void> {
  const inputs = Array.from({ length: MESSAGES / BATCH }, (_, b) => records(b))
  const results = []
  const floors = []
  for (let i = 0; i < RUNS; i++) {
    floors.push(framedLoop(inputs))
    results.push(await run(inputs))
  }
  const acksAll = await runAcksAll()
  const fmt = (n: number): string => `${(n / 1e6).toFixed(2)}M msgs/s`
  const produce = median(results.map((r) => r.produce))
  const floor = median(floors)
  console.log(`framed-loop floor (baseline):      ${fmt(floor)}`)
  console.log(`produce (encode + append, acks=1): ${fmt(produce)} (${((100 * produce) / floor).toFixed(0)}% of the floor)`)
  console.log(`append only (pre-encoded batches): ${fmt(median(results.map((r) => r.appendOnly)))}`)
  console.log(`read back + lazy decode:          ${fmt(median(results.map((r) => r.read)))}`)
  console.log(`acks=all, 64 writers x 100 msgs:  ${fmt(acksAll.msgsPerSec)} (${acksAll.syncsPerSec.toFixed(0)} acks/s)`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
