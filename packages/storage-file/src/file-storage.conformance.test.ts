import { runStorageConformance } from '@tributary/core/testing'
import { FileStorage } from './file-storage'
import { makeTempDir, removeTempDir, SILENT_LOGGER } from './test-support/temp-dir'

runStorageConformance('file', {
  async create({ clock }) {
    const dir = makeTempDir('conformance')
    const make = (): FileStorage => new FileStorage({ dir, clock, logger: SILENT_LOGGER })
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
      async cleanup() {
        await storage.close()
        removeTempDir(dir)
      },
    }
  },
})
