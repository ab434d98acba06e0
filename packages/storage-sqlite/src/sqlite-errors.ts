import { TributaryError } from '@tributary/core'
import { wrapStorageError } from '@tributary/core/internal'

/**
 * toStorageError turns a failure thrown by better-sqlite3 (or fs) into a TributaryError with the
 * original as `cause`: a busy or locked database is STORAGE_LOCKED (another writer holds it), a
 * damaged file is KAFKA_STORAGE_ERROR naming the file and saying so, anything else goes through
 * `wrapStorageError`. A TributaryError passes through unchanged.
 */
export function toStorageError(err: unknown, what: string, path: string): TributaryError {
  if (err instanceof TributaryError) return err
  const code = sqliteCode(err)
  const message = err instanceof Error ? err.message : String(err)
  const details = { path, sqliteCode: code }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new TributaryError('STORAGE_LOCKED', `${what}: database ${path} is in use by another process or SqliteStorage (${code})`, {
      cause: err,
      details,
    })
  }
  if (code === 'SQLITE_NOTADB') {
    return damaged(`${what}: ${path} is not a SQLite database, or its header is damaged (${message})`, err, details)
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return damaged(`${what}: database file ${path} is damaged (${code}: ${message}); restore it from a backup or a replica`, err, details)
  }
  const wrapped = wrapStorageError(err, what)
  return new TributaryError(wrapped.code, wrapped.message, { cause: err, details, retriable: wrapped.retriable })
}

/** sqliteCode returns better-sqlite3's error code (e.g. 'SQLITE_CORRUPT'), or '' for other errors. */
export function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

function damaged(message: string, cause: unknown, details: Record<string, unknown>): TributaryError {
  // Not retriable: the same bytes will fail the same way until someone repairs the file.
  return new TributaryError('KAFKA_STORAGE_ERROR', message, { cause, details, retriable: false })
}
