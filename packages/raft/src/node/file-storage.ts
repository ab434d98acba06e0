import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { TributaryError } from '@tributary/core'
import { assert, wrapStorageError } from '@tributary/core/internal'
import type { RaftInit } from '../core/raft'
import { bootstrapSnapshot } from '../core/raft'
import type { Entry, EntryType, HardState, NodeId, Snapshot } from '../core/types'
import type { PersistUpdate, RaftStorage } from './storage'
import { type CachedFile, type HandleCache, sharedHandleCache } from './handle-cache'

/*
 * Files in the group directory:
 *   hardstate  — 24 bytes: term f64 | vote f64 | commit f64, then crc32 u32 (replaced atomically)
 *   snapshot   — index f64 | term f64 | nVoters u32 | ids | nLearners u32 | ids | data, then crc32
 *   log        — append-only frames: len u32 | crc32 u32 | index f64 | term f64 | type u8 | data
 * A torn or corrupt tail frame (a crash mid-append) ends the log; it is cut off at load.
 */
const FRAME_HEADER = 8
const ENTRY_HEADER = 17

/**
 * FileRaftStorage is durable RaftStorage in one directory, fsyncing before it resolves. Its log
 * file is reached through a HandleCache (by default one per process, of DEFAULT_RAFT_HANDLES
 * descriptors), so a node with thousands of groups holds a bounded number of open files.
 */
export class FileRaftStorage implements RaftStorage {
  private log: CachedFile | undefined
  /** File offset of each stored entry's frame, by index - firstIndex. */
  private offsets: number[] = []
  private firstIndex = 1
  private size = 0

  constructor(
    readonly dir: string,
    private readonly handles: HandleCache = sharedHandleCache(),
  ) {}

  async load(voters: readonly NodeId[]): Promise<RaftInit> {
    try {
      await mkdir(this.dir, { recursive: true })
      const snapshot = (await this.readSnapshot()) ?? bootstrapSnapshot(voters)
      const hardState = await this.readHardState()
      const entries = await this.readLog(snapshot.meta.index)
      return { snapshot, hardState, entries }
    } catch (err) {
      throw wrapStorageError(err, `loading raft state from ${this.dir}`)
    }
  }

  private async readHardState(): Promise<HardState | undefined> {
    const buf = await readIfExists(join(this.dir, 'hardstate'))
    if (buf === undefined || buf.byteLength !== 28 || crc32(buf.subarray(0, 24)) !== buf.readUInt32LE(24)) return undefined
    return { term: buf.readDoubleLE(0), vote: buf.readDoubleLE(8), commit: buf.readDoubleLE(16) }
  }

  private async readSnapshot(): Promise<Snapshot | undefined> {
    const buf = await readIfExists(join(this.dir, 'snapshot'))
    if (buf === undefined) return undefined
    const body = buf.subarray(0, buf.byteLength - 4)
    // A damaged file on disk is an operating error: the group stops with KAFKA_STORAGE_ERROR.
    if (crc32(body) !== buf.readUInt32LE(buf.byteLength - 4))
      throw new TributaryError('KAFKA_STORAGE_ERROR', `the Raft snapshot file in ${this.dir} is corrupt (CRC mismatch)`, {
        retriable: false,
        details: { path: join(this.dir, 'snapshot') },
      })
    let pos = 16
    const ids = (): number[] => {
      const n = body.readUInt32LE(pos)
      pos += 4
      const out = Array.from({ length: n }, (_, i) => body.readUInt32LE(pos + 4 * i))
      pos += 4 * n
      return out
    }
    const membership = { voters: ids(), learners: ids() }
    return { meta: { index: body.readDoubleLE(0), term: body.readDoubleLE(8), membership }, data: new Uint8Array(body.subarray(pos)) }
  }

