import * as fs from 'node:fs'
import { wrapStorageError } from '@tributary/core/internal'

/**
 * Small synchronous and asynchronous file helpers. Every fs failure leaves here as a
 * KAFKA_STORAGE_ERROR naming what was attempted, with the fs error as its cause.
 */

/** writeFully writes all of `buf` at `position`; a short write (rare, e.g. on signals) is continued. */
export function writeFully(fd: number, buf: Uint8Array, position: number, what: string): void {
  let done = 0
  try {
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done)
  } catch (err) {
    throw wrapStorageError(err, what)
  }
}

/** readFully reads up to `length` bytes at `position` into `buf`; returns how many it got (fewer only at end of file). */
export function readFully(fd: number, buf: Buffer, length: number, position: number, what: string): number {
  let done = 0
  try {
    while (done < length) {
      const n = fs.readSync(fd, buf, done, length - done, position + done)
      if (n === 0) break
      done += n
    }
  } catch (err) {
    throw wrapStorageError(err, what)
  }
  return done
}

/** fdatasyncAsync flushes a file's data off the event loop (libuv thread pool). */
export function fdatasyncAsync(fd: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (err) => (err ? reject(wrapStorageError(err, what)) : resolve()))
  })
}

/**
 * fsyncDirSync makes a directory's entries (created, renamed or removed files) durable. Linux
 * needs this after a create or rename for the new name to survive a crash.
 */
export function fsyncDirSync(path: string): void {
  let fd = -1
  try {
    fd = fs.openSync(path, 'r')
    fs.fsyncSync(fd)
  } catch (err) {
    throw wrapStorageError(err, `fsync directory ${path}`)
  } finally {
    if (fd >= 0) fs.closeSync(fd)
  }
}

/**
 * fsyncDirAsync is `fsyncDirSync` off the event loop: open, fsync and close on libuv's pool, with
 * plain callbacks (no `FileHandle` objects: a close of thousands of new partitions runs one each).
 */
export function fsyncDirAsync(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => reject(wrapStorageError(err, `fsync directory ${path}`))
    fs.open(path, 'r', (openErr, fd) => {
      if (openErr) return fail(openErr)
      fs.fsync(fd, (syncErr) => {
        fs.close(fd, (closeErr) => {
          if (syncErr || closeErr) fail(syncErr ?? closeErr)
          else resolve()
        })
      })
    })
  })
}

/** writeFileDurableSync writes `data` to `path` through `path.tmp`, fsyncs it and renames it into place, then fsyncs the directory. */
export function writeFileDurableSync(path: string, dir: string, data: Uint8Array): void {
  const tmp = `${path}.tmp`
  let fd = -1
  try {
    fd = fs.openSync(tmp, 'w')
    writeFully(fd, data, 0, `write ${tmp}`)
    fs.fdatasyncSync(fd)
    fs.closeSync(fd)
    fd = -1
    fs.renameSync(tmp, path)
  } catch (err) {
    throw wrapStorageError(err, `write ${path}`)
  } finally {
    if (fd >= 0) fs.closeSync(fd)
  }
  fsyncDirSync(dir)
}

/** attempt runs an fs call and wraps its failure. */
export function attempt<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw wrapStorageError(err, what)
  }
}

/** isMissing tells whether an fs error is ENOENT. */
export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
