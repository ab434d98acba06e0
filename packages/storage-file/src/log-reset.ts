import * as fs from 'node:fs'
import { join } from 'node:path'
import { wrapStorageError } from '@tributary/core/internal'
import { attempt, fsyncDirSync, isMissing } from './io'
import type { FileStorageLogger } from './options'
import { segmentFileName } from './segment'

/**
 * Resetting a partition (`PartitionLog.resetTo`) replaces every segment with one empty segment
 * whose base is the new offset. That changes many files, so a marker file makes it atomic across
 * a crash:
 *
 *   1. create `<20-digit offset>.reset` and fsync the directory: from now on the reset happens;
 *   2. delete every segment's files, create the empty `<offset>.log`, fsync the directory;
 *   3. delete the marker and fsync the directory.
 *
 * Recovery that finds a marker redoes steps 2 and 3 (`finishInterruptedReset`), so a crash leaves
 * either the old log (before step 1 is durable) or the reset one, never a mix.
 */

const RESET_MARKER = /^(\d{20})\.reset$/

/** resetMarkerPath is the marker of a reset of the partition at `dir` to `offset`. */
function resetMarkerPath(dir: string, offset: number): string {
  return join(dir, segmentFileName(offset, '.reset'))
}

/** writeResetMarker is step 1: the marker, durable before any segment is touched. */
export function writeResetMarker(dir: string, offset: number): void {
  const path = resetMarkerPath(dir, offset)
  attempt(`create ${path}`, () => fs.closeSync(fs.openSync(path, 'w')))
  fsyncDirSync(dir)
}

/** completeReset ends steps 2 and 3 once the new segment exists: its name and the deletions become durable, then the marker goes. */
export function completeReset(dir: string, offset: number): void {
  fsyncDirSync(dir)
  removeIfPresent(resetMarkerPath(dir, offset))
  fsyncDirSync(dir)
}

/**
 * finishInterruptedReset redoes steps 2 and 3 when `names` (the partition directory's listing)
 * hold a reset marker, and tells whether it did. It runs before anything else reads the directory.
 */
export function finishInterruptedReset(dir: string, names: readonly string[], logger: FileStorageLogger): boolean {
  const offsets = names.map((name) => RESET_MARKER.exec(name)?.[1]).filter((m): m is string => m !== undefined)
  const offset = offsets.length === 0 ? undefined : Number(offsets[offsets.length - 1])
  if (offset === undefined) return false
  for (const name of names) if (!RESET_MARKER.test(name)) removeIfPresent(join(dir, name))
  const log = join(dir, segmentFileName(offset, '.log'))
  attempt(`create ${log}`, () => fs.closeSync(fs.openSync(log, 'w')))
  fsyncDirSync(dir)
  // A crash leaves at most one marker; should there be more, none of them may survive.
  for (const name of names) if (RESET_MARKER.test(name)) removeIfPresent(join(dir, name))
  fsyncDirSync(dir)
  logger.info('Finished a partition reset that a crash interrupted', { path: dir, offset })
  return true
}

/** removeIfPresent deletes a file; one that is already gone is fine. */
function removeIfPresent(path: string): void {
  try {
    fs.unlinkSync(path)
  } catch (err) {
    if (!isMissing(err)) throw wrapStorageError(err, `delete ${path}`)
  }
}
