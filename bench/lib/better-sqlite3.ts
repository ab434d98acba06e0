import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type BetterSqlite3 from 'better-sqlite3'
import { SkipError } from './types'

/**
 * loadBetterSqlite3 loads better-sqlite3 through @tributary/storage-sqlite's dependencies: the
 * repository root does not list it, and the bench must not add dependencies of its own.
 */
export function loadBetterSqlite3(): typeof BetterSqlite3 {
  const packageJson = fileURLToPath(new URL('../../packages/storage-sqlite/package.json', import.meta.url))
  try {
    return createRequire(packageJson)('better-sqlite3') as typeof BetterSqlite3
  } catch (error) {
    throw new SkipError(`better-sqlite3 not loadable: ${(error as Error).message.split('\n')[0]}`)
  }
}
