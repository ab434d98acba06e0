import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Command } from 'commander'
import type { StorageInspection } from '@tributary/core'
import { inspectDirectory, truncateCorruptTails } from '@tributary/storage-file'
import { inspectDatabase, truncateDatabaseTails } from '@tributary/storage-sqlite'
import { EXIT_CODES, UsageError } from '../cli/exit-codes'
import { Progress, formatBytes, formatTime, note, printJson, printTable } from '../cli/output'

/*
 * `tributary inspect PATH` and `tributary verify PATH`: look at a storage on disk without a
 * broker. PATH is a data directory (file storage) or a SQLite file (or a directory holding only
 * `tributary.db`). A data directory is read without its lock, so both work while a live process
 * owns it; a SQLite file cannot be read while in use. verify exits 1 naming every damaged place,
 * and repairs only with --truncate-corrupt-tail (which needs the storage free).
 */

interface InspectFlags {
  json?: boolean
  segments?: boolean
}

/** resolveStoragePath says what kind of storage PATH is. */
function resolveStoragePath(path: string): { kind: 'file' | 'sqlite'; path: string } {
  if (!existsSync(path)) throw new UsageError(`${path} does not exist`)
  if (statSync(path).isFile()) return { kind: 'sqlite', path }
  const db = join(path, 'tributary.db')
  if (existsSync(db) && !existsSync(join(path, 'metadata.json'))) return { kind: 'sqlite', path: db }
  return { kind: 'file', path }
}

function inspectPath(path: string, verify: boolean): StorageInspection {
  const target = resolveStoragePath(path)
  const progress = new Progress(verify ? `verifying ${path}` : `reading ${path}`)
  try {
    if (target.kind === 'sqlite')
      return inspectDatabase(target.path, { verify, onProgress: (done, total) => progress.update(`${done} of ${total} partitions`) })
    return inspectDirectory(target.path, {
      verify,
      onProgress: (done, total) => progress.update(`${formatBytes(done)} of ${formatBytes(total)}`),
    })
  } finally {
    progress.done()
  }
}

/** inspectCommand is `tributary inspect`. */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('segments, offsets, sizes and time range per partition of a data directory or SQLite file')
    .argument('<path>', 'a data directory, or a SQLite storage file')
    .option('--segments', 'one row per segment instead of per partition')
    .option('--json', 'print JSON for scripts')
    .action(async (path: string, flags: InspectFlags) => {
      const report = inspectPath(path, false)
      if (report.lockedBy !== null) note(`note: ${path} is in use by process ${report.lockedBy}; read without its lock`)
      if (flags.json) return printJson(report)
      process.stdout.write(
        `${report.kind} storage ${report.path}: ${report.topics.length} topics, ${report.partitions.length} partitions, ${formatBytes(report.partitions.reduce((n, p) => n + p.sizeBytes, 0))}\n`,
      )
      if (flags.segments) {
        const rows = report.partitions.flatMap((p) => p.segments.map((s) => ({ ...s, topic: p.topic, partition: p.partition })))
        printTable(rows, [
          { header: 'TOPIC', value: (r) => r.topic },
          { header: 'PARTITION', value: (r) => r.partition },
          { header: 'BASE', value: (r) => r.baseOffset },
          { header: 'FIRST', value: (r) => (r.firstOffset < 0 ? '-' : r.firstOffset) },
          { header: 'LAST', value: (r) => (r.lastOffset < 0 ? '-' : r.lastOffset) },
          { header: 'BATCHES', value: (r) => r.batches },
          { header: 'RECORDS', value: (r) => r.records },
          { header: 'SIZE', value: (r) => formatBytes(r.sizeBytes), align: 'right' },
          { header: 'FIRST-TIME', value: (r) => formatTime(r.minTimestamp) },
          { header: 'LAST-TIME', value: (r) => formatTime(r.maxTimestamp) },
        ])
      } else {
        printTable(report.partitions, [
          { header: 'TOPIC', value: (p) => p.topic },
          { header: 'PARTITION', value: (p) => p.partition },
          { header: 'SEGMENTS', value: (p) => p.segments.length },
          { header: 'START', value: (p) => p.startOffset },
          { header: 'END', value: (p) => p.endOffset },
          { header: 'RECORDS', value: (p) => p.records },
          { header: 'SIZE', value: (p) => formatBytes(p.sizeBytes), align: 'right' },
          { header: 'FIRST-TIME', value: (p) => formatTime(p.minTimestamp) },
          { header: 'LAST-TIME', value: (p) => formatTime(p.maxTimestamp) },
        ])
      }
      if (report.journal !== undefined && report.journal.batchesToReplay > 0)
        note(
          `note: the journal holds ${report.journal.batchesToReplay} acknowledged batches the segments lack (a crash of the machine); the next open appends them back`,
        )
      if (report.damage.length > 0) note(`${report.damage.length} problems seen while reading: run tributary verify ${path}`)
    })
}

/** verifyCommand is `tributary verify`. */
export function verifyCommand(): Command {
  return new Command('verify')
    .description("check every batch's CRC-32C and every index entry; exit 1 naming where on any damage")
    .argument('<path>', 'a data directory, or a SQLite storage file')
    .option(
      '--truncate-corrupt-tail',
      'repair: cut each damaged log at its last valid batch (losing what follows) and drop bad index files; needs the storage free',
    )
    .option('--json', 'print JSON for scripts')
    .action(async (path: string, flags: { truncateCorruptTail?: boolean; json?: boolean }) => {
      let report = inspectPath(path, true)
      let repaired: Array<{ file: string; action: string }> = []
      if (flags.truncateCorruptTail && report.damage.length > 0) {
        repaired = report.kind === 'sqlite' ? truncateDatabaseTails(report) : truncateCorruptTails(report)
        report = inspectPath(path, true)
      }
      const batches = report.partitions.reduce((n, p) => n + p.batches, 0)
      if (flags.json)
        printJson({ path: report.path, kind: report.kind, partitions: report.partitions.length, batches, damage: report.damage, repaired })
      else {
        for (const r of repaired) note(`repaired ${r.file}: ${r.action}`)
        for (const d of report.damage) {
          const where = `${d.file}${d.position !== undefined ? `:${d.position}` : ''}`
          process.stdout.write(`DAMAGE ${where}${d.topic !== undefined ? ` (${d.topic}-${d.partition})` : ''}: ${d.problem}\n`)
        }
        if (report.damage.length === 0)
          process.stdout.write(`ok: ${report.partitions.length} partitions, ${batches} batches checked in ${report.path}\n`)
        else if (!flags.truncateCorruptTail)
          note('nothing was changed; --truncate-corrupt-tail cuts each damaged log at its last valid batch')
      }
      if (report.damage.length > 0) process.exitCode = EXIT_CODES.FAILED
    })
}
