/**
 * Recovery time of a 1 GiB partition (one active segment of the default 1 GiB segment size):
 * after a clean close (intact index), and with its indexes deleted (full rebuild with CRC
 * checks). Run from the repo root: `pnpm tsx packages/storage-file/bench/recovery.ts`.
 */
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeRecordBatch } from '@tributary/core'
import { FileStorage } from '../src/file-storage'

const TARGET_BYTES = Number(process.env.LOG_BYTES ?? 1024 * 1024 * 1024)
const CONFIG = { segmentBytes: 1024 * 1024 * 1024, segmentMs: 7 * 24 * 3600 * 1000, indexIntervalBytes: 4096 }
const TP = { topic: 'recovery', partition: 0 }

async function timeOpen(dir: string): Promise<number> {
  const storage = new FileStorage({ dir })
  await storage.open()
  const t = performance.now()
  const log = storage.partitionLog(TP, CONFIG)
  const ms = performance.now() - t
  if (log.sizeBytes() < TARGET_BYTES * 0.9) throw new Error(`recovered only ${log.sizeBytes()} bytes`)
  await storage.close()
  return ms
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-recovery-'))
  try {
    const storage = new FileStorage({ dir })
    await storage.open()
    const log = storage.partitionLog(TP, CONFIG)
    const records = Array.from({ length: 1000 }, (_, i) => ({
      key: Buffer.alloc(16, i),
      value: Buffer.alloc(100, i),
      headers: [],
      timestamp: Date.now(),
    }))
    const batch = encodeRecordBatch(records)
    while (log.sizeBytes() + batch.length <= TARGET_BYTES) log.append(batch)
    const bytes = log.sizeBytes()
    await storage.close()
    console.log(
      `log: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${readdirSync(join(dir, 'recovery-0')).filter((n) => n.endsWith('.log')).length} segment(s)`,
    )
    const intact = [await timeOpen(dir), await timeOpen(dir), await timeOpen(dir)].sort((a, b) => a - b)[1]!
    console.log(`recovery with an intact index: ${intact.toFixed(1)} ms (median of 3)`)
    for (const name of readdirSync(join(dir, 'recovery-0'))) if (/index$/.test(name)) unlinkSync(join(dir, 'recovery-0', name))
    console.log(`recovery rebuilding the index (full CRC scan): ${(await timeOpen(dir)).toFixed(1)} ms`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
