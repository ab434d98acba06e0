import * as fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import {
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  TributaryError,
  isTributaryError,
  type CommittedOffset,
  type PartitionLog,
  type PartitionLogConfig,
  type Storage,
  type StorageStats,
  type StoredMetadata,
  type TopicPartition,
} from '@tributary/core'
import { checkCommittedOffsets, checkGroupId, checkPartitionList, checkStoredMetadata, wrapStorageError } from '@tributary/core/internal'
import { FdCache } from './fd-cache'
import { GroupCommit } from './group-commit'
import { attempt, fsyncDirAsync, fsyncDirSync } from './io'
import { DirectoryLock } from './lock-file'
import { MetadataFile } from './metadata-file'
import { OffsetsStore } from './offsets-store'
import { deletedDirName, isDeletedDir, isShortened, parsePartitionDir, partitionDirName, recordTopicName } from './partition-dirs'
import { resolveFileStorageOptions, type FileStorageOptions, type ResolvedFileStorageOptions } from './options'
import { FilePartitionLog } from './partition-log'

/**
 * FileStorage is the on-disk `Storage`: one directory holding a subdirectory of segment files per
 * partition (`<topic>-<partition>/<20-digit base offset>.log` with `.index` and `.timeindex`),
 * `metadata.json` for the broker metadata, `offsets.log` for committed group offsets and a
 * `.lock` file naming the owning process.
 *
 * Partitions are found by `open()` but loaded (and recovered) on first `partitionLog()` call, so
 * that opening a directory with thousands of partitions costs one directory listing.
 *
 * Throws: CLIENT_CLOSED for calls before `open()` or after `close()`; STORAGE_LOCKED from
 * `open()` when another live process (or storage) holds the directory; INVALID_TOPIC_EXCEPTION
 * for an illegal topic name; KAFKA_STORAGE_ERROR (with the fs error as cause) for I/O failures.
 */
export class FileStorage implements Storage {
  readonly kind = 'file'
  /** Appends are written to the segment file with one positional write before they return. */
  readonly copiesAppends = true
  private readonly options: ResolvedFileStorageOptions
  private readonly cache: FdCache
  private readonly lock: DirectoryLock
  private readonly metadata: MetadataFile
  private readonly offsets: OffsetsStore
  private state: 'new' | 'open' | 'closed' = 'new'
  /** Loaded partition logs by directory name. */
  private readonly logs = new Map<string, FilePartitionLog>()
  /** Every partition with a directory, by directory name. */
  private readonly known = new Map<string, TopicPartition>()
  /** Logs written since their last flush: what `sync()` must cover. */
  private readonly dirty = new Set<FilePartitionLog>()
  /** How long each partition flush took (metrics). */
  private readonly fsyncLatency = new Histogram(LATENCY_BUCKETS_SECONDS)
  private slowFsyncs = 0
  /** Group commit of the storage directory itself, for the entries of newly created partitions. */
  private readonly rootCommit = new GroupCommit(() => this.cache.withSlot(() => fsyncDirAsync(this.options.dir)))

  constructor(options: FileStorageOptions) {
    this.options = resolveFileStorageOptions(options)
    this.cache = new FdCache(this.options.maxOpenFiles)
    this.lock = new DirectoryLock(this.options.dir)
    this.metadata = new MetadataFile(this.options.dir)
    this.offsets = new OffsetsStore(this.options.dir, this.cache, this.options.offsetsLogMaxBytes)
  }

  /** dir is the storage directory. */
  get dir(): string {
    return this.options.dir
  }

  /** open takes the directory lock, finds the partitions and loads metadata and committed offsets. */
  async open(): Promise<void> {
    if (this.state === 'closed') throw closedError()
    if (this.state === 'open') return
    attempt(`create ${this.dir}`, () => fs.mkdirSync(this.dir, { recursive: true }))
    try {
      this.lock.acquire()
    } catch (err) {
      if (isTributaryError(err, 'STORAGE_LOCKED'))
        this.options.logger.warn('The storage directory is locked by another process', { path: this.dir, ...err.details })
      throw err
    }
    try {
      await this.findPartitions()
      this.metadata.load()
      this.offsets.load()
    } catch (err) {
      this.cache.closeAll()
      this.lock.release()
      throw err
    }
    this.state = 'open'
  }

  partitionLog(tp: TopicPartition, config: PartitionLogConfig): PartitionLog {
    this.assertOpen()
    const name = partitionDirName(tp)
    const existing = this.logs.get(name)
    if (existing !== undefined) {
      existing.setConfig(config)
      return existing
    }
    const log = this.loadLog(name, tp, config)
    this.logs.set(name, log)
    this.known.set(name, { topic: tp.topic, partition: tp.partition })
    return log
  }

