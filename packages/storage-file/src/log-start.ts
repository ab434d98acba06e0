import * as fs from 'node:fs'
import { join } from 'node:path'
import { TributaryError } from '@tributary/core'
import { wrapStorageError } from '@tributary/core/internal'
import { isMissing, writeFileDurableSync } from './io'
import type { FileStorageLogger } from './options'
import { Segment } from './segment'
import type { FdCache } from './fd-cache'

/**
 * The log start offset checkpoint of one partition (Kafka keeps the same number in
 * `log-start-offset-checkpoint`). `deleteBefore` may move the log start inside a segment, where
 * no file name records it, so it is written to `<partition dir>/log-start-offset` as the text
 * `v1 <offset>\n`, through a temporary file, fdatasync, rename and directory fsync: a crash
 * leaves the old or the new value, never a torn one.
 *
 * The log start is max(checkpoint, first segment's base): a checkpoint at or below the first
 * base says nothing more, so retention (which moves the start to a segment base) never writes
 * one, and a stale lower value is harmless. `resetTo` deletes the file (its reset marker's
 * recovery deletes it too), since a reset may move the start back.
 */

/** LOG_START_FILE_NAME is the checkpoint's file name inside a partition directory. */
export const LOG_START_FILE_NAME = 'log-start-offset'

const FORMAT = /^v1 (\d{1,16})\n$/

/** readLogStart returns the checkpointed log start of the partition at `dir`, or -1 when there is none. */
export function readLogStart(dir: string): number {
  const path = join(dir, LOG_START_FILE_NAME)
  let text: string
  try {
    text = fs.readFileSync(path, 'latin1')
  } catch (err) {
    if (isMissing(err)) return -1
    throw wrapStorageError(err, `read ${path}`)
  }
  const match = FORMAT.exec(text)
  const offset = match === null ? Number.NaN : Number(match[1])
  if (!Number.isSafeInteger(offset))
    throw new TributaryError('KAFKA_STORAGE_ERROR', `${path} is not a log start offset checkpoint`, { retriable: false, details: { path } })
  return offset
}

/** writeLogStart makes `offset` the partition's checkpointed log start, durably, before it returns. */
export function writeLogStart(dir: string, offset: number): void {
  writeFileDurableSync(join(dir, LOG_START_FILE_NAME), dir, Buffer.from(`v1 ${offset}\n`, 'latin1'))
}

/** removeLogStart deletes the checkpoint (a reset restarts the log with the start at its only segment's base). */
export function removeLogStart(dir: string): void {
  const path = join(dir, LOG_START_FILE_NAME)
  try {
    fs.unlinkSync(path)
  } catch (err) {
    if (!isMissing(err)) throw wrapStorageError(err, `delete ${path}`)
  }
}

/** RecoveredLog is a loaded partition's segment list and end offset, which `applyLogStart` may change. */
interface RecoveredLog {
  segments: Segment[]
  endOffset: number
  /** false when the directory listing showed no checkpoint: it is not looked for. */
  hasLogStart?: boolean
}

/**
 * applyLogStart finishes what a crash may have interrupted once the segments are loaded, and
 * returns the log start. The checkpoint is written before any segment below it is deleted, so
 * segments wholly below it may remain: they are deleted now. When recovery lost the batches up to
 * the start (appended, never synced, then deleted by `deleteBefore` before the crash), the log
 * restarts empty at the start, with a new segment there, so the end is never below the start.
 */
export function applyLogStart(dir: string, log: RecoveredLog, env: { cache: FdCache; nowMs: number; logger: FileStorageLogger }): number {
  const start = Math.max(log.hasLogStart === false ? -1 : readLogStart(dir), log.segments[0]!.baseOffset)
  if (log.endOffset < start) {
    env.logger.warn('Recovery found the log end below the log start; the log restarts empty at its start', {
      path: dir,
      endOffset: log.endOffset,
      startOffset: start,
    })
    log.segments.push(Segment.create(dir, start, env.cache, env.nowMs))
    log.endOffset = start
  }
  for (const segment of log.segments.splice(0, segmentsBelow(log.segments, start))) segment.deleteFiles()
  return start
}

/** segmentsBelow counts the leading segments that end at or below `start` (never the last one): those a log start deletes. */
export function segmentsBelow(segments: readonly Segment[], start: number): number {
  let n = 0
  while (n < segments.length - 1 && segments[n + 1]!.baseOffset <= start) n++
  return n
}
