import { systemClock, type Clock } from '@tributary/core'
import { invalidConfig } from '@tributary/core/internal'

/** FileStorageLogger receives the storage's log lines (recovery truncations, compaction leftovers). */
export interface FileStorageLogger {
  info(message: string, details?: Record<string, unknown>): void
  warn(message: string, details?: Record<string, unknown>): void
}

/** RecoveryReport describes what recovery cut from one segment of one partition. */
export interface RecoveryReport {
  topic: string
  partition: number
  /** Base offset of the segment whose tail was cut. */
  segmentBaseOffset: number
  /** File position where the valid data ends (the new file size). */
  validBytes: number
  /** Bytes removed from the segment's tail. */
  truncatedBytes: number
  /** Whole segments after it that were removed because they followed a torn tail. */
  segmentsRemoved: number
  /** Why the tail was cut, e.g. the CRC mismatch message. */
  reason: string
}

/** FileStorageOptions configures `FileStorage`. */
export interface FileStorageOptions {
  /** Directory that holds every partition, the metadata and the committed offsets. Required. */
  dir: string
  /** Source of time for `segment.ms` and segment creation times. Default: `systemClock`. */
  clock?: Clock
  /** Most file descriptors kept open at once, over all partitions (LRU). Default 256, min 8. */
  maxOpenFiles?: number
  /** Where log lines go. Default: warnings to `console.warn`, info dropped. */
  logger?: FileStorageLogger
  /** Called once per segment whose tail recovery truncated. Default: none. */
  onRecovery?: (report: RecoveryReport) => void
  /** Bytes the committed-offsets log may reach before it is rewritten as a snapshot. Default 4 MiB (4194304). */
  offsetsLogMaxBytes?: number
  /** A flush to disk (fdatasync) slower than this, in ms, is logged as a warning and counted. Default 1000. */
  slowFsyncMs?: number
  /**
   * Whether appends are also written to a shared journal (`journal-<n>` files in `dir`), so that
   * `sync()` of many partitions costs one fdatasync instead of one per partition (see journal.ts).
   * Off where the appends are made durable elsewhere (a cluster node's Raft log). Default true.
   */
  journal?: boolean
  /** Bytes a journal file reaches before the segments are flushed and a new file started (a checkpoint). Default 64 MiB. */
  journalBytes?: number
  /**
   * A flush of at least this many partitions at once (close, `sync()`, a journal checkpoint) is one
   * `syncfs` of the whole file system (through coreutils' `sync -f`) instead of an fdatasync per
   * file, falling back to the latter where that fails; 0 turns it off. Default 64.
   */
  fileSystemSyncMinPartitions?: number
}

/** ResolvedFileStorageOptions is `FileStorageOptions` with every default applied. */
export interface ResolvedFileStorageOptions {
  dir: string
  clock: Clock
  maxOpenFiles: number
  logger: FileStorageLogger
  onRecovery: (report: RecoveryReport) => void
  offsetsLogMaxBytes: number
  slowFsyncMs: number
  journal: boolean
  journalBytes: number
  fileSystemSyncMinPartitions: number
}

/** CONSOLE_LOGGER sends warnings to the console and drops info lines. */
const CONSOLE_LOGGER: FileStorageLogger = Object.freeze({
  info: () => {},
  warn: (message: string, details?: Record<string, unknown>) => console.warn(`[tributary:storage-file] ${message}`, details ?? ''),
})

/** FILE_STORAGE_DEFAULTS holds the default of every optional option. */
export const FILE_STORAGE_DEFAULTS = Object.freeze({
  maxOpenFiles: 256,
  offsetsLogMaxBytes: 4 * 1024 * 1024,
  slowFsyncMs: 1000,
  journal: true,
  journalBytes: 64 * 1024 * 1024,
  fileSystemSyncMinPartitions: 64,
})

const KNOWN_KEYS = new Set([
  'dir',
  'clock',
  'maxOpenFiles',
  'logger',
  'onRecovery',
  'offsetsLogMaxBytes',
  'slowFsyncMs',
  'journal',
  'journalBytes',
  'fileSystemSyncMinPartitions',
])

/**
 * resolveFileStorageOptions merges defaults and checks every option, throwing INVALID_CONFIG
 * naming the option's path (`options.maxOpenFiles`) for an unknown key or a bad value.
 */
export function resolveFileStorageOptions(options: FileStorageOptions): ResolvedFileStorageOptions {
  if (options === null || typeof options !== 'object') throw invalidConfig('options', 'must be an object')
  for (const key of Object.keys(options)) if (!KNOWN_KEYS.has(key)) throw invalidConfig(`options.${key}`, 'is not a known option')
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw invalidConfig('options.dir', 'must be a non-empty string')
  const maxOpenFiles = options.maxOpenFiles ?? FILE_STORAGE_DEFAULTS.maxOpenFiles
  if (!Number.isInteger(maxOpenFiles) || maxOpenFiles < 8) throw invalidConfig('options.maxOpenFiles', 'must be an integer ≥ 8')
  const offsetsLogMaxBytes = options.offsetsLogMaxBytes ?? FILE_STORAGE_DEFAULTS.offsetsLogMaxBytes
  if (!Number.isInteger(offsetsLogMaxBytes) || offsetsLogMaxBytes < 1024)
    throw invalidConfig('options.offsetsLogMaxBytes', 'must be an integer ≥ 1024')
  const slowFsyncMs = options.slowFsyncMs ?? FILE_STORAGE_DEFAULTS.slowFsyncMs
  if (typeof slowFsyncMs !== 'number' || !(slowFsyncMs >= 0)) throw invalidConfig('options.slowFsyncMs', 'must be a number ≥ 0')
  const journal = options.journal ?? FILE_STORAGE_DEFAULTS.journal
  if (typeof journal !== 'boolean') throw invalidConfig('options.journal', 'must be a boolean')
  const journalBytes = options.journalBytes ?? FILE_STORAGE_DEFAULTS.journalBytes
  if (!Number.isInteger(journalBytes) || journalBytes < 4096) throw invalidConfig('options.journalBytes', 'must be an integer ≥ 4096')
  const fileSystemSyncMinPartitions = options.fileSystemSyncMinPartitions ?? FILE_STORAGE_DEFAULTS.fileSystemSyncMinPartitions
  if (!Number.isInteger(fileSystemSyncMinPartitions) || fileSystemSyncMinPartitions < 0)
    throw invalidConfig('options.fileSystemSyncMinPartitions', 'must be an integer ≥ 0')
  if (options.onRecovery !== undefined && typeof options.onRecovery !== 'function')
    throw invalidConfig('options.onRecovery', 'must be a function')
  return {
    dir: options.dir,
    clock: options.clock ?? systemClock,
    maxOpenFiles,
    logger: options.logger ?? CONSOLE_LOGGER,
    onRecovery: options.onRecovery ?? (() => {}),
    offsetsLogMaxBytes,
    slowFsyncMs,
    journal,
    journalBytes,
    fileSystemSyncMinPartitions,
  }
}
