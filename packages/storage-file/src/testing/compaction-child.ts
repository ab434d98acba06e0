/**
 * Child process of the compaction-kill test: `node --import tsx compaction-child.ts <dir> <fill>`.
 * With fill=1 it writes the keyed log first. Then it prints `compacting` and runs compaction
 * passes, each dropping more superseded records, until the parent SIGKILLs it.
 */
import { FileStorage } from '../file-storage'
import { COMPACTION_CONFIG, COMPACTION_TP, fillKeyedLog, keepForPass } from './compaction-workload'

async function main(): Promise<void> {
  const [dir, fill] = process.argv.slice(2)
  if (dir === undefined) throw new Error('usage: compaction-child.ts <dir> <fill>')
  const storage = new FileStorage({ dir, logger: { info: () => {}, warn: () => {} } })
  await storage.open()
  const log = storage.partitionLog(COMPACTION_TP, COMPACTION_CONFIG)
  if (fill === '1') {
    fillKeyedLog(log)
    await log.sync()
    process.stdout.write('filled\n')
    return
  }
  process.stdout.write('compacting\n')
  for (let pass = 0; ; pass++) {
    log.compact(keepForPass(log, pass))
    process.stdout.write(`pass ${pass}\n`)
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`compaction-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
