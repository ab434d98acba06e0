/**
 * @tributary/storage-file — the default on-disk storage: append-only segment files with sparse
 * offset and time indexes, crash recovery, group-commit fsync, retention and compaction.
 */
export { FileStorage } from './file-storage'
export { FILE_STORAGE_DEFAULTS, resolveFileStorageOptions } from './options'

export type { FileStorageOptions, FileStorageLogger, RecoveryReport, ResolvedFileStorageOptions } from './options'
