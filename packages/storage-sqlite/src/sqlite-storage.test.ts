import { copyFileSync, existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStorageConformance } from '@tributary/core/testing'
import type { Clock } from '@tributary/core'
import { SqliteStorage } from './sqlite-storage'

/** Each conformance test gets its own directory holding one database file. */
runStorageConformance('sqlite', {
  async create({ clock }: { clock: Clock }) {
    const dirs = [await mkdtemp(join(tmpdir(), 'tributary-sqlite-conf-'))]
    const path = (): string => join(dirs[dirs.length - 1] as string, 'tributary.db')
    let storage = new SqliteStorage({ path: path(), clock })
    await storage.open()
    const handle = {
      storage,
      async reopen() {
        await storage.close()
        storage = new SqliteStorage({ path: path(), clock })
        await storage.open()
        handle.storage = storage
        return storage
      },
      // Copying the database and its WAL while the connection is open is what a killed process
      // leaves: every committed transaction is in them, and nothing was checkpointed or closed.
      // The shared-memory index is left behind: SQLite rebuilds it from the WAL.
      async crash() {
        const from = path()
        dirs.push(await mkdtemp(join(tmpdir(), 'tributary-sqlite-conf-crashed-')))
        for (const suffix of ['', '-wal']) if (existsSync(`${from}${suffix}`)) copyFileSync(`${from}${suffix}`, `${path()}${suffix}`)
        await storage.close()
        storage = new SqliteStorage({ path: path(), clock })
        await storage.open()
        handle.storage = storage
        return storage
      },
      async cleanup() {
        await storage.close()
        for (const dir of dirs) await rm(dir, { recursive: true, force: true })
      },
    }
    return handle
  },
})
