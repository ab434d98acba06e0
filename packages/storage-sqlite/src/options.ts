import { resolve } from 'node:path'
import { systemClock } from '@tributary/core'
import { checkInt, invalidConfig, stripUndefined } from '@tributary/core/internal'
import type { Clock } from '@tributary/core'

/** SqliteStorageOptions configures a `SqliteStorage`. Sizes are in bytes, durations in ms. */
export interface SqliteStorageOptions {
  /** Path of the database file (created with its parent directories if missing). Required. */
  path: string
  /** Time source for segment creation times and `segment.ms` rolls; default the system clock. */
  clock?: Clock
  /**
   * SQLite page size for a new database (ignored for an existing one); a power of two from 512 to
   * 65,536. Record batches are large blobs, so pages above SQLite's 4 KiB default mean shorter
   * overflow chains. Default 16,384.
   */
  pageSizeBytes?: number
  /**
   * Pages the write-ahead log may hold before a commit checkpoints it into the database file
   * (`PRAGMA wal_autocheckpoint`). A checkpoint costs two fsyncs, so a larger value means fewer
   * of them and a larger `-wal` file. Default 4,096 (64 MiB at the default page size).
   */
  walAutocheckpointPages?: number
  /**
   * Page cache size per connection (`PRAGMA cache_size`), in KiB. Default 8,192 (8 MiB). A batch's
   * blob is read past the cache (SQLite reads overflow pages directly), so what the cache holds is
   * the B-tree leaves, 2–4 KiB per batch: a reader of a backlog fills it to this size, which is
   * what its memory grows by with the backlog (64 MiB made a reader of 10M messages 20–30 MiB
   * larger than a reader of 1M), and a larger cache measured no faster.
   */
  cacheSizeKiB?: number
  /**
   * Bytes of the database file SQLite may memory-map for reads (`PRAGMA mmap_size`); 0 disables
   * it. Default 0: every mapped page a reader touches stays in the process's resident set until
   * close, so with a map a consumer reading a backlog grows by up to this much (it measured 441
   * MiB reading 10M messages with 256 MiB mapped), while without one reads go through the page
   * cache (`cacheSizeKiB`) and memory stays flat whatever the backlog.
   */
  mmapSizeBytes?: number
  /**
   * Integrity check run on open: 'none', or 'quick' (`PRAGMA quick_check`, which reads the whole
   * file: seconds per GiB). Default 'none'; structural damage is still reported on first access.
   */
  checkOnOpen?: 'none' | 'quick'
}

/** ResolvedSqliteOptions is `SqliteStorageOptions` with every default applied and `path` absolute. */
export type ResolvedSqliteOptions = Readonly<Required<SqliteStorageOptions>>

/** SQLITE_STORAGE_DEFAULTS holds the default of every optional option. */
export const SQLITE_STORAGE_DEFAULTS = Object.freeze({
  pageSizeBytes: 16_384,
  walAutocheckpointPages: 4_096,
  cacheSizeKiB: 8_192,
  mmapSizeBytes: 0,
  checkOnOpen: 'none' as 'none' | 'quick',
})

const KNOWN_KEYS = new Set<string>([...Object.keys(SQLITE_STORAGE_DEFAULTS), 'path', 'clock'])

/**
 * resolveSqliteOptions merges the defaults, rejects unknown keys and out-of-range values with
 * INVALID_CONFIG naming the option (`options.pageSizeBytes`), and makes `path` absolute.
 */
export function resolveSqliteOptions(options: SqliteStorageOptions): ResolvedSqliteOptions {
  if (options === null || typeof options !== 'object') throw invalidConfig('options', 'must be an object')
  for (const key of Object.keys(options)) if (!KNOWN_KEYS.has(key)) throw invalidConfig(`options.${key}`, 'is not a known option')
  if (typeof options.path !== 'string' || options.path.length === 0) throw invalidConfig('options.path', 'must be a non-empty string')
  // An in-memory database has no file to lock or fsync; core's memory storage serves that use.
  if (options.path === ':memory:' || options.path.startsWith('file:')) throw invalidConfig('options.path', 'must be a file path')
  const merged = { ...SQLITE_STORAGE_DEFAULTS, clock: systemClock, ...stripUndefined(options) }
  const page = merged.pageSizeBytes
  if (!Number.isSafeInteger(page) || page < 512 || page > 65_536 || (page & (page - 1)) !== 0) {
    throw invalidConfig('options.pageSizeBytes', 'must be a power of two from 512 to 65536')
  }
  checkInt(merged.walAutocheckpointPages, 'options.walAutocheckpointPages', 1)
  checkInt(merged.cacheSizeKiB, 'options.cacheSizeKiB', 0)
  checkInt(merged.mmapSizeBytes, 'options.mmapSizeBytes', 0)
  if (merged.checkOnOpen !== 'none' && merged.checkOnOpen !== 'quick')
    throw invalidConfig('options.checkOnOpen', "must be 'none' or 'quick'")
  if (typeof merged.clock?.now !== 'function') throw invalidConfig('options.clock', 'must be a Clock')
  return Object.freeze({ ...merged, path: resolve(options.path) })
}
