/**
 * A child process for the lock tests, run as `node --import tsx lock-child.ts <dbPath>`. It opens a
 * SqliteStorage at `dbPath` and prints one JSON line: `{"opened":true}` (then stays alive, holding
 * the database, until killed) or `{"opened":false,"code":…,"message":…}` (then exits).
 */
import { isTributaryError } from '@tributary/core'
import { SqliteStorage } from '../sqlite-storage'

async function main(): Promise<void> {
  const path = process.argv[2]
  if (path === undefined) throw new Error('usage: lock-child.ts <dbPath>')
  const storage = new SqliteStorage({ path })
  try {
    await storage.open()
  } catch (err) {
    const code = isTributaryError(err) ? err.code : 'NOT_A_TRIBUTARY_ERROR'
    process.stdout.write(`${JSON.stringify({ opened: false, code, message: String((err as Error).message) })}\n`)
    return
  }
  process.stdout.write(`${JSON.stringify({ opened: true })}\n`)
  // Hold the database until the parent kills this process.
  setInterval(() => undefined, 60_000)
}

void main()
