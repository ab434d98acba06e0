import * as fs from 'node:fs'
import { join, resolve } from 'node:path'
import { TributaryError } from '@tributary/core'
import { wrapStorageError } from '@tributary/core/internal'
import { isMissing } from './io'

/** LOCK_FILE_NAME is the lock file in a storage directory; it holds the owner's pid. */
export const LOCK_FILE_NAME = '.lock'

/** Directories locked by this process: a second storage in the same process must fail too, although the pid is ours. */
const heldInProcess = new Set<string>()

/**
 * DirectoryLock keeps other processes (and other storages in this process) out of a storage
 * directory. The lock is a file created exclusively (O_EXCL) holding the owner's pid; a lock
 * whose pid is no longer alive is stale (its owner crashed) and is taken over.
 *
 * Limits: a crashed owner's pid reused by an unrelated live process makes the lock look held
 * (the error names the pid and the file, so an operator can remove it); two processes taking
 * over the same stale lock at the same instant can both succeed.
 */
export class DirectoryLock {
  private held = false
  private readonly key: string
  readonly path: string

  constructor(dir: string) {
    this.key = resolve(dir)
    this.path = join(dir, LOCK_FILE_NAME)
  }

  /** acquire takes the lock or throws STORAGE_LOCKED with the holder's pid in `details.pid`. */
  acquire(): void {
    if (heldInProcess.has(this.key)) throw locked(this.path, process.pid)
    if (!this.tryCreate()) {
      const owner = this.readOwner()
      if (owner !== null && owner !== process.pid && isAlive(owner)) throw locked(this.path, owner)
      // Stale: the owner died without removing its lock (or it was ours, from a storage never closed).
      this.removeFile()
      if (!this.tryCreate()) throw locked(this.path, this.readOwner() ?? -1)
    }
    heldInProcess.add(this.key)
    this.held = true
  }

  /** release removes the lock file if this object holds it. */
  release(): void {
    if (!this.held) return
    this.held = false
    heldInProcess.delete(this.key)
    this.removeFile()
  }

  private tryCreate(): boolean {
    let fd = -1
    try {
      fd = fs.openSync(this.path, 'wx', 0o644)
      fs.writeSync(fd, `${process.pid}\n`)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw wrapStorageError(err, `create lock file ${this.path}`)
    } finally {
      if (fd >= 0) fs.closeSync(fd)
    }
  }

  private readOwner(): number | null {
    try {
      const pid = Number.parseInt(fs.readFileSync(this.path, 'utf8').trim(), 10)
      return Number.isInteger(pid) && pid > 0 ? pid : null
    } catch (err) {
      if (isMissing(err)) return null
      throw wrapStorageError(err, `read lock file ${this.path}`)
    }
  }

  private removeFile(): void {
    try {
      fs.unlinkSync(this.path)
    } catch (err) {
      if (!isMissing(err)) throw wrapStorageError(err, `remove lock file ${this.path}`)
    }
  }
}

/** isAlive tells whether a process with this pid exists (EPERM means it does, owned by someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function locked(path: string, pid: number): TributaryError {
  return new TributaryError('STORAGE_LOCKED', `Storage directory is locked by process ${pid} (lock file ${path})`, {
    details: { pid, path },
  })
}