  private async readLog(snapshotIndex: number): Promise<Entry[]> {
    const path = join(this.dir, 'log')
    const buf = (await readIfExists(path)) ?? Buffer.alloc(0)
    const entries: Entry[] = []
    this.offsets = []
    let pos = 0
    while (pos + FRAME_HEADER + ENTRY_HEADER <= buf.byteLength) {
      const len = buf.readUInt32LE(pos)
      if (pos + FRAME_HEADER + len > buf.byteLength || len < ENTRY_HEADER) break
      const body = buf.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + len)
      if (crc32(body) !== buf.readUInt32LE(pos + 4)) break
      const e: Entry = {
        index: body.readDoubleLE(0),
        term: body.readDoubleLE(8),
        type: body.readUInt8(16) as EntryType,
        data: new Uint8Array(body.subarray(ENTRY_HEADER)),
      }
      // A later frame at an index we already hold means the log was truncated and rewritten there.
      const keep = entries.length === 0 ? 0 : Math.max(0, Math.min(entries.length, e.index - entries[0]!.index))
      entries.length = keep
      this.offsets.length = keep
      entries.push(e)
      this.offsets.push(pos)
      pos += FRAME_HEADER + len
    }
    this.log = this.handles.file(path, 'a+')
    await this.log.use((fh) => fh.truncate(pos)) // drop a torn tail
    this.size = pos
    this.firstIndex = entries[0]?.index ?? snapshotIndex + 1
    return entries.filter((e) => e.index > snapshotIndex)
  }

  async persist(update: PersistUpdate): Promise<void> {
    try {
      if (update.snapshot !== undefined) await this.writeSnapshot(update.snapshot, 'all')
      if (update.entries.length > 0) await this.appendEntries(update.entries)
      if (update.hardState !== undefined) await this.writeHardState(update.hardState)
    } catch (err) {
      throw wrapStorageError(err, `persisting raft state in ${this.dir}`)
    }
  }

  private async appendEntries(entries: readonly Entry[]): Promise<void> {
    const log = this.requireLog()
    const first = entries[0]!
    if (this.offsets.length === 0) this.firstIndex = first.index
    const keep = first.index - this.firstIndex
    // The Raft core hands out entries that follow (or overwrite) what the log holds, never a gap.
    assert(
      keep >= 0 && keep <= this.offsets.length,
      `log gap: writing ${first.index}, holding ${this.firstIndex}..${this.firstIndex + this.offsets.length - 1}`,
    )
    const truncateTo = keep < this.offsets.length ? this.offsets[keep]! : -1
    if (truncateTo >= 0) {
      // Overwriting: cut the file at the first replaced entry so the log stays one clean sequence.
      this.size = truncateTo
      this.offsets.length = keep
    }
    const frames = entries.map((e) => encodeFrame(e))
    for (const f of frames) {
      this.offsets.push(this.size)
      this.size += f.byteLength
    }
    await log.use(async (fh) => {
      if (truncateTo >= 0) await fh.truncate(truncateTo)
      await fh.writev(frames)
      await fh.datasync()
    })
  }

  private async writeHardState(hs: HardState): Promise<void> {
    const buf = Buffer.alloc(28)
    buf.writeDoubleLE(hs.term, 0)
    buf.writeDoubleLE(hs.vote, 8)
    buf.writeDoubleLE(hs.commit, 16)
    buf.writeUInt32LE(crc32(buf.subarray(0, 24)), 24)
    await this.replaceFile('hardstate', buf)
  }

  async saveSnapshot(snapshot: Snapshot, compactTo: number): Promise<void> {
    try {
      await this.writeSnapshot(snapshot, compactTo)
    } catch (err) {
      throw wrapStorageError(err, `saving a raft snapshot in ${this.dir}`)
    }
  }

  private async writeSnapshot(snapshot: Snapshot, compactTo: number | 'all'): Promise<void> {
    const { meta, data } = snapshot
    const ids = [meta.membership.voters, meta.membership.learners]
    const body = Buffer.alloc(16 + ids.reduce((n, l) => n + 4 + 4 * l.length, 0) + data.byteLength)
    body.writeDoubleLE(meta.index, 0)
    body.writeDoubleLE(meta.term, 8)
    let pos = 16
    for (const list of ids) {
      body.writeUInt32LE(list.length, pos)
      pos += 4
      for (const id of list) pos = body.writeUInt32LE(id, pos)
    }
    body.set(data, pos)
    const crc = Buffer.alloc(4)
    crc.writeUInt32LE(crc32(body))
    await this.replaceFile('snapshot', Buffer.concat([body, crc]))
    await this.compactLog(compactTo === 'all' ? Infinity : compactTo)
  }

  /** compactLog rewrites the log without entries <= `upTo` (atomically, via a temporary file). */
  private async compactLog(upTo: number): Promise<void> {
    const drop = Math.min(this.offsets.length, Math.max(0, upTo - this.firstIndex + 1))
    if (drop === 0) return
    const log = this.requireLog()
    const start = this.offsets[drop] ?? this.size
    const rest = Buffer.alloc(this.size - start)
    if (rest.byteLength > 0) await log.use((fh) => fh.read(rest, 0, rest.byteLength, start))
    // Closed before the rename, so that its next use opens the new file.
    await log.close()
    await this.replaceFile('log', rest)
    this.offsets = this.offsets.slice(drop).map((o) => o - start)
    this.firstIndex += drop
    this.size = rest.byteLength
  }

  /** replaceFile writes `name` atomically: temp file, fsync, rename, fsync the directory. */
  private async replaceFile(name: string, contents: Uint8Array): Promise<void> {
    const tmp = join(this.dir, `${name}.tmp`)
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(contents)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, join(this.dir, name))
    const dir = await open(this.dir, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }

  private requireLog(): CachedFile {
    assert(this.log !== undefined, 'FileRaftStorage used before load()')
    return this.log
  }

  async close(): Promise<void> {
    await this.log?.close()
    this.log = undefined
  }
}

function encodeFrame(e: Entry): Buffer {
  const frame = Buffer.alloc(FRAME_HEADER + ENTRY_HEADER + e.data.byteLength)
  const body = frame.subarray(FRAME_HEADER)
  body.writeDoubleLE(e.index, 0)
  body.writeDoubleLE(e.term, 8)
  body.writeUInt8(e.type, 16)
  body.set(e.data, ENTRY_HEADER)
  frame.writeUInt32LE(body.byteLength, 0)
  frame.writeUInt32LE(crc32(body), 4)
  return frame
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
