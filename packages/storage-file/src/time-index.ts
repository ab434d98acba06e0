import * as fs from 'node:fs'
import type { FileHandle } from './fd-cache'
import { attempt, readFully, writeFully } from './io'

/** TIME_ENTRY_BYTES is the size of one `.timeindex` entry: timestamp (int64 BE), relative offset (int32 BE), as Kafka's. */
export const TIME_ENTRY_BYTES = 12

const TWO_POW_32 = 4294967296

/** Shared empty arrays: an index gets arrays of its own with its first entry (most segments of a many-partition storage have none). */
const NO_ENTRIES_I32 = new Int32Array(0)
const NO_ENTRIES_F64 = new Float64Array(0)

/**
 * TimeIndex is a segment's sparse time index. An entry (T, O) says that the largest timestamp of
 * any batch up to and including the one whose last offset is O is T; an entry is added at the
 * same points as the offset index, and only when T grows. So every batch up to O has a max
 * timestamp ≤ T, which lets a timestamp search skip them when T < target.
 *
 * Invariant: timestamps and relative offsets both strictly increase.
 */
export class TimeIndex {
  private ts: Float64Array = NO_ENTRIES_F64
  private rel: Int32Array = NO_ENTRIES_I32
  private size = 0
  /** Entries already in the file; -1 when the file must be rewritten whole. */
  private persisted = 0

  constructor(
    readonly baseOffset: number,
    private readonly file: FileHandle,
  ) {}

  /** maybeAppend records that batches up to `offset` have max timestamp `timestamp`, if it grew. */
  maybeAppend(timestamp: number, offset: number): void {
    if (this.size > 0 && (timestamp <= this.ts[this.size - 1]! || offset - this.baseOffset <= this.rel[this.size - 1]!)) return
    if (this.size === this.ts.length) this.grow()
    this.ts[this.size] = timestamp
    this.rel[this.size] = offset - this.baseOffset
    this.size++
  }

  /** count returns the number of entries. */
  count(): number {
    return this.size
  }

  /** lastTimestamp returns the largest indexed timestamp, or -1 when there is none. */
  lastTimestamp(): number {
    return this.size === 0 ? -1 : this.ts[this.size - 1]!
  }

  /** timestampAtOrBefore returns the timestamp of the last entry whose offset is ≤ `offset`, or -1. */
  timestampAtOrBefore(offset: number): number {
    let n = this.size
    while (n > 0 && this.baseOffset + this.rel[n - 1]! > offset) n--
    return n === 0 ? -1 : this.ts[n - 1]!
  }

  /**
   * offsetBefore returns the offset of the last entry whose timestamp is below `timestampMs`: no
   * batch up to it can match, so a search starts scanning there. -1 means scan from the start.
   */
  offsetBefore(timestampMs: number): number {
    let lo = 0
    let hi = this.size - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.ts[mid]! < timestampMs) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? -1 : this.baseOffset + this.rel[found]!
  }

  /** truncateToOffset drops entries for offsets at or after `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.size
    while (n > 0 && this.baseOffset + this.rel[n - 1]! >= offset) n--
    if (n >= this.size) return
    this.size = n
    if (this.persisted > n) this.persisted = -1
  }

  /** clear drops every entry (before a rebuild). */
  clear(): void {
    this.size = 0
    this.persisted = -1
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
    const buf = Buffer.allocUnsafe((end - from) * TIME_ENTRY_BYTES)
    for (let i = from; i < end; i++) {
      const at = (i - from) * TIME_ENTRY_BYTES
      const t = this.ts[i]!
      buf.writeInt32BE(Math.floor(t / TWO_POW_32), at)
      buf.writeUInt32BE(t >>> 0, at + 4)
      buf.writeInt32BE(this.rel[i]!, at + 8)
    }
    const fd = this.file.fd()
    if (this.persisted < 0) attempt(`truncate ${this.file.path}`, () => fs.ftruncateSync(fd, 0))
    writeFully(fd, buf, from * TIME_ENTRY_BYTES, `write ${this.file.path}`)
    this.persisted = end
  }

  /** load reads `<base>.timeindex`, keeping the longest well-ordered prefix at or below `maxOffset`. */
  static load(baseOffset: number, file: FileHandle, maxOffset: number, exists = true): TimeIndex {
    const index = new TimeIndex(baseOffset, file)
    // A file the directory listing lacks is not opened: that would create it, for no entry.
    if (!exists) return index
    const fd = file.fd()
    const fileBytes = attempt(`stat ${file.path}`, () => fs.fstatSync(fd).size)
    const buf = Buffer.allocUnsafe(fileBytes)
    const got = readFully(fd, buf, fileBytes, 0, `read ${file.path}`)
    const entries = Math.floor(got / TIME_ENTRY_BYTES)
    for (let i = 0; i < entries; i++) {
      const at = i * TIME_ENTRY_BYTES
      const ts = buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4)
      const rel = buf.readInt32BE(at + 8)
      if (rel < 0 || baseOffset + rel > maxOffset) break
      const before = index.size
      index.maybeAppend(ts, baseOffset + rel)
      if (index.size === before) break
    }
    index.persisted = index.size * TIME_ENTRY_BYTES === fileBytes ? index.size : -1
    return index
  }

  private grow(): void {
    const ts = new Float64Array(Math.max(16, this.ts.length * 2))
    const rel = new Int32Array(Math.max(16, this.rel.length * 2))
    ts.set(this.ts)
    rel.set(this.rel)
    this.ts = ts
    this.rel = rel
  }
}
