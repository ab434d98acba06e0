import * as fs from 'node:fs'
import type { FileHandle } from './fd-cache'
import { attempt, readFully, writeFully } from './io'

/** OFFSET_ENTRY_BYTES is the size of one `.index` entry: relative offset (int32 BE), file position (int32 BE), as Kafka's. */
export const OFFSET_ENTRY_BYTES = 8

/** Shared empty arrays: an index gets arrays of its own with its first entry (most segments of a many-partition storage have none). */
const NO_ENTRIES_I32 = new Int32Array(0)

/**
 * OffsetIndex is a segment's sparse offset index: entries map a batch's last offset (relative
 * to the segment base) to the file position where that batch starts, one entry every
 * `index.interval.bytes`. It lives in memory (a lookup is a binary search over typed arrays)
 * and is written to `<base>.index` incrementally; the file is a hint that recovery checks and
 * rebuilds, never trusted for correctness.
 *
 * Invariant: relative offsets and positions both strictly increase.
 */
export class OffsetIndex {
  private rel: Int32Array = NO_ENTRIES_I32
  private pos: Int32Array = NO_ENTRIES_I32
  private size = 0
  /** Entries already in the file; -1 when the file must be rewritten whole. */
  private persisted = 0

  constructor(
    readonly baseOffset: number,
    private readonly file: FileHandle,
  ) {}

  /** count returns the number of entries. */
  count(): number {
    return this.size
  }

  /** append adds an entry for a batch whose last offset is `offset` and which starts at `position`. */
  append(offset: number, position: number): void {
    if (this.size === this.rel.length) this.grow()
    this.rel[this.size] = offset - this.baseOffset
    this.pos[this.size] = position
    this.size++
  }

  /** lookup returns the position to start scanning from for `offset`: that of the greatest entry ≤ it, else 0. */
  lookup(offset: number): number {
    const i = this.floorIndex(offset - this.baseOffset)
    return i < 0 ? 0 : this.pos[i]!
  }

  /** lastPosition returns the position of the last entry, or 0 when there is none. */
  lastPosition(): number {
    return this.size === 0 ? 0 : this.pos[this.size - 1]!
  }

  /** lastOffset returns the absolute offset of the last entry, or -1 when there is none. */
  lastOffset(): number {
    return this.size === 0 ? -1 : this.baseOffset + this.rel[this.size - 1]!
  }

  /** truncateToPosition drops every entry at or after `position` (the data there is gone). */
  truncateToPosition(position: number): void {
    let n = this.size
    while (n > 0 && this.pos[n - 1]! >= position) n--
    this.truncateToCount(n)
  }

  /** truncateToCount keeps the first `n` entries. */
  truncateToCount(n: number): void {
    if (n >= this.size) return
    this.size = n
    if (this.persisted > n) this.persisted = -1
  }

  /**
   * persist writes the first `upTo` entries where the file lacks them (or the whole file after a
   * truncation). Callers pass the count from before an fdatasync, so that the file never holds
   * an entry for data that might not be on disk.
   */
  persist(upTo = this.size): void {
    const end = Math.min(upTo, this.size)
    if (this.persisted >= end) return
    const from = Math.max(this.persisted, 0)
    const buf = Buffer.allocUnsafe((end - from) * OFFSET_ENTRY_BYTES)
    for (let i = from; i < end; i++) {
      buf.writeInt32BE(this.rel[i]!, (i - from) * OFFSET_ENTRY_BYTES)
      buf.writeInt32BE(this.pos[i]!, (i - from) * OFFSET_ENTRY_BYTES + 4)
    }
    const fd = this.file.fd()
    if (this.persisted < 0) attempt(`truncate ${this.file.path}`, () => fs.ftruncateSync(fd, 0))
    writeFully(fd, buf, from * OFFSET_ENTRY_BYTES, `write ${this.file.path}`)
    this.persisted = end
  }

  /** markForRewrite makes the next `persist` rewrite the whole file (after a rebuild). */
  markForRewrite(): void {
    this.persisted = -1
  }

  /**
   * load reads `<base>.index`, keeping the longest prefix whose entries increase and point
   * below `logBytes`; anything else in the file is marked to be rewritten. A missing file
   * (`exists` false: the caller's directory listing lacks it) loads as empty.
   */
  static load(baseOffset: number, file: FileHandle, logBytes: number, exists = true): OffsetIndex {
    const index = new OffsetIndex(baseOffset, file)
    // A file the directory listing lacks is not opened: that would create it, for no entry.
    if (!exists) return index
    const fd = file.fd()
    const fileBytes = attempt(`stat ${file.path}`, () => fs.fstatSync(fd).size)
    const buf = Buffer.allocUnsafe(fileBytes)
    const got = readFully(fd, buf, fileBytes, 0, `read ${file.path}`)
    const entries = Math.floor(got / OFFSET_ENTRY_BYTES)
    for (let i = 0; i < entries; i++) {
      const rel = buf.readInt32BE(i * OFFSET_ENTRY_BYTES)
      const pos = buf.readInt32BE(i * OFFSET_ENTRY_BYTES + 4)
      const previous = index.size - 1
      if (rel < 0 || pos < 0 || pos >= logBytes) break
      if (previous >= 0 && (rel <= index.rel[previous]! || pos <= index.pos[previous]!)) break
      index.append(baseOffset + rel, pos)
    }
    index.persisted = index.size * OFFSET_ENTRY_BYTES === fileBytes ? index.size : -1
    return index
  }

  private floorIndex(rel: number): number {
    let lo = 0
    let hi = this.size - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.rel[mid]! <= rel) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }

  private grow(): void {
    const rel = new Int32Array(Math.max(16, this.rel.length * 2))
    const pos = new Int32Array(Math.max(16, this.pos.length * 2))
    rel.set(this.rel)
    pos.set(this.pos)
    this.rel = rel
    this.pos = pos
  }
}
