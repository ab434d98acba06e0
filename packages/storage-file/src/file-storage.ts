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
import {
  checkCommittedOffsets,
  checkGroupId,
  checkPartitionList,
  checkStoredMetadata,
  readBaseOffset,
  wrapStorageError,
} from '@tributary/core/internal'
import { FdCache } from './fd-cache'
import { GroupCommit } from './group-commit'
import { FileSystemSync, syncFileSystem } from './file-system-sync'
import { attempt, fsyncDirAsync, fsyncDirSync } from './io'
import { Journal } from './journal'
import { listJournals, pendingBatches, readJournal, type JournalFile } from './journal-replay'
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
 * `.lock` file naming the owning process, and (unless `journal: false`) the shared journal
 * `journal-<n>` that makes acks=all over many partitions one fdatasync (see journal.ts).
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
  /** One syncfs shared by the partitions of a large flush (see file-system-sync.ts). */
  private readonly fileSystemSync = new FileSystemSync(() => syncFileSystem(this.options.dir))
  /** The shared journal: created by the first append after open() replayed the old ones; never with `journal: false`. */
  private journal: Journal | null = null
  /** The sequence number of the next journal file, once open() replayed the old ones (null before, and with `journal: false`). */
  private nextJournal: number | null = null
  /** Closed journal files, deleted once a flush of every partition written before them finished. */
  private oldJournals: string[] = []
  private checkpointRunning = false
  /**
   * Segment flushes in progress (sync, checkpoint): the logs they took are out of
   * `dirty` until they end, so a later sync or checkpoint waits for them too.
   */
  private readonly segmentFlushes = new Set<Promise<void>>()
  private checkpoints = 0
  private replayedBatches = 0
  /** Bytes of the closed journal files not yet deleted. */
  private oldJournalBytes = 0

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
    try {
      const journals = listJournals(this.dir)
      if (journals.length > 0) await this.replay(journals)
      if (this.options.journal) this.nextJournal = (journals[journals.length - 1]?.sequence ?? 0) + 1
    } catch (err) {
      await this.close().catch(() => undefined)
      throw err
    }
  }

  /**
   * replay appends to each partition the journaled batches its segments lack (lost with the page
   * cache: acknowledged after the journal's fdatasync, not the segment's), flushes them, and
   * deletes the journal files. A partition whose directory was lost is made again.
   */
  private async replay(journals: JournalFile[]): Promise<void> {
    const records = []
    for (const file of journals) {
      const read = readJournal(file.path)
      if (read.tornBytes > 0)
        this.options.logger.info('A journal file ends with an incomplete record (never acknowledged): ignored', {
          path: file.path,
          validBytes: read.validBytes,
          tornBytes: read.tornBytes,
        })
      records.push(...read.records)
    }
    for (const { topic, partition, batches } of pendingBatches(records).values()) {
      // A journaled partition without a directory was created after the last checkpoint and lost
      // its directory entry with the page cache (a deletion writes a forget mark first, so a deleted
      // partition has no batches left here): it is made again, and gets its batches back.
      const log = this.partitionLog({ topic, partition }, REPLAY_LOG_CONFIG)
      let appended = 0
      for (const batch of batches) {
        if (readBaseOffset(batch) < log.endOffset()) continue
        log.appendCopy(batch)
        appended++
      }
      if (appended === 0) continue
      this.replayedBatches += appended
      this.options.logger.info('Replayed journaled batches that the segments lacked', { topic, partition, batches: appended })
    }
    // Only replay has written since open: the dirty logs are those it appended to.
    await this.flushDirty()
    for (const file of journals) attempt(`delete ${file.path}`, () => fs.unlinkSync(file.path))
  }

  /** journalFor is the journal, created first when `create` (an append) and the storage journals. */
  private journalFor(create: boolean): Journal | null {
    if (this.journal === null && create && this.nextJournal !== null) {
      this.journal = Journal.create(
        this.dir,
        this.nextJournal,
        this.options.journalBytes,
        () => this.scheduleCheckpoint(),
        (ms) => this.noteFlush({ journal: this.journal?.currentPath() }, ms),
      )
      this.nextJournal = null
    }
    return this.journal
  }

  /** scheduleCheckpoint runs a checkpoint soon (the journal is full), unless one is running. */
  private scheduleCheckpoint(): void {
    if (this.checkpointRunning) return
    this.checkpointRunning = true
    setImmediate(() => {
      this.checkpoint()
        .catch((err: unknown) =>
          this.options.logger.warn('A journal checkpoint failed; its files are kept for recovery', { error: String(err) }),
        )
        .finally(() => {
          this.checkpointRunning = false
        })
    })
  }

  /**
   * flushDirty flushes the segments of every partition written since its last flush, and waits
   * for the segment flushes already running (their logs are no longer in `dirty`: a sync during a
   * checkpoint must not return before the checkpoint's flushes end). A log whose flush fails goes
   * back to `dirty`, and the call rejects.
   */
  private async flushDirty(): Promise<void> {
    const logs = [...this.dirty]
    this.dirty.clear()
    const running = [...this.segmentFlushes]
    const bulk = this.bulkSyncFor(logs)
    const mine = Promise.allSettled(logs.map((log) => log.flushSegments(bulk))).then((results) => {
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ log: logs[i] as FilePartitionLog, reason: r.reason }] : []))
      // Those logs stay to be flushed (a checkpoint keeps its closed journal files until they are).
      for (const f of failed) this.dirty.add(f.log)
      if (failed.length > 0) throw failed[0]?.reason
    })
    this.segmentFlushes.add(mine)
    try {
      await Promise.all([mine, ...running])
    } finally {
      this.segmentFlushes.delete(mine)
    }
  }

  /**
   * checkpoint starts a new journal file, flushes every partition written since its last flush
   * (which covers everything the closed files hold), then deletes the closed files.
   */
  private async checkpoint(): Promise<void> {
    if (this.state !== 'open' || this.journal === null) return
    const rotatedBytes = this.journal.bytes()
    this.oldJournals.push(this.journal.rotate())
    this.oldJournalBytes += rotatedBytes
    const covered = [...this.oldJournals]
    // On failure every closed file stays until a later checkpoint succeeds.
    await this.flushDirty()
    // Closed meanwhile: close flushed everything and deleted the files itself.
    if (this.state !== 'open') return
    // Off the event loop: unlinking a 64 MiB file frees its extents, some 20 ms that would stall
    // every request (profiled: 47 ms of the main thread per 1M acks=all messages).
    await Promise.all(
      covered.map((path) =>
        fs.promises.rm(path, { force: true }).catch((err: unknown) => {
          throw wrapStorageError(err, `delete ${path}`)
        }),
      ),
    )
    this.oldJournals = this.oldJournals.filter((p) => !covered.includes(p))
    if (this.oldJournals.length === 0) this.oldJournalBytes = 0
    this.checkpoints++
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
    if (!this.known.has(name)) return
    // Replay must not put the partition's journaled batches into a partition of the same name created later.
    if (this.journal?.holds(tp.topic, tp.partition)) this.journal.forget(tp.topic, tp.partition)
    this.known.delete(name)
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

  /**
   * sync flushes the segments of every partition written since its last flush (one group commit
   * each, in parallel, or one shared syncfs when they are many). Not through the journal: a partition leaves `dirty` only once its own
   * files are flushed, which is what a checkpoint relies on before it deletes a journal file.
   */
  async sync(): Promise<void> {
    this.assertOpen()
    await this.flushDirty()
  }

  /** bulkSyncFor returns the shared syncfs when at least `fileSystemSyncMinPartitions` of `logs` need a flush. */
  private bulkSyncFor(logs: readonly FilePartitionLog[]): FileSystemSync | null {
    const min = this.options.fileSystemSyncMinPartitions
    if (min === 0) return null
    let pending = 0
    for (const log of logs) if (log.needsFlush() && ++pending >= min) return this.fileSystemSync
    return null
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
      fileSystemSyncs: this.fileSystemSync.completed,
      ...(this.options.journal
        ? {
            journalBytes: (this.journal?.bytes() ?? 0) + this.oldJournalBytes,
            journalCheckpoints: this.checkpoints,
            journalReplayedBatches: this.replayedBatches,
          }
        : {}),
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
    const journal = this.journal
    this.journal = null
    this.nextJournal = null
    try {
      const bulk = this.bulkSyncFor(logs)
      const results = await Promise.allSettled([...logs.map((log) => log.close(bulk)), this.offsets.close(), this.metadata.settled()])
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw wrapStorageError(failed.reason, 'close storage')
      // Every segment is flushed: the journal holds nothing they lack.
      if (journal !== null) {
        journal.close()
        for (const path of [...this.oldJournals, journal.currentPath()]) attempt(`delete ${path}`, () => fs.rmSync(path, { force: true }))
      }
    } finally {
      journal?.close()
      this.cache.closeAll()
      await this.cache.closesSettled()
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
        journalCoversNewDir: this.options.journal,
        topic: tp.topic,
        partition: tp.partition,
        cache: this.cache,
        clock,
        logger,
        onDirty: (log) => this.dirty.add(log),
        onFlushed: (log, ms) => this.noteFlush({ topic: log.topic, partition: log.partition }, ms),
        assertUsable: () => this.assertLogUsable(name, self),
        journal: (create) => this.journalFor(create),
      },
      config,
      onRecovery,
    )
    return self
  }

  /** noteFlush times a partition flush, and warns about a slow one (a disk in trouble stalls every acks=all producer). */
  private noteFlush(what: Record<string, unknown>, ms: number): void {
    this.fsyncLatency.observe(ms / 1000)
    if (ms < this.options.slowFsyncMs) return
    this.slowFsyncs++
    this.options.logger.warn('A flush to disk (fdatasync) was slow', {
      ...what,
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

/**
 * REPLAY_LOG_CONFIG is the config a partition is loaded with to replay its journaled batches,
 * before the broker gives its topic's (Kafka's topic defaults; the broker's config replaces it).
 */
const REPLAY_LOG_CONFIG = Object.freeze({ segmentBytes: 1024 * 1024 * 1024, segmentMs: 7 * 24 * 3600 * 1000, indexIntervalBytes: 4096 })

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
