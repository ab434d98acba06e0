import { assert } from '@tributary/core/internal'
import * as fs from 'node:fs'
import { attempt } from './io'

/** Open flags of every cached file: read-write, created when missing, never O_APPEND (writes are positional). */
const OPEN_FLAGS = fs.constants.O_RDWR | fs.constants.O_CREAT

/**
 * FdCache bounds the file descriptors a storage holds: thousands of partitions each have a few
 * files, but at most `maxOpen` descriptors are open at once. Files open lazily on first use and
 * the least recently used unpinned one is closed to make room. A descriptor in use by an
 * asynchronous call (an fdatasync) is pinned and never closed under it.
 *
 * A quarter of the budget is reserved for asynchronous calls ("slots"): a slot is needed to pin
 * a cached descriptor or to open a short-lived one (a directory to fsync). So the cache itself
 * keeps at most `maxOpen − slots` descriptors, at most `slots` are in flight, eviction always
 * finds an unpinned victim, and the total never exceeds `maxOpen`.
 */
export class FdCache {
  /** Handles with an open descriptor, least recently used first (Map keeps insertion order). */
  private readonly lru = new Map<FileHandle, true>()
  private readonly maxPinned: number
  private readonly maxCached: number
  private pinned = 0
  /** Calls waiting for a slot, oldest first from `pinHead` (a queue without O(n) shifts: a close of 10,000 partitions queues that many). */
  private pinWaiters: Array<(() => void) | undefined> = []
  private pinHead = 0
  /** Evicted descriptors still closing on libuv's pool, and who waits for them. */
  private closing = 0
  private closingWaiters: Array<() => void> = []
  /** The handle touched last: the most recently used one, while it is in the LRU. */
  private lastTouched: FileHandle | null = null

  constructor(readonly maxOpen: number) {
    this.maxPinned = Math.max(1, Math.floor(maxOpen / 4))
    this.maxCached = maxOpen - this.maxPinned
  }

  /** withSlot runs an asynchronous call that opens a descriptor of its own, within the budget. */
  async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    const slot = this.acquirePin()
    if (slot !== null) await slot
    try {
      return await fn()
    } finally {
      this.releasePin()
    }
  }

  /** handle returns a handle for `path`; nothing is opened until it is used. */
  handle(path: string): FileHandle {
    return new FileHandle(this, path)
  }

  /** openCount tells how many descriptors are open now. */
  openCount(): number {
    return this.lru.size
  }

  /** closeAll closes every unpinned descriptor (pinned ones close when their call ends). */
  closeAll(): void {
    for (const handle of [...this.lru.keys()]) handle.release()
  }

  /** @internal */
  touch(handle: FileHandle): void {
    // Already the most recently used (the usual case: one hot file): moving it would only churn the Map.
    if (this.lastTouched === handle && this.lru.has(handle)) return
    this.lru.delete(handle)
    this.lru.set(handle, true)
    this.lastTouched = handle
  }

  /** @internal Closes least recently used descriptors until one more fits. */
  makeRoom(): void {
    while (this.lru.size >= this.maxCached && this.evictOne()) {
      // keep evicting until there is room
    }
  }

  /** @internal */
  opened(handle: FileHandle): void {
    this.lru.set(handle, true)
    this.lastTouched = handle
  }

  /** @internal */
  closed(handle: FileHandle): void {
    this.lru.delete(handle)
  }

  /**
   * @internal Takes a pin slot, so that at most `maxPinned` descriptors are held by async calls:
   * at once (null) when one is free, else the returned promise resolves once it is taken.
   */
  acquirePin(): Promise<void> | null {
    if (this.pinned < this.maxPinned) {
      this.pinned++
      return null
    }
    return new Promise<void>((resolve) => this.pinWaiters.push(resolve))
  }

  /** @internal Hands the slot to the next waiter, or frees it. */
  releasePin(): void {
    if (this.pinHead === this.pinWaiters.length) {
      this.pinned--
      return
    }
    const next = this.pinWaiters[this.pinHead]!
    this.pinWaiters[this.pinHead++] = undefined
    if (this.pinHead === this.pinWaiters.length) {
      this.pinWaiters = []
      this.pinHead = 0
    } else if (this.pinHead >= 1024 && this.pinHead * 2 >= this.pinWaiters.length) {
      this.pinWaiters = this.pinWaiters.slice(this.pinHead)
      this.pinHead = 0
    }
    next()
  }

  /**
   * @internal Closes an evicted descriptor. Where a slot is free it closes on libuv's pool and
   * holds the slot until then (the descriptor still counts against the budget while it closes);
   * otherwise here. A close is ~10 µs of system time, and writing to thousands of new partitions
   * evicts one descriptor per partition: 8% of such a produce was these closes on the event loop.
   */
  closeEvicted(fd: number): void {
    if (this.pinned >= this.maxPinned) {
      closeQuietly(fd)
      return
    }
    this.pinned++
    this.closing++
    fs.close(fd, () => {
      this.releasePin()
      if (--this.closing === 0) for (const resolve of this.closingWaiters.splice(0)) resolve()
    })
  }

  /** closesSettled resolves once every descriptor evicted so far is closed. */
  closesSettled(): Promise<void> {
    if (this.closing === 0) return Promise.resolve()
    return new Promise((resolve) => this.closingWaiters.push(resolve))
  }

  private evictOne(): boolean {
    for (const handle of this.lru.keys()) {
      if (!handle.isPinned()) {
        handle.release(true)
        return true
      }
    }
    return false
  }
}

