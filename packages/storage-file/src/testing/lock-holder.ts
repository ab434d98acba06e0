/**
 * A child process for the lock tests: `node --import tsx lock-holder.ts <dir>` opens a
 * FileStorage over <dir>, prints `locked pid=<pid>` (or `refused <code> pid=<holder>`) and keeps the lock until it is killed.
 */
import { FileStorage } from '../file-storage'

async function main(): Promise<void> {
  const dir = process.argv[2]
  if (dir === undefined) throw new Error('usage: lock-holder.ts <dir>')
  const storage = new FileStorage({ dir })
  try {
    await storage.open()
  } catch (err) {
    const e = err as { code?: string; details?: { pid?: number } }
    process.stdout.write(`refused ${e.code} pid=${e.details?.pid}\n`)
    setInterval(() => {}, 60_000)
    return
  }
  process.stdout.write(`locked pid=${process.pid}\n`)
  // The timer holds the storage: once unreachable, its lock database would be collected and closed
  // (better-sqlite3 closes a collected connection), and the lock freed while this child lives.
  setInterval(() => storage.stats(), 60_000)
}

main().catch((err: unknown) => {
  process.stderr.write(`lock-holder failed: ${String(err)}\n`)
  process.exit(1)
})
