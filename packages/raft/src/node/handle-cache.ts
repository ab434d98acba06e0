import { open, type FileHandle } from 'node:fs/promises'

/**
 * HandleCache bounds the log files that Raft groups keep open: a cluster node hosts one Raft group
 * per partition replica, and a descriptor per group would run into the process's limit (ulimit -n)
 * with thousands of partitions. Each group's log opens on use and stays open while recently used;
 * the least recently used idle one is closed to make room. A handle in use by an operation is
 * never closed under it; when every open handle is in use, the next operation waits for one, so the
 * cache never holds more than `maxOpen` descriptors.
 */
export class HandleCache {
  /** Open files, least recently used first (Map keeps insertion order). */
  private readonly lru = new Map<CachedFile, true>()
  private inUse = 0
  /** Operations between deciding to open a file and holding its descriptor (counted against the budget). */
  private opening = 0
  private readonly waiters: Array<() => void> = []

  constructor(readonly maxOpen: number) {
    if (!Number.isSafeInteger(maxOpen) || maxOpen < 1) throw new RangeError(`maxOpen must be a positive integer, got ${maxOpen}`)
  }

  /** file returns the cached file of `path` (opened with `flags` when used). */
  file(path: string, flags: string): CachedFile {
    return new CachedFile(this, path, flags)
  }

  /** openCount is how many descriptors the cache holds now. */
  get openCount(): number {
    return this.lru.size
  }

  /** @internal Runs `fn` with the file open, within the budget. */
  async use<T>(file: CachedFile, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    await this.slot()
    try {
      file.pins++
      let fh = file.fh
      if (fh === undefined) {
        this.opening++
        try {
          await this.makeRoom()
          fh = await open(file.path, file.flags)
        } finally {
          this.opening--
        }
        file.fh = fh
      }
      this.lru.delete(file)
      this.lru.set(file, true)
      return await fn(fh)
    } finally {
      file.pins--
      this.release()
    }
  }

  /** @internal Closes the file now (it reopens on its next use). */
  async close(file: CachedFile): Promise<void> {
    const fh = file.fh
    if (fh === undefined) return
    file.fh = undefined
    this.lru.delete(file)
    await fh.close()
  }

  /** makeRoom closes idle files until one more fits. */
  private async makeRoom(): Promise<void> {
    for (const victim of [...this.lru.keys()]) {
      if (this.lru.size + this.opening <= this.maxOpen) return
      if (victim.pins === 0) await this.close(victim)
    }
  }

  /**
   * slot waits until fewer than maxOpen operations run, so that makeRoom always finds an idle file:
   * the files in use are at most the operations running less those still opening theirs.
   */
  private slot(): Promise<void> {
    if (this.inUse < this.maxOpen) {
      this.inUse++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private release(): void {
    const next = this.waiters.shift()
    if (next) next()
    else this.inUse--
  }
}

/** CachedFile is one file reached through a HandleCache. */
export class CachedFile {
  /** @internal */ fh: FileHandle | undefined
  /** @internal Operations using the file now. */ pins = 0

  constructor(
    private readonly cache: HandleCache,
    readonly path: string,
    readonly flags: string,
  ) {}

  /** use runs `fn` with the file open (opening it, and closing an idle one, if needed). */
  use<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    return this.cache.use(this, fn)
  }

  /** close closes the descriptor now; the next `use` opens the file again. */
  close(): Promise<void> {
    return this.cache.close(this)
  }
}

/** DEFAULT_RAFT_HANDLES is the budget of the process-wide cache used when a FileRaftStorage is given none. */
export const DEFAULT_RAFT_HANDLES = 256

let shared: HandleCache | null = null

/** sharedHandleCache is the process-wide default HandleCache of Raft logs. */
export function sharedHandleCache(): HandleCache {
  shared ??= new HandleCache(DEFAULT_RAFT_HANDLES)
  return shared
}