  listPartitions(): TopicPartition[] {
    this.assertOpen()
    return [...this.known.values()]
      .map((tp) => ({ ...tp }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  }

  async deletePartition(tp: TopicPartition): Promise<void> {
    this.assertOpen()
    const name = partitionDirName(tp)
    const log = this.logs.get(name)
    if (log !== undefined) {
      log.releaseFiles()
      this.dirty.delete(log)
      this.logs.delete(name)
    }
    if (!this.known.delete(name)) return
    // Rename first (atomic, to a short name whatever the topic's length), so that a crash during the
    // recursive removal never leaves half a partition under its real name; open() removes the rest.
    const doomed = join(this.dir, deletedDirName(randomBytes(8).toString('hex')))
    try {
      fs.renameSync(join(this.dir, name), doomed)
    } catch (err) {
      // Already gone (a crash between the rename and its directory fsync, replayed): nothing to do.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      this.known.set(name, tp)
      throw wrapStorageError(err, `rename ${name} for deletion`)
    }
    fsyncDirSync(this.dir)
    await removeTree(doomed)
  }

  loadMetadata(): StoredMetadata | null {
    this.assertOpen()
    return this.metadata.get()
  }

  async saveMetadata(metadata: StoredMetadata): Promise<void> {
    this.assertOpen()
    await this.metadata.save(checkStoredMetadata(metadata))
  }

  loadCommittedOffsets(): CommittedOffset[] {
    this.assertOpen()
    return this.offsets.all()
  }

  async commitOffsets(offsets: readonly CommittedOffset[]): Promise<void> {
    this.assertOpen()
    await this.offsets.commitOffsets(checkCommittedOffsets(offsets))
  }

  async deleteCommittedOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<void> {
    this.assertOpen()
    await this.offsets.deleteGroup(checkGroupId(groupId), checkPartitionList(partitions))
  }

  /** sync flushes every partition written since its last flush (one group commit each, in parallel). */
  async sync(): Promise<void> {
    this.assertOpen()
    const logs = [...this.dirty]
    this.dirty.clear()
    await Promise.all(logs.map((log) => log.sync()))
  }

  /** stats counts the loaded partition logs, their segments and bytes, and the flush latencies (see StorageStats). */
  stats(): StorageStats {
    let segments = 0
    let sizeBytes = 0
    for (const log of this.logs.values()) {
      segments += log.segmentCount()
      sizeBytes += log.sizeBytes()
    }
    return {
      kind: this.kind,
      partitions: this.logs.size,
      segments,
      sizeBytes,
      fsyncLatencySeconds: this.fsyncLatency.snapshot(),
      slowFsyncs: this.slowFsyncs,
    }
  }

  /** close makes everything durable, closes every file and releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'open') {
      this.state = 'closed'
      return
    }
    this.state = 'closed'
    const logs = [...this.logs.values()]
    this.logs.clear()
    this.dirty.clear()
    try {
      const results = await Promise.allSettled([...logs.map((log) => log.close()), this.offsets.close(), this.metadata.settled()])
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw wrapStorageError(failed.reason, 'close storage')
    } finally {
      this.cache.closeAll()
      this.lock.release()
    }
  }

  private loadLog(name: string, tp: TopicPartition, config: PartitionLogConfig): FilePartitionLog {
    const dir = join(this.dir, name)
    const { clock, logger, onRecovery } = this.options
    const createdDir = !this.known.has(name)
    if (createdDir) this.rootCommit.noteWrite()
    if (createdDir && isShortened(name)) recordTopicName(dir, tp.topic)
    // The log checks that it is still the storage's log of that name: a deleted and recreated partition gets a new one.
    let self: FilePartitionLog | null = null
    self = FilePartitionLog.open(
      {
        dir,
        createdDir,
        syncRoot: () => this.rootCommit.sync(),
        topic: tp.topic,
        partition: tp.partition,
        cache: this.cache,
        clock,
        logger,
        onDirty: (log) => this.dirty.add(log),
        onFlushed: (log, ms) => this.noteFlush(log, ms),
        assertUsable: () => this.assertLogUsable(name, self),
      },
      config,
      onRecovery,
    )
    return self
  }

  /** noteFlush times a partition flush, and warns about a slow one (a disk in trouble stalls every acks=all producer). */
  private noteFlush(log: FilePartitionLog, ms: number): void {
    this.fsyncLatency.observe(ms / 1000)
    if (ms < this.options.slowFsyncMs) return
    this.slowFsyncs++
    this.options.logger.warn('A flush to disk (fdatasync) was slow', {
      topic: log.topic,
      partition: log.partition,
      ms: Math.round(ms),
      thresholdMs: this.options.slowFsyncMs,
    })
  }

  private assertLogUsable(name: string, log: FilePartitionLog | null): void {
    this.assertOpen()
    if (log === null || this.logs.get(name) !== log) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${name} was deleted`)
  }

  /**
   * findPartitions lists partition directories, and removes the leftovers of interrupted
   * deletions. A leftover that cannot be removed is logged and left: it never makes open fail.
   */
  private async findPartitions(): Promise<void> {
    const entries = attempt(`list ${this.dir}`, () => fs.readdirSync(this.dir, { withFileTypes: true }))
    for (const entry of entries) {
      if (!entry.isDirectory()) continue
      const path = join(this.dir, entry.name)
      if (isDeletedDir(entry.name)) {
        await removeTree(path).catch((err: unknown) =>
          this.options.logger.warn('Could not remove the leftover of an interrupted partition deletion', { path, error: String(err) }),
        )
        continue
      }
      const tp = attempt(`read ${path}`, () => parsePartitionDir(this.dir, entry.name))
      if (tp !== null) this.known.set(entry.name, tp)
      else this.options.logger.warn('Ignoring a directory that is not a partition', { path })
    }
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw closedError()
  }
}

async function removeTree(path: string): Promise<void> {
  try {
    await fs.promises.rm(path, { recursive: true, force: true })
  } catch (err) {
    throw wrapStorageError(err, `remove ${path}`)
  }
}

function closedError(): TributaryError {
  return new TributaryError('CLIENT_CLOSED', 'FileStorage is not open (closed, or open() not called)')
}
