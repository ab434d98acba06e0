import * as fs from 'node:fs'
import { join } from 'node:path'
import { BatchLayout, crc32c, partitionKey, wrapStorageError } from '@tributary/core/internal'
import { GroupCommit } from './group-commit'
import { attempt, fdatasyncAsync, fsyncDirSync } from './io'

/**
 * Journal is the storage's shared write-ahead journal: every appended batch of every partition is
 * also written, in append order, to one file (`journal-<20-digit sequence>`), so that acks=all
 * over many partitions costs one fdatasync of that file instead of one per partition's segment
 * (on ext4, eight fdatasyncs of eight appended files take about three times one fdatasync of the
 * same bytes in one file: each forces its own journal commit). The segments are still written at
 * once (reads never touch the journal) and are flushed at checkpoints: when the journal file
 * reaches `journalBytes` a new one is started, every partition written meanwhile is flushed, and
 * the old file is deleted. Recovery (journal-replay.ts) appends to each partition the journaled
 * batches its segments lost.
 *
 * A record is `length u32 | crc u32 | kind u8 | partition u32 | topic length u16 | topic | payload`,
 * length counting the bytes after itself. The CRC-32C covers kind through the end of the payload's
 * batch header (61 bytes): the batch's own CRC covers the rest, and replay checks both, so a torn
 * tail ends the file's records. Kinds: a batch, and a *forget* mark, written when a partition is
 * truncated, reset or deleted: replay ignores that partition's records before it.
 *
 * Records are copied into a staging buffer (bounded: `STAGING_BYTES`, a bigger record is written
 * directly) and reach the file, in order, when a sync needs them or the buffer is full.
 */
export class Journal {
  private fd: number
  private path: string
  private sizeBytes = 0
  private readonly staging = Buffer.allocUnsafe(STAGING_BYTES)
  private staged = 0
  private readonly commit = new GroupCommit(() => this.flush())
  private closed = false
  /** Flushes in progress per descriptor: a rotated file's descriptor is closed only once none is left. */
  private readonly flushing = new Map<number, number>()
  /** Rotated descriptors waiting for their flushes to end before they are closed. */
  private readonly retired = new Set<number>()
  /**
   * The partitions with batch records in this journal's files (kept until the journal closes:
   * bounded by the partitions), so that a forget mark is written only where replay could act.
   */
  private readonly journaled = new Set<string>()

  private constructor(
    private readonly dir: string,
    private sequence: number,
    private readonly maxBytes: number,
    private readonly onFull: () => void,
    private readonly onFlushed: (ms: number) => void,
  ) {
    this.path = journalPath(dir, sequence)
    this.fd = createJournalFile(dir, this.path)
  }

  /**
   * create starts journal file number `sequence` in `dir` (durably: its directory entry is synced).
   * `onFull` is called after each record added once the file holds `maxBytes` or more;
   * `onFlushed` after each flush with how long its fdatasync took, in ms (metrics, slow-flush warnings).
   */
  static create(dir: string, sequence: number, maxBytes: number, onFull: () => void, onFlushed: (ms: number) => void = () => {}): Journal {
    return new Journal(dir, sequence, maxBytes, onFull, onFlushed)
  }

  /** bytes is how much the current file holds, staged bytes included. */
  bytes(): number {
    return this.sizeBytes
  }

  /** appendBatch journals one batch of topic-partition; durable once a later `sync()` resolves. */
  appendBatch(topic: string, partition: number, batch: Buffer): void {
    this.add(KIND_BATCH, topic, partition, batch)
    this.journaled.add(partitionKey(topic, partition))
  }

  /** holds tells whether batches of topic-partition were journaled (so replay could append them). */
  holds(topic: string, partition: number): boolean {
    return this.journaled.has(partitionKey(topic, partition))
  }

  /**
   * forget journals a forget mark for a partition and makes it durable before returning: after it,
   * replay ignores the partition's earlier records (it was truncated, reset or deleted, and its own
   * files say what is left).
   */
  forget(topic: string, partition: number): void {
    this.add(KIND_FORGET, topic, partition, EMPTY)
    this.writeStaged()
    attempt(`fdatasync ${this.path}`, () => fs.fdatasyncSync(this.fd))
  }

  /** sync resolves once every record added before the call is on disk (group commit). */
  sync(): Promise<void> {
    return this.commit.sync()
  }

  /**
   * rotate makes the current file durable, closes it and starts the next one; returns the path of
   * the closed file, which may be deleted once every partition written before is flushed.
   */
  rotate(): string {
    this.writeStaged()
    const old = this.path
    const oldFd = this.fd
    attempt(`fdatasync ${old}`, () => fs.fdatasyncSync(oldFd))
    this.sequence++
    this.path = journalPath(this.dir, this.sequence)
    this.fd = createJournalFile(this.dir, this.path)
    this.sizeBytes = 0
    this.retire(oldFd)
    return old
  }

