import { cpSync } from 'node:fs'
import { runStorageConformance } from '@tributary/core/testing'
import { FileStorage } from './file-storage'
import { makeTempDir, removeTempDir, SILENT_LOGGER } from './testing/temp-dir'

runStorageConformance('file', {
  async create({ clock }) {
    const dirs = [makeTempDir('conformance')]
    const make = (): FileStorage => new FileStorage({ dir: dirs[dirs.length - 1] as string, clock, logger: SILENT_LOGGER })
    let storage = make()
    await storage.open()
    return {
      storage,
      async reopen() {
        await storage.close()
        storage = make()
        await storage.open()
        return storage
      },
      // A copy of the directory taken while the storage is open is what a killed process leaves:
      // every write is in the files (the OS has it), nothing was closed, flushed or unlocked.
      async crash() {
        const copy = makeTempDir('conformance-crashed')
        cpSync(dirs[dirs.length - 1] as string, copy, { recursive: true })
        dirs.push(copy)
        await storage.close()
        storage = make()
        await storage.open()
        return storage
      },
      async cleanup() {
        await storage.close()
        for (const dir of dirs) removeTempDir(dir)
      },
    }
  },
})
