import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { TributaryError } from '@tributary/core'
import type { ResolvedSqliteOptions } from './options'
import { checkIdentity, migrate } from './schema'
import { toStorageError } from './sqlite-errors'

/**
 * openDatabase opens (creating if missing) the database file, sets the connection up, takes the
 * exclusive lock and migrates the schema. Throws STORAGE_LOCKED when another process or
 * connection holds the database, KAFKA_STORAGE_ERROR for a damaged or foreign file and
 * UNSUPPORTED_VERSION for a newer schema. The connection is closed again on any failure.
 *
 * Settings, and why:
 * - `locking_mode=EXCLUSIVE`, set before WAL is enabled: the first write takes an exclusive lock
 *   on the file and keeps it until close, so a second process (or a second SqliteStorage in this
 *   one) gets SQLITE_BUSY at once. The lock is an fcntl lock the OS drops when the process dies,
 *   so a crash never leaves a stale lock behind, unlike a pid file. It also makes SQLite keep
 *   the WAL index in heap memory instead of a `-shm` file. The price: not even a reader (the
 *   `sqlite3` shell) can open the file while Tributary has it open.
 * - `journal_mode=WAL` with `synchronous=NORMAL`: a commit writes its pages to the `-wal` file
 *   without an fsync, so an acks=1 append costs no disk flush; checkpoints still fsync. `sync()`
 *   makes commits durable with one fdatasync of the `-wal` file (see group-sync.ts).
 * - `timeout: 0`: a locked database fails at once rather than after better-sqlite3's 5 s wait.
 * - `cell_size_check`: damaged B-tree pages are reported as SQLITE_CORRUPT when read rather than
 *   misread, for a small cost per page.
 * - `trusted_schema=OFF`: a tampered file cannot run functions from its schema.
 */
export function openDatabase(options: ResolvedSqliteOptions): Database.Database {
  let db: Database.Database | undefined
  try {
    mkdirSync(dirname(options.path), { recursive: true })
    db = new Database(options.path, { timeout: 0 })
    configure(db, options)
    lockAndMigrate(db, options)
    if (options.checkOnOpen === 'quick') quickCheck(db, options.path)
    return db
  } catch (err) {
    try {
      db?.close()
    } catch {
      // The open failed already; the first error is the one worth reporting.
    }
    throw toStorageError(err, 'Opening SQLite storage', options.path)
  }
}

/** configure applies the connection settings. Values are validated integers (PRAGMAs take no bound parameters). */
function configure(db: Database.Database, options: ResolvedSqliteOptions): void {
  db.pragma('locking_mode = EXCLUSIVE')
  // page_size only takes effect on a new database, and must precede the switch to WAL.
  db.pragma(`page_size = ${options.pageSizeBytes}`)
  checkIdentity(db, options.path)
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (mode !== 'wal')
    throw new TributaryError('KAFKA_STORAGE_ERROR', `SQLite refused WAL mode for ${options.path} (journal_mode is ${String(mode)})`)
  db.pragma('synchronous = NORMAL')
  db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages}`)
  db.pragma(`cache_size = -${options.cacheSizeKiB}`)
  db.pragma(`mmap_size = ${options.mmapSizeBytes}`)
  db.pragma('cell_size_check = ON')
  db.pragma('trusted_schema = OFF')
}

/** lockAndMigrate takes the exclusive lock with a write transaction (kept in EXCLUSIVE mode) and migrates inside it. */
function lockAndMigrate(db: Database.Database, options: ResolvedSqliteOptions): void {
  db.exec('BEGIN EXCLUSIVE')
  try {
    migrate(db, options.path, options.clock.now())
    db.exec('COMMIT')
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw err
  }
  // Put the schema (and any recovered WAL content) into the main file and fsync it, so that a new
  // database's existence does not depend on the first sync().
  db.pragma('wal_checkpoint(TRUNCATE)')
}

/** quickCheck runs `PRAGMA quick_check` and throws KAFKA_STORAGE_ERROR with SQLite's findings. */
function quickCheck(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(20)') as { quick_check: string }[]
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok')
  if (problems.length > 0) {
    throw new TributaryError('KAFKA_STORAGE_ERROR', `Database file ${path} is damaged: ${problems.join('; ')}`, {
      details: { path, problems },
      retriable: false,
    })
  }
}
