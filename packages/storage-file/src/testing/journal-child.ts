/**
 * A child process for the journal tests: `journal-child.ts <dir> <journalBytes> <partitions> <batches> [recreate]`
 * opens a FileStorage on <dir>, appends <batches> batches round-robin over <partitions> partitions
 * of topic `j` (batch i holds the one value `v<i>`), each followed by `sync()` (acks=all), prints
 * `acked <i>` after each sync resolves and `done` at the end, then waits to be killed: its
 * segments are never flushed by a close. With `recreate`, partition 0 is then deleted, created
 * again and given one batch `fresh` (synced) before `done`.
 */
import { makeBatch } from '@tributary/core/testing'
import { FileStorage } from '../file-storage'
import { SMALL } from './storage-kit'
import { SILENT_LOGGER } from './temp-dir'

async function main(): Promise<void> {
  const [dir, journalBytesText, partitionsText, batchesText, mode] = process.argv.slice(2)
  if (dir === undefined || journalBytesText === undefined || partitionsText === undefined || batchesText === undefined)
    throw new Error('usage: journal-child.ts <dir> <journalBytes> <partitions> <batches>')
  const storage = new FileStorage({ dir, journalBytes: Number(journalBytesText), logger: SILENT_LOGGER })
  await storage.open()
  const partitions = Number(partitionsText)
  const logs = Array.from({ length: partitions }, (_, partition) => storage.partitionLog({ topic: 'j', partition }, SMALL))
  for (let i = 0; i < Number(batchesText); i++) {
    const log = logs[i % partitions]!
    log.append(makeBatch([{ key: `k${i}`, value: `v${i}` }]), { willSync: true })
    await log.sync()
    process.stdout.write(`acked ${i}\n`)
  }
  if (mode === 'recreate') {
    await storage.deletePartition({ topic: 'j', partition: 0 })
    const again = storage.partitionLog({ topic: 'j', partition: 0 }, SMALL)
    again.append(makeBatch([{ key: 'k', value: 'fresh' }]), { willSync: true })
    await again.sync()
  }
  process.stdout.write('done\n')
  setInterval(() => {}, 60_000)
}

main().catch((err: unknown) => {
  process.stderr.write(`journal-child failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
