/**
 * A child process for the lock tests: `node --import tsx lock-holder.ts <dir>` opens a
 * FileStorage over <dir>, prints `locked` and keeps the lock until it is killed.
 */
import { FileStorage } from '../file-storage'

async function main(): Promise<void> {
  const dir = process.argv[2]
  if (dir === undefined) throw new Error('usage: lock-holder.ts <dir>')
  const storage = new FileStorage({ dir })
  await storage.open()
  process.stdout.write('locked\n')
  setInterval(() => {}, 60_000)
}

main().catch((err: unknown) => {
  process.stderr.write(`lock-holder failed: ${String(err)}\n`)
  process.exit(1)
})
