import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStorageConformance } from '@tributary/core/testing'
import type { Clock } from '@tributary/core'
import { SqliteStorage } from './sqlite-storage'

/** Each conformance test gets its own directory holding one database file. */
runStorageConformance('sqlite', {
  async create({ clock }: { clock: Clock }) {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-sqlite-conf-'))
    const path = join(dir, 'tributary.db')
    let storage = new SqliteStorage({ path, clock })
    await storage.open()
    const handle = {
      storage,
      async reopen() {
        await storage.close()
        storage = new SqliteStorage({ path, clock })
        await storage.open()
        handle.storage = storage
        return storage
      },
      async cleanup() {
        await storage.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
    return handle
  },
})
