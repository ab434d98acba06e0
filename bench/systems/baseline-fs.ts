import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from 'node:fs'
import path from 'node:path'
import { messagePool } from '../lib/data'
import { nowMs } from '../lib/stats'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * baseline-fs is the floor of the JS work any log must do: a hand-written loop that copies each
 * message's length-prefixed key and value into 1 MiB buffers and writes each full buffer with
 * `fs.writeSync` (baseline-fs-fsync adds an `fdatasync` per buffer). Reading back parses the
 * frames from 1 MiB reads into views, as a lazily decoding log would.
 */

const BUFFER_BYTES = 1024 * 1024
/** A frame is [u32 key length][key][u32 value length][value]. */
const LENGTH_BYTES = 4

class FsSession implements LogSession {
  private readonly file: string
  private fd: number

  constructor(
    dir: string,
    private readonly fsync: boolean,
  ) {
    this.file = path.join(dir, 'baseline.log')
    this.fd = openSync(this.file, 'a+')
  }

  async produce({ count, deadlineMs }: ProduceOptions): Promise<number> {
    const pool = messagePool()
    const buffer = Buffer.allocUnsafe(BUFFER_BYTES)
    let used = 0
    let sent = 0
    for (; sent < count; sent++) {
      const { key, value } = pool.at(sent)
      if (used + 2 * LENGTH_BYTES + key.length + value.length > BUFFER_BYTES) {
        this.flush(buffer, used)
        used = 0
        if (nowMs() > deadlineMs) break
      }
      used = buffer.writeUInt32LE(key.length, used)
      used += key.copy(buffer, used)
      used = buffer.writeUInt32LE(value.length, used)
      used += value.copy(buffer, used)
    }
    this.flush(buffer, used)
    return sent
  }

  private flush(buffer: Buffer, used: number): void {
    if (used === 0) return
    writeSync(this.fd, buffer, 0, used)
    if (this.fsync) fdatasyncSync(this.fd)
  }

  async consume(count: number, deadlineMs: number): Promise<number> {
    const fd = openSync(this.file, 'r')
    const buffer = Buffer.allocUnsafe(BUFFER_BYTES)
    let position = 0
    let carried = 0 // bytes of an incomplete frame kept at the buffer's start
    let seen = 0
    let valueBytes = 0
    try {
      while (seen < count && nowMs() < deadlineMs) {
        const read = readSync(fd, buffer, carried, BUFFER_BYTES - carried, position)
        if (read === 0) break
        position += read
        const end = carried + read
        let at = 0
        while (seen < count) {
          if (at + LENGTH_BYTES > end) break
          const keyLength = buffer.readUInt32LE(at)
          const valueAt = at + LENGTH_BYTES + keyLength
          if (valueAt + LENGTH_BYTES > end) break
          const valueLength = buffer.readUInt32LE(valueAt)
          const frameEnd = valueAt + LENGTH_BYTES + valueLength
          if (frameEnd > end) break
          const value = buffer.subarray(valueAt + LENGTH_BYTES, frameEnd)
          valueBytes += value.length
          seen++
          at = frameEnd
        }
        carried = end - at
        buffer.copy(buffer, 0, at, end)
      }
    } finally {
      closeSync(fd)
    }
    if (valueBytes < 0) throw new Error('unreachable: keeps the value views from being optimised away')
    return seen
  }

  async close(): Promise<void> {
    closeSync(this.fd)
  }

  serverPeakRssBytes(): number {
    return 0
  }
}

export const baselineFs: LogSystem = {
  name: 'baseline-fs',
  persistent: true,
  open: async (dir) => new FsSession(dir, false),
}

export const baselineFsFsync: LogSystem = {
  name: 'baseline-fs-fsync',
  persistent: true,
  open: async (dir) => new FsSession(dir, true),
}
