import { join } from 'node:path'
import type { Storage } from '@tributary/core'
import { SqliteStorage } from '../sqlite-storage'

/**
 * createStorage is the crash harness's entry point (see `runCrashTest` in @tributary/core/testing):
 * a SqliteStorage with its database at `<dir>/tributary.db`, not yet opened.
 */
export function createStorage(dir: string): Storage {
  return new SqliteStorage({ path: join(dir, 'tributary.db') })
}
