import * as fs from 'node:fs'
import { join } from 'node:path'
import type { CommittedOffset, TopicPartition } from '@tributary/core'
import { crc32c } from '@tributary/core/internal'
import type { FdCache, FileHandle } from './fd-cache'
import { GroupCommit } from './group-commit'
import { attempt, fdatasyncAsync, readFully, writeFileDurableSync, writeFully } from './io'

/** OFFSETS_FILE_NAME is the committed-offsets log in a storage directory. */
export const OFFSETS_FILE_NAME = 'offsets.log'

/** Frame header: payload length (uint32 BE), then CRC-32C of the payload (uint32 BE). */
const FRAME_HEADER_BYTES = 8

/** One entry of the log: a commit (some offsets), a delete (a group's offsets), or a snapshot (everything). */
type OffsetsEntry = { t: 'commit'; offsets: CommittedOffset[] } | { t: 'delete'; groupId: string; partitions: TopicPartition[] | null }

/**
 * OffsetsStore keeps committed group offsets as an append-only log of CRC-framed JSON entries,
 * one per call, so that all offsets of one call land together or not at all. The log is
 * replayed on open (a torn last frame is cut) and rewritten as a single snapshot entry when it
 * outgrows `maxBytes`. Writes are durable when their promise resolves (group commit).
 */
export class OffsetsStore {
  private readonly path: string
  private readonly file: FileHandle
  private readonly latest = new Map<string, CommittedOffset>()
  private size = 0
  private snapshotBytes = 0
  private readonly commit = new GroupCommit(() => this.file.withPinned((fd) => fdatasyncAsync(fd, `fdatasync ${this.path}`)))

  constructor(
    private readonly dir: string,
    cache: FdCache,
    private readonly maxBytes: number,
  ) {
    this.path = join(dir, OFFSETS_FILE_NAME)
    this.file = cache.handle(this.path)
  }

  /** load replays the log, cutting a torn or corrupt tail. */
  load(): void {
    const fd = this.file.fd()
    const fileBytes = attempt(`stat ${this.path}`, () => fs.fstatSync(fd).size)
    const buf = Buffer.allocUnsafe(fileBytes)
    const got = readFully(fd, buf, fileBytes, 0, `read ${this.path}`)
    let pos = 0
    for (let entry = readFrame(buf, pos, got); entry !== null; entry = readFrame(buf, pos, got)) {
      this.apply(entry.entry)
      pos = entry.next
    }
    if (pos < fileBytes) attempt(`truncate ${this.path}`, () => fs.ftruncateSync(this.file.fd(), pos))
    this.size = pos
    this.snapshotBytes = pos
  }

  /** all returns every committed offset (the latest per group and partition). */
  all(): CommittedOffset[] {
    return [...this.latest.values()].map((o) => ({ ...o }))
  }

  /** commit stores `offsets` as one entry; resolves once it is durable. */
  commitOffsets(offsets: readonly CommittedOffset[]): Promise<void> {
    return this.write({ t: 'commit', offsets: offsets.map((o) => ({ ...o })) })
  }

  /** deleteGroup removes a group's offsets (for some partitions or all); resolves once durable. */
  deleteGroup(groupId: string, partitions?: readonly TopicPartition[]): Promise<void> {
    return this.write({
      t: 'delete',
      groupId,
      partitions: partitions ? partitions.map((p) => ({ topic: p.topic, partition: p.partition })) : null,
    })
  }

  /** close waits for pending writes to be durable and closes the file. */
  async close(): Promise<void> {
    try {
      await this.commit.sync()
    } finally {
      this.file.release()
    }
  }

  private write(entry: OffsetsEntry): Promise<void> {
    if (this.size > Math.max(this.maxBytes, 2 * this.snapshotBytes)) this.rewrite()
    const frame = encodeFrame(entry)
    writeFully(this.file.fd(), frame, this.size, `append to ${this.path}`)
    this.size += frame.length
    this.apply(entry)
    this.commit.noteWrite()
    return this.commit.sync()
  }

  /**
   * rewrite replaces the log with one snapshot entry of the current state (durably, before the
   * rename), so everything written before is durable after it. Synchronous: it is rare, and
   * appends must not land in the old file meanwhile.
   */
  private rewrite(): void {
    const frame = encodeFrame({ t: 'commit', offsets: this.all() })
    writeFileDurableSync(this.path, this.dir, frame)
    this.file.release()
    this.size = frame.length
    this.snapshotBytes = frame.length
  }

  private apply(entry: OffsetsEntry): void {
    if (entry.t === 'commit') {
      for (const o of entry.offsets) this.latest.set(keyOf(o.groupId, o.topic, o.partition), o)
      return
    }
    for (const [key, o] of this.latest) {
      if (o.groupId !== entry.groupId) continue
      if (entry.partitions === null || entry.partitions.some((p) => p.topic === o.topic && p.partition === o.partition))
        this.latest.delete(key)
    }
  }
}

function keyOf(groupId: string, topic: string, partition: number): string {
  return `${groupId}\u0000${topic}\u0000${partition}`
}

function encodeFrame(entry: OffsetsEntry): Buffer {
  const payload = Buffer.from(JSON.stringify(entry), 'utf8')
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length)
  frame.writeUInt32BE(payload.length, 0)
  frame.writeUInt32BE(crc32c(payload), 4)
  payload.copy(frame, FRAME_HEADER_BYTES)
  return frame
}

/** readFrame decodes the frame at `pos`, or returns null for a torn, corrupt or unreadable one. */
function readFrame(buf: Buffer, pos: number, end: number): { entry: OffsetsEntry; next: number } | null {
  if (end - pos < FRAME_HEADER_BYTES) return null
  const length = buf.readUInt32BE(pos)
  const next = pos + FRAME_HEADER_BYTES + length
  if (next > end) return null
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, next)
  if (crc32c(payload) !== buf.readUInt32BE(pos + 4)) return null
  try {
    return { entry: JSON.parse(payload.toString('utf8')) as OffsetsEntry, next }
  } catch {
    return null
  }
}

/**
 * readOffsetsFile replays a committed-offsets log without changing it (for inspection while
 * another process may own it): the latest offsets, and where the valid frames end (a shorter
 * `validBytes` than `fileBytes` is a torn or damaged tail, which the next open cuts).
 */
export function readOffsetsFile(path: string): { offsets: CommittedOffset[]; validBytes: number; fileBytes: number } {
  let buf: Buffer
  try {
    buf = fs.readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { offsets: [], validBytes: 0, fileBytes: 0 }
    throw err
  }
  const latest = new Map<string, CommittedOffset>()
  let pos = 0
  for (let frame = readFrame(buf, pos, buf.length); frame !== null; frame = readFrame(buf, pos, buf.length)) {
    const entry = frame.entry
    if (entry.t === 'commit') for (const o of entry.offsets) latest.set(keyOf(o.groupId, o.topic, o.partition), o)
    else
      for (const [key, o] of latest)
        if (
          o.groupId === entry.groupId &&
          (entry.partitions === null || entry.partitions.some((p) => p.topic === o.topic && p.partition === o.partition))
        )
          latest.delete(key)
    pos = frame.next
  }
  return { offsets: [...latest.values()], validBytes: pos, fileBytes: buf.length }
}
