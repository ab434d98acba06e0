import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'

/**
 * Flushing thousands of partitions at once (close, `Storage.sync()`, a journal checkpoint) one
 * fdatasync per file costs a journal commit of the file system each: on ext4 10,000 small files
 * take about 2 s even four at a time, where one `syncfs(2)` of the whole file system takes about
 * 0.25 s. Node has no binding for syncfs, so it is reached through coreutils' `sync -f <path>`
 * (one short-lived process); where that fails (no such program, another OS, an I/O error), the
 * caller flushes file by file as before, so the worst case is the old cost, never less safety.
 */

/** SYNC_PROGRAM is coreutils' sync, found once; PATH is not searched (a storage must not run whatever it names). */
const SYNC_PROGRAM = ['/usr/bin/sync', '/bin/sync'].find((path) => existsSync(path)) ?? null

/**
 * syncFileSystem flushes every dirty page and inode of the file system holding `path` (syncfs):
 * resolves true once done, false if it could not be done (the caller must then flush its files
 * one by one; a false here never means data was lost, only that this way did not work).
 */
export function syncFileSystem(path: string): Promise<boolean> {
  if (SYNC_PROGRAM === null) return Promise.resolve(false)
  return new Promise((resolve) => {
    execFile(SYNC_PROGRAM, ['-f', path], { timeout: 120_000 }, (err) => resolve(err === null))
  })
}

/**
 * FileSystemSync shares one syncfs among the flushes of many partitions: `sync()` resolves with
 * the result of a syncfs that started after the call (so it covers every write made before it).
 * Calls made before the pending run starts (one turn of the event loop after the first) share it.
 * Once a run fails, the later calls resolve false at once: the file-by-file flush takes over.
 */
export class FileSystemSync {
  private pending: Promise<boolean> | null = null
  private failed = false
  /** completed counts the syncfs runs that succeeded (stats). */
  completed = 0

  constructor(private readonly run: () => Promise<boolean>) {}

  sync(): Promise<boolean> {
    if (this.failed) return Promise.resolve(false)
    if (this.pending !== null) return this.pending
    const pending = new Promise<boolean>((resolve) => {
      setImmediate(() => {
        this.pending = null
        this.run().then(
          (ok) => {
            if (ok) this.completed++
            else this.failed = true
            resolve(ok)
          },
          () => {
            this.failed = true
            resolve(false)
          },
        )
      })
    })
    this.pending = pending
    return pending
  }
}
