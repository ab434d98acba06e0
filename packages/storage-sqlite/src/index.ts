/**
 * @tributary/storage-sqlite — Tributary's storage on one SQLite database file (better-sqlite3, WAL):
 * every partition, the broker metadata and the committed group offsets, a row per record batch.
 */
export { SqliteStorage } from './sqlite-storage'
export { SQLITE_STORAGE_DEFAULTS, resolveSqliteOptions } from './options'
export { SCHEMA_VERSION } from './schema'
export { inspectDatabase, truncateDatabaseTails } from './inspect'

export type { InspectDatabaseOptions } from './inspect'
export type { SqliteStorageOptions, ResolvedSqliteOptions } from './options'
