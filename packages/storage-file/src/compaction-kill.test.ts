import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { decodeRecordBatch } from '@tributary/core'
import { createRandom } from '@tributary/core/testing'
import { killAndWait, spawnTs, waitForLine } from './testing/child-process'
import { COMPACTION_CONFIG, COMPACTION_TP, keyFor, latestOffsets, valueFor } from './testing/compaction-workload'
import { openStorage } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

const CHILD = join(__dirname, 'testing', 'compaction-child.ts')
const ROUNDS = Number(process.env.COMPACTION_KILLS ?? 6)
const SEED = Number(process.env.COMPACTION_SEED ?? Date.now() % 2 ** 31)

let dir: string
beforeEach(() => {
  dir = makeTempDir('compaction-kill')
})
afterEach(() => removeTempDir(dir))

/** checkLog reopens the directory and checks that compaction lost nothing it had to keep. */
async function checkLog(endOffset: number): Promise<void> {
  const { storage } = await openStorage(dir)
  const log = storage.partitionLog(COMPACTION_TP, COMPACTION_CONFIG)
  expect(log.endOffset()).toBe(endOffset)
  const found = new Map<number, { key: string; value: string }>()
  let previous = -1
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    const batches = log.read(next, 1024 * 1024)
    if (batches.length === 0) break
    for (const batch of batches) {
      for (const record of decodeRecordBatch(batch)) {
        expect(record.offset).toBeGreaterThan(previous)
        previous = record.offset
        found.set(record.offset, { key: String(record.key), value: String(record.value) })
      }
      next = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23) + 1
    }
  }
  // Every surviving record is the one written at its offset, and the latest of every key survives.
  for (const [offset, record] of found) expect(record).toEqual({ key: keyFor(offset), value: valueFor(offset) })
  for (const offset of latestOffsets(endOffset).values()) expect(found.get(offset)?.value).toBe(valueFor(offset))
  await storage.close()
}

describe('compaction interrupted by SIGKILL', () => {
  it(`loses nothing: old or new segment, never a mix (${ROUNDS} kills, seed ${SEED})`, async () => {
    const random = createRandom(SEED)
    const filler = spawnTs(CHILD, [dir, '1'])
    await waitForLine(filler, 'filled', 60_000)
    await new Promise((resolve) => filler.once('exit', resolve))
    const endOffset = 12_000
    let midCompaction = 0
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawnTs(CHILD, [dir, '0'])
      await waitForLine(child, 'compacting')
      await new Promise((resolve) => setTimeout(resolve, random.range(5, 150)))
      await killAndWait(child)
      if (readdirSync(join(dir, 'compacted-0')).some((name) => name.endsWith('.cleaned'))) midCompaction++
      try {
        await checkLog(endOffset)
      } catch (err) {
        throw new Error(`round ${round} (seed ${SEED}; rerun with COMPACTION_SEED=${SEED}): ${String(err)}`, { cause: err })
      }
    }
    // Report how often the kill landed with a half-written .cleaned file (recovery removed it).
    process.stdout.write(`compaction-kill: ${midCompaction}/${ROUNDS} kills left a .cleaned file\n`)
    expect(readdirSync(join(dir, 'compacted-0')).filter((name) => name.endsWith('.cleaned'))).toEqual([])
  }, 180_000)
})