/**
 * FileHandle is one file reached through the cache. `fd()` returns an open descriptor, opening
 * (and creating) the file if needed; callers must not keep the number across another `fd()` call
 * of any handle, since that may evict it. Async work uses `withPinned`, whose descriptor stays
 * open until the work ends even if the handle is released meanwhile (for instance because the
 * file is renamed over or deleted): the next `fd()` then opens the file afresh.
 */
export class FileHandle {
  private fdValue = -1
  /** Set once the file is deleted: the handle must never open (and so re-create) it again. */
  private discarded = false
  /** Pinned descriptors (the current one or retired ones) and how many calls hold each. */
  private readonly pins = new Map<number, number>()

  constructor(
    private readonly cache: FdCache,
    readonly path: string,
  ) {}

  /** fd returns an open descriptor for the file, marking it most recently used. */
  fd(): number {
    assert(!this.discarded, `FileHandle used after ${this.path} was deleted`)
    if (this.fdValue >= 0) {
      this.cache.touch(this)
      return this.fdValue
    }
    this.cache.makeRoom()
    this.fdValue = attempt(`open ${this.path}`, () => fs.openSync(this.path, OPEN_FLAGS, 0o644))
    this.cache.opened(this)
    return this.fdValue
  }

  /**
   * withPinned runs an asynchronous call on the descriptor, which stays open until it ends. If
   * the file is deleted before the call can start, it is skipped (resolves undefined).
   */
  async withPinned<T>(fn: (fd: number) => Promise<T>): Promise<T | undefined> {
    const slot = this.cache.acquirePin()
    if (slot !== null) await slot
    let fd = -1
    try {
      if (this.discarded) return undefined
      fd = this.fd()
      this.pins.set(fd, (this.pins.get(fd) ?? 0) + 1)
      return await fn(fd)
    } finally {
      if (fd >= 0) this.unpin(fd)
      this.cache.releasePin()
    }
  }

  /** isPinned tells whether an async call holds the current descriptor. */
  isPinned(): boolean {
    return this.fdValue >= 0 && this.pins.has(this.fdValue)
  }

  /**
   * release closes the descriptor (a pinned one when its last call ends). The handle stays usable.
   * `evicted` (the cache making room) lets the close finish off the event loop.
   */
  release(evicted = false): void {
    if (this.fdValue < 0) return
    const fd = this.fdValue
    this.fdValue = -1
    this.cache.closed(this)
    if (this.pins.has(fd)) return
    if (evicted) this.cache.closeEvicted(fd)
    else closeQuietly(fd)
  }

  /** discard closes the descriptor for good: the file is being deleted. */
  discard(): void {
    this.release()
    this.discarded = true
  }

  private unpin(fd: number): void {
    const left = (this.pins.get(fd) ?? 1) - 1
    if (left > 0) {
      this.pins.set(fd, left)
      return
    }
    this.pins.delete(fd)
    if (fd !== this.fdValue) closeQuietly(fd)
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd)
  } catch {
    // A failing close loses nothing we rely on: data is made durable by fdatasync, not close.
  }
}
