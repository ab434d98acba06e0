import { close, fdatasync, fsync, open } from 'node:fs'
import { dirname } from 'node:path'
import { promisify } from 'node:util'
import { TributaryError } from '@tributary/core'

const openAsync = promisify(open)
const closeAsync = promisify(close)
const fdatasyncAsync = promisify(fdatasync)
const fsyncAsync = promisify(fsync)

/** A flush that has started: it makes every commit up to `seq` durable. */
interface Flush {
  seq: number
  promise: Promise<void>
}

/**
 * GroupSync is the group commit of a WAL-mode database at `synchronous=NORMAL`.
 *
 * Why this is durable. In WAL mode every commit appends its pages to `<db>-wal` with write(2), so
 * a committed transaction is in the OS page cache when the commit returns: it survives a process
 * crash (SIGKILL) but not a power loss. One fdatasync of the `-wal` file puts every frame written
 * before it on disk, so every commit made before the flush started becomes durable together. Pages
 * that a checkpoint already moved into the main file were fsynced there by the checkpoint itself
 * (SQLite syncs the WAL before and the database after a checkpoint, and only reuses the WAL from
 * its start after that), so nothing committed lives only in an unsynced place. If power fails
 * before a flush, SQLite's frame checksums discard the torn tail at recovery and the database is
 * the state of some earlier commit: never a mix, and never missing a commit whose sync() resolved.
 *
 * Why not `PRAGMA synchronous=FULL` around a tiny transaction: it would also work, but it fsyncs
 * on the event loop thread and writes an extra page per sync. Here the fdatasync runs on libuv's
 * thread pool while appends continue; callers that arrive during a flush share the next one.
 *
 * The `-wal` file is opened for each flush and closed after: SQLite keeps no POSIX locks on it
 * (in EXCLUSIVE locking mode it keeps none on any file but the database itself), so closing our
 * descriptor cannot drop one of SQLite's locks, and reopening means a `-wal` that SQLite replaced
 * is never missed. Never open and close the main database file this way.
 *
 * An fdatasync failure is sticky: after a failed flush the kernel may have dropped the dirty
 * pages, so no later flush can promise durability; every later sync() rejects.
 */
export class GroupSync {
  private readonly walPath: string
  private readonly dirPath: string
  /** Incremented by every commit; compared with `durableSeq`. */
  private writtenSeq = 0
  private durableSeq = 0
  private inFlight: Flush | null = null
  private queued: Promise<void> | null = null
  private dirSynced = false
  private failure: TributaryError | null = null

  /**
   * Creates the group sync of the database at `databasePath`. `flushFiles` replaces the
   * fdatasync of the `-wal` file and its directory (tests count flushes with it).
   */
  constructor(databasePath: string, flushFiles?: () => Promise<void>) {
    this.walPath = `${databasePath}-wal`
    this.dirPath = dirname(databasePath)
    if (flushFiles) this.flushFiles = flushFiles
  }

  /** markWritten records that a transaction has committed and is not yet durable. */
  markWritten(): void {
    this.writtenSeq++
  }

  /** sync resolves once every commit marked before the call is on disk. Rejects with KAFKA_STORAGE_ERROR if a flush fails. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    const target = this.writtenSeq
    if (target <= this.durableSeq) return Promise.resolve()
    if (this.inFlight !== null && this.inFlight.seq >= target) return this.inFlight.promise
    // A flush already running may have started before our commit's write; join the next one.
    if (this.queued === null) {
      const previous = this.inFlight?.promise.catch(() => undefined) ?? Promise.resolve()
      this.queued = previous.then(() => this.startFlush())
    }
    return this.queued
  }

  /** idle resolves once no flush is running or queued (used by close). */
  async idle(): Promise<void> {
    while (this.queued !== null || this.inFlight !== null) {
      await (this.queued ?? this.inFlight?.promise)?.catch(() => undefined)
    }
  }

  private startFlush(): Promise<void> {
    this.queued = null
    if (this.failure) return Promise.reject(this.failure)
    const flush: Flush = { seq: this.writtenSeq, promise: Promise.resolve() }
    flush.promise = this.flushFiles().then(
      () => {
        this.durableSeq = Math.max(this.durableSeq, flush.seq)
        if (this.inFlight === flush) this.inFlight = null
      },
      (err: unknown) => {
        if (this.inFlight === flush) this.inFlight = null
        this.failure = new TributaryError('KAFKA_STORAGE_ERROR', `fdatasync of ${this.walPath} failed: ${String(err)}`, {
          cause: err,
          retriable: false,
        })
        throw this.failure
      },
    )
    this.inFlight = flush
    return flush.promise
  }

  private flushFiles = async (): Promise<void> => {
    // 'r+': Windows' FlushFileBuffers needs a handle opened for writing.
    await syncFile(this.walPath, 'r+', fdatasyncAsync)
    // The -wal file's directory entry must be durable too; once per open is enough.
    if (!this.dirSynced) {
      // Windows cannot open or fsync a directory; NTFS journals directory entries itself.
      if (process.platform !== 'win32') await syncFile(this.dirPath, 'r', fsyncAsync)
      this.dirSynced = true
    }
  }
}

/** syncFile opens `path`, syncs it and closes it. A missing `-wal` means SQLite checkpointed and removed it: nothing to sync. */
async function syncFile(path: string, flags: string, syncFn: (fd: number) => Promise<void>): Promise<void> {
  let fd: number
  try {
    fd = await openAsync(path, flags)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  try {
    await syncFn(fd)
  } finally {
    await closeAsync(fd)
  }
}
