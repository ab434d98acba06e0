/**
 * SqliteStorage append and read-back throughput against a hand-written better-sqlite3 baseline,
 * measured in the same run. Workload (issue 5): 1,000,000 messages, 16-byte keys, 100-byte values,
 * batches of 1,000, acks=1 (append, no sync). Three runs; medians printed as a table and as JSON.
 *
 *   pnpm tsx packages/storage-sqlite/bench/append-read.ts
 *
 * - tributary encode+append: the producer encodes each batch of 1,000 (encodeRecordBatch) and the
 *   log appends it: what one producer with acks=1 costs end to end.
 * - tributary append only: the same appends of batches encoded beforehand (storage cost alone).
 * - tributary read: read() from 0 to the end in 1 MiB fetches, decoding every record with
 *   RecordBatch.records() and touching its key and value.
 * - baseline: the loop a user would write by hand: one row per message (id, key, value,
 *   timestamp) inserted in transactions of 1,000 with the same WAL + synchronous=NORMAL, and read
 *   back with one iterate() over the table.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { RecordBatch, encodeRecordBatch } from '@tributary/core'
import type { RecordInput } from '@tributary/core'
import { createRandom } from '@tributary/core/testing'
import { SqliteStorage } from '../src/index'

const TOTAL_MESSAGES = 1_000_000
const BATCH_MESSAGES = 1_000
const KEY_BYTES = 16
const VALUE_BYTES = 100
const RUNS = 3
const FETCH_BYTES = 1024 * 1024
const LOG_CONFIG = { segmentBytes: 1_073_741_824, segmentMs: 604_800_000, indexIntervalBytes: 4096 }

type Result = Record<string, number>

/** makeBatches builds the messages once, outside every timed section. */
function makeBatches(): RecordInput[][] {
  const random = createRandom(5)
  const pool = random.bytes((KEY_BYTES + VALUE_BYTES) * 4096)
  const batches: RecordInput[][] = []
  for (let b = 0; b < TOTAL_MESSAGES / BATCH_MESSAGES; b++) {
    const batch: RecordInput[] = []
    for (let i = 0; i < BATCH_MESSAGES; i++) {
      const at = ((b * BATCH_MESSAGES + i) % 4096) * (KEY_BYTES + VALUE_BYTES)
      batch.push({
        key: pool.subarray(at, at + KEY_BYTES),
        value: pool.subarray(at + KEY_BYTES, at + KEY_BYTES + VALUE_BYTES),
        headers: [],
        timestamp: 1_700_000_000_000 + b,
      })
    }
    batches.push(batch)
  }
  return batches
}

function rate(count: number, startNs: bigint): number {
  return Math.round((count / Number(process.hrtime.bigint() - startNs)) * 1e9)
}

async function tributary(dir: string, batches: RecordInput[][], preEncode: boolean): Promise<Result> {
  const storage = new SqliteStorage({ path: join(dir, preEncode ? 'pre.db' : 'tributary.db') })
  await storage.open()
  const log = storage.partitionLog({ topic: 'bench', partition: 0 }, LOG_CONFIG)
  const encoded = preEncode ? batches.map((records) => encodeRecordBatch(records)) : []
  let start = process.hrtime.bigint()
  if (preEncode) for (const batch of encoded) log.append(batch)
  else for (const records of batches) log.append(encodeRecordBatch(records))
  const appendRate = rate(TOTAL_MESSAGES, start)
  await storage.sync()
  start = process.hrtime.bigint()
  let count = 0
  let bytes = 0
  for (let next = 0; next < log.endOffset(); ) {
    for (const buf of log.read(next, FETCH_BYTES)) {
      const batch = RecordBatch.fromChecked(buf)
      for (const record of batch.records()) {
        count++
        bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0)
      }
      next = batch.lastOffset + 1
    }
  }
  const readRate = rate(count, start)
  if (count !== TOTAL_MESSAGES || bytes !== TOTAL_MESSAGES * (KEY_BYTES + VALUE_BYTES))
    throw new Error(`read back ${count} messages, ${bytes} bytes`)
  await storage.close()
  return { appendRate, readRate }
}

function baseline(dir: string, batches: RecordInput[][]): Result {
  const db = new Database(join(dir, 'baseline.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE messages (id INTEGER PRIMARY KEY, key BLOB, value BLOB, ts INTEGER NOT NULL)')
  const insert = db.prepare('INSERT INTO messages (id, key, value, ts) VALUES (?, ?, ?, ?)')
  let id = 0
  const insertBatch = db.transaction((records: RecordInput[]) => {
    for (const r of records) insert.run(id++, r.key, r.value, r.timestamp)
  })
  let start = process.hrtime.bigint()
  for (const records of batches) insertBatch(records)
  const appendRate = rate(TOTAL_MESSAGES, start)
  start = process.hrtime.bigint()
  let count = 0
  let bytes = 0
  for (const row of db.prepare('SELECT id, key, value, ts FROM messages ORDER BY id').iterate() as IterableIterator<{
    key: Buffer
    value: Buffer
  }>) {
    count++
    bytes += row.key.length + row.value.length
  }
  const readRate = rate(count, start)
  if (count !== TOTAL_MESSAGES || bytes !== TOTAL_MESSAGES * (KEY_BYTES + VALUE_BYTES)) throw new Error(`baseline read back ${count} rows`)
  db.close()
  return { appendRate, readRate }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function main(): Promise<void> {
  const batches = makeBatches()
  const runs: Result[] = []
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-bench-'))
    try {
      // Alternate the order so that neither side always runs on a cold (or warm) machine.
      const baseFirst = run % 2 === 0
      const base = baseFirst ? baseline(dir, batches) : undefined
      const full = await tributary(dir, batches, false)
      const pre = await tributary(dir, batches, true)
      const after = base ?? baseline(dir, batches)
      const result = {
        baselineInsert: after.appendRate,
        baselineRead: after.readRate,
        encodeAndAppend: full.appendRate,
        appendOnly: pre.appendRate,
        read: full.readRate,
        // Ratios per run, so that load from other processes on the machine cancels out.
        appendOnlyVsBaseline: round2(pre.appendRate / after.appendRate),
        encodeAndAppendVsBaseline: round2(full.appendRate / after.appendRate),
        readVsBaseline: round2(full.readRate / after.readRate),
      }
      runs.push(result)
      console.error(`run ${run + 1}: ${JSON.stringify(result)}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const keys = Object.keys(runs[0] ?? {})
  const medians = Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k] ?? 0))]))
  console.table(
    keys.map((k) => ({
      measure: k,
      median: (medians[k] ?? 0).toLocaleString('en-US'),
      runs: runs.map((r) => (r[k] ?? 0).toLocaleString('en-US')).join(' / '),
    })),
  )
  console.log('Rates are messages/s; *VsBaseline are per-run ratios against the hand-written loop.')
  console.log(
    JSON.stringify({ bench: 'storage-sqlite/append-read', messages: TOTAL_MESSAGES, batchMessages: BATCH_MESSAGES, medians, runs }),
  )
}

void main()
