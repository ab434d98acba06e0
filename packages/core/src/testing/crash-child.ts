/**
 * The child process of the crash harness (see crash-harness.ts), run as `node crash-child.js
 * <storageModule> <dir> <round> <seed>` from an installed package (built by tsup beside the
 * testing entry), or through tsx from this repository's sources. It opens the storage and
 * appends, syncs and acknowledges batches until the parent SIGKILLs it.
 */
import { pathToFileURL } from 'node:url'
import { runChildWorkload, type CrashStorageModule } from './crash-workload'
import { createRandom } from './random'

/** The parent kills a child within a second of its first ack; one alive after this was orphaned. */
const MAX_LIFETIME_MS = 120_000

async function main(): Promise<void> {
  // A safety net, never the normal path: an orphaned child must not append to a temp dir forever.
  setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref()
  const [storageModule, dir, round, seed] = process.argv.slice(2)
  if (storageModule === undefined || dir === undefined || round === undefined || seed === undefined) {
    throw new Error('usage: crash-child <storageModule> <dir> <round> <seed>')
  }
  const mod = (await import(pathToFileURL(storageModule).href)) as CrashStorageModule
  const storage = mod.createStorage(dir)
  await storage.open()
  await runChildWorkload(storage, Number(round), createRandom(Number(seed)))
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
