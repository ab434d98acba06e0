/**
 * The full-scale partition test of @tributary/storage-file: 10,000 partitions in one directory
 * with the default descriptor budget (256): create and append to each, sync, close, reopen,
 * read each back. Run from the repo root: `pnpm tsx packages/storage-file/bench/many-partitions.ts`.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeRecordBatch, encodeRecordBatch } from '@tributary/core'
import { FileStorage } from '../src/file-storage'

const PARTITIONS = Number(process.env.PARTITIONS ?? 10_000)
const CONFIG = { segmentBytes: 1024 * 1024, segmentMs: 7 * 24 * 3600 * 1000, indexIntervalBytes: 4096 }
const openFds = (): number => readdirSync('/proc/self/fd').length
const tp = (p: number): { topic: string; partition: number } => ({ topic: `topic-${p % 100}`, partition: p })

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-10k-'))
  const baseline = openFds()
  let peak = 0
  const lap = (() => {
    let t = performance.now()
    return (what: string): void => {
      peak = Math.max(peak, openFds() - baseline)
      console.log(`${what}: ${((performance.now() - t) / 1000).toFixed(2)} s (peak descriptors ${peak})`)
      t = performance.now()
    }
  })()
  try {
    const storage = new FileStorage({ dir })
    await storage.open()
    for (let p = 0; p < PARTITIONS; p++) {
      const batch = encodeRecordBatch([{ key: Buffer.from(`k${p}`), value: Buffer.from(`v${p}`), headers: [], timestamp: Date.now() }])
      storage.partitionLog(tp(p), CONFIG).append(batch)
      if (p % 1000 === 0) peak = Math.max(peak, openFds() - baseline)
    }
    lap(`create + append ${PARTITIONS} partitions`)
    await storage.sync()
    lap('sync')
    await storage.close()
    lap('close')
    const reopened = new FileStorage({ dir })
    await reopened.open()
    lap('reopen (lists partitions)')
    for (let p = 0; p < PARTITIONS; p++) {
      const [batch] = reopened.partitionLog(tp(p), CONFIG).read(0, 1024)
      const record = decodeRecordBatch(batch!)[0]
      if (String(record?.value) !== `v${p}`) throw new Error(`partition ${p} lost its record`)
      if (p % 1000 === 0) peak = Math.max(peak, openFds() - baseline)
    }
    lap('load (recover) + read every partition')
    await reopened.close()
    lap('close')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
