/**
 * @tributary/storage-file — the default on-disk storage: append-only segment files with sparse
 * offset and time indexes, crash recovery, group-commit fsync, retention and compaction.
 */
export { FileStorage } from './file-storage'
export { FILE_STORAGE_DEFAULTS, resolveFileStorageOptions } from './options'
export { inspectDirectory } from './inspect/inspect-directory'
export { truncateCorruptTails } from './inspect/repair-directory'

export type { InspectDirectoryOptions } from './inspect/inspect-directory'
export type { RepairAction } from './inspect/repair-directory'
export type { FileStorageOptions, FileStorageLogger, RecoveryReport, ResolvedFileStorageOptions } from './options'