  /** close writes out what is staged and closes the file (it is not synced: callers flush the segments first). */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.writeStaged()
    } finally {
      this.retire(this.fd)
    }
  }

  /** currentPath is the file being written. */
  currentPath(): string {
    return this.path
  }

  private add(kind: number, topic: string, partition: number, payload: Buffer): void {
    const topicBytes = Buffer.byteLength(topic, 'utf8')
    const headerBytes = RECORD_HEADER_BYTES + topicBytes
    const total = headerBytes + payload.length
    if (this.staged + total > STAGING_BYTES) this.writeStaged()
    if (total > STAGING_BYTES) {
      const header = Buffer.allocUnsafe(headerBytes)
      encodeHeader(header, 0, kind, topic, topicBytes, partition, payload)
      this.writeAll([header, payload])
    } else {
      const at = this.staged
      encodeHeader(this.staging, at, kind, topic, topicBytes, partition, payload)
      payload.copy(this.staging, at + headerBytes)
      this.staged += total
    }
    this.sizeBytes += total
    this.commit.noteWrite()
    if (this.sizeBytes >= this.maxBytes) this.onFull()
  }

  private writeStaged(): void {
    if (this.staged === 0) return
    const n = this.staged
    this.staged = 0
    this.writeAll([this.staging.subarray(0, n)])
  }

  /** writeAll appends `parts` to the file (opened for appending only: every write lands at its end). */
  private writeAll(parts: Buffer[]): void {
    for (const part of parts) {
      try {
        let done = 0
        while (done < part.length) done += fs.writeSync(this.fd, part, done, part.length - done)
      } catch (err) {
        throw wrapStorageError(err, `write ${this.path}`)
      }
    }
  }

  private async flush(): Promise<void> {
    this.writeStaged()
    const fd = this.fd
    this.flushing.set(fd, (this.flushing.get(fd) ?? 0) + 1)
    const started = performance.now()
    try {
      await fdatasyncAsync(fd, `fdatasync ${this.path}`)
      this.onFlushed(performance.now() - started)
    } finally {
      const left = (this.flushing.get(fd) ?? 1) - 1
      // The current file's count stays at 0 between flushes (no Map entry made and dropped per flush).
      if (left > 0 || !this.retired.has(fd)) this.flushing.set(fd, left)
      else {
        this.flushing.delete(fd)
        this.retired.delete(fd)
        fs.closeSync(fd)
      }
    }
  }

  /** retire closes a descriptor no longer written, at once or when its last flush ends. */
  private retire(fd: number): void {
    if ((this.flushing.get(fd) ?? 0) > 0) this.retired.add(fd)
    else {
      this.flushing.delete(fd)
      fs.closeSync(fd)
    }
  }
}

/** STAGING_BYTES bounds the staging buffer (a record bigger than it is written directly). */
const STAGING_BYTES = 1024 * 1024
/** length, crc, kind, partition, topic length. */
export const RECORD_HEADER_BYTES = 4 + 4 + 1 + 4 + 2
export const KIND_BATCH = 1
export const KIND_FORGET = 2
const EMPTY = Buffer.alloc(0)
const JOURNAL_PREFIX = 'journal-'

/** journalPath names journal file number `sequence` in `dir`. */
export function journalPath(dir: string, sequence: number): string {
  return join(dir, `${JOURNAL_PREFIX}${String(sequence).padStart(20, '0')}`)
}

/** journalSequence is the sequence number of a journal file name, or null for any other name. */
export function journalSequence(name: string): number | null {
  if (!name.startsWith(JOURNAL_PREFIX)) return null
  const digits = name.slice(JOURNAL_PREFIX.length)
  return /^\d{20}$/.test(digits) ? Number(digits) : null
}

function encodeHeader(buf: Buffer, at: number, kind: number, topic: string, topicBytes: number, partition: number, payload: Buffer): void {
  const headerBytes = RECORD_HEADER_BYTES + topicBytes
  buf.writeUInt32BE(headerBytes - 4 + payload.length, at)
  buf.writeUInt8(kind, at + 8)
  buf.writeUInt32BE(partition, at + 9)
  buf.writeUInt16BE(topicBytes, at + 13)
  buf.write(topic, at + 15, topicBytes, 'utf8')
  buf.writeUInt32BE(checksum(buf, at + 8, at + headerBytes, payload), at + 4)
}

/**
 * checksum is the record's CRC-32C: over its header from `kind` on (`buf[from, to)`) and the
 * first 61 bytes of the payload (a batch's header; its own CRC covers the rest).
 */
export function checksum(buf: Uint8Array, from: number, to: number, payload: Uint8Array): number {
  const covered = Math.min(payload.length, BatchLayout.HEADER_SIZE)
  const joined = Buffer.allocUnsafe(to - from + covered)
  joined.set(buf.subarray(from, to), 0)
  joined.set(payload.subarray(0, covered), to - from)
  return crc32c(joined)
}

function createJournalFile(dir: string, path: string): number {
  let fd: number
  try {
    fd = fs.openSync(path, 'wx')
  } catch (err) {
    throw wrapStorageError(err, `create ${path}`)
  }
  fsyncDirSync(dir)
  return fd
}
