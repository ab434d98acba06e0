import * as fs from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { TributaryError } from '@tributary/core'
import { wrapStorageError } from '@tributary/core/internal'

/** LOCK_FILE_NAME is the informational owner file in a storage directory: `<pid> <host>` of the holder. */
export const LOCK_FILE_NAME = '.lock'
/** LOCK_DB_NAME is the file whose OS-level lock is the directory lock (a SQLite database held in an exclusive transaction). */
export const LOCK_DB_NAME = '.lock.db'

/** Directories locked by this process: a second storage in the same process must fail too. */
const heldInProcess = new Set<string>()

/**
 * DirectoryLock keeps other processes (and other storages in this process) out of a storage
 * directory with a lock the kernel holds, not a pid: `.lock.db` is a SQLite database opened in
 * `locking_mode=EXCLUSIVE` inside a `BEGIN EXCLUSIVE` transaction that stays open until release.
 * SQLite takes that lock with fcntl(F_SETLK) on the file, so:
 *
 * - it holds across PID namespaces (two containers both running as PID 1) and across hosts that
 *   share a volume whose file system honours POSIX locks (NFSv4, CephFS, …): the lock is on the
 *   inode, not on a process number;
 * - a dead owner's lock frees itself: the kernel drops fcntl locks when the process exits, however
 *   it exits (SIGKILL included), so there is no stale lock to detect or take over;
 * - a second storage in this process fails too (SQLite tracks its own locks per inode, and
 *   `heldInProcess` names the directory).
 *
 * `.lock` beside it holds `<pid> <host>` of the current owner, for the error message only.
 */
export class DirectoryLock {
  private db: Database.Database | null = null
  private readonly key: string
  /** path is the informational owner file. */
  readonly path: string
  readonly dbPath: string

  constructor(dir: string) {
    this.key = resolve(dir)
    this.path = join(dir, LOCK_FILE_NAME)
    this.dbPath = join(dir, LOCK_DB_NAME)
  }

  /**
   * acquire takes the lock or throws STORAGE_LOCKED (with the holder's pid and host in `details`
   * when it wrote them).
   * @throws TributaryError STORAGE_LOCKED, KAFKA_STORAGE_ERROR (the lock file cannot be created).
   */
  acquire(): void {
    if (heldInProcess.has(this.key)) throw locked(this.path, process.pid, hostname())
    let db: Database.Database | null = null
    try {
      db = new Database(this.dbPath, { timeout: 0 })
      db.pragma('locking_mode = EXCLUSIVE')
      db.exec('BEGIN EXCLUSIVE')
    } catch (err) {
      try {
        db?.close()
      } catch {
        // The lock failed already; that is the error worth reporting.
      }
      if (isBusy(err)) {
        const owner = this.readOwner()
        throw locked(this.path, owner?.pid ?? -1, owner?.host ?? 'unknown')
      }
      throw wrapStorageError(err, `lock ${this.dbPath}`)
    }
    this.db = db
    heldInProcess.add(this.key)
    try {
      fs.writeFileSync(this.path, `${process.pid} ${hostname()}\n`)
    } catch (err) {
      this.release()
      throw wrapStorageError(err, `write lock owner file ${this.path}`)
    }
  }

  /** release drops the lock if this object holds it (the owner file stays; it is only informational). */
  release(): void {
    const db = this.db
    if (db === null) return
    this.db = null
    heldInProcess.delete(this.key)
    try {
      db.close()
    } catch {
      // Closing ends the transaction and the lock whatever it reports.
    }
  }

  private readOwner(): { pid: number; host: string } | null {
    return readOwnerFile(this.path)
  }
}

/**
 * directoryLockHolder tells whether a storage holds `dir`'s lock, without taking it: the holder's
 * pid from the owner file (-1 when it wrote none), or null when the directory is free. It probes
 * with a momentary read-only look at the lock database, which the holder's exclusive lock refuses.
 */
export function directoryLockHolder(dir: string): number | null {
  const lock = new DirectoryLock(dir)
  const owner = (): number => readOwnerFile(lock.path)?.pid ?? -1
  if (heldInProcess.has(resolve(dir))) return owner()
  let db: Database.Database | null = null
  try {
    db = new Database(lock.dbPath, { readonly: true, fileMustExist: true, timeout: 0 })
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    return null
  } catch (err) {
    if (isBusy(err)) return owner()
    // No lock database (never opened by this version) or unreadable: nobody holds it.
    return null
  } finally {
    try {
      db?.close()
    } catch {
      // A failed close of a read-only probe changes nothing.
    }
  }
}

/** readOwnerFile reads `<pid> <host>` from the informational owner file, or null. */
function readOwnerFile(path: string): { pid: number; host: string } | null {
  try {
    const [pid, host] = fs.readFileSync(path, 'utf8').trim().split(/\s+/)
    const n = Number.parseInt(pid ?? '', 10)
    return Number.isInteger(n) && n > 0 ? { pid: n, host: host ?? 'unknown' } : null
  } catch {
    return null
  }
}

/** isBusy tells whether SQLite refused the lock because another connection holds it. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
}

function locked(path: string, pid: number, host: string): TributaryError {
  return new TributaryError('STORAGE_LOCKED', `Storage directory is locked by process ${pid} on ${host} (lock ${path}.db)`, {
    details: { pid, host, path },
  })
}
