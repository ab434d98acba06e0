import type { HistogramSnapshot } from './histogram'
import type { TopicPartition } from './model'

/**
 * The storage contract. A `Storage` holds every partition log of one node plus the broker's
 * metadata and the committed group offsets. The unit of data is the encoded record batch (Kafka
 * v2 layout): logs store and return batch bytes and never look inside records except to compact.
 *
 * Synchronous methods do their I/O synchronously (to the OS page cache or the database); only
 * `sync()` and durable metadata writes are asynchronous, because only they wait for the disk.
 */

/** AppendOptions tell `PartitionLog.append` what its caller has already checked. */
export interface AppendOptions {
  /**
   * The caller has just verified the batch's CRC-32C (`checkBatchAt`) and changed none of the bytes
   * it covers since (the broker, which checks every produced batch before its idempotence check):
   * the log skips its own CRC pass; framing and magic are checked all the same. Default false.
   */
  readonly crcChecked?: boolean
  /**
   * The caller will `sync()` this append before answering (acks=all). A storage with a shared
   * journal (FileStorage) also writes the batch there, so that a sync of many partitions costs one
   * flush; other appends go to the log alone, and cost no second write. Default false.
   */
  readonly willSync?: boolean
}

/** PartitionLogConfig is what a log needs from its topic's config. */
export interface PartitionLogConfig {
  /** The active segment rolls before it would grow past this many bytes. */
  segmentBytes: number
  /** The active segment rolls once its first batch is older than this. */
  segmentMs: number
  /** Bytes between two entries of a sparse offset index (adapters without one ignore it). */
  indexIntervalBytes: number
}

/** AppendInfo describes a batch after a log appended it. */
export interface AppendInfo {
  /** Offset given to the batch's first record. */
  baseOffset: number
  /** Offset of the batch's last record: baseOffset + lastOffsetDelta. */
  lastOffset: number
  /** The batch's max timestamp (ms). */
  maxTimestamp: number
  /** Bytes the batch takes. */
  sizeBytes: number
}

/** SegmentInfo describes one unit of deletion: a segment file, or its equivalent in other adapters. */
export interface SegmentInfo {
  /** First offset the segment holds (or would hold, when empty). */
  baseOffset: number
  /** One past the last offset the segment holds. */
  endOffset: number
  sizeBytes: number
  /** Largest record timestamp in the segment; -1 when empty. */
  maxTimestamp: number
  /** When the segment was created or first written (ms), for `segment.ms`. */
  createdAtMs: number
  /** Whether this is the active (last, written-to) segment. Only closed segments are compacted or deleted. */
  active: boolean
}

/**
 * RecordFilter decides, during compaction, whether a record survives. It gets the record's
 * offset, key, whether its value is null (a tombstone) and the batch's max timestamp.
 */
export type RecordFilter = (record: { offset: number; key: Buffer | null; isTombstone: boolean; timestamp: number }) => boolean

/** CompactionResult tells what a compaction pass did. */
export interface CompactionResult {
  segmentsRewritten: number
  recordsRemoved: number
  bytesBefore: number
  bytesAfter: number
}

/**
 * PartitionLog is one partition's append-only log.
 *
 * Invariants: offsets are contiguous from `startOffset()` to `endOffset() - 1` except where
 * compaction removed records (here, or at the replica a batch was copied from by `appendCopy`);
 * batches never overlap and their offsets only grow; a batch returned by `read` has passed its
 * CRC check.
 */
export interface PartitionLog {
  readonly topic: string
  readonly partition: number
  /**
   * startOffset is the log start offset: the first offset a read may ask for. It is the first
   * stored offset, or higher after `deleteBefore` moved it inside a segment (or a batch).
   */
  startOffset(): number
  /** endOffset is the next offset to be assigned (the log end offset). */
  endOffset(): number
  /** sizeBytes is the total bytes of stored batches. */
  sizeBytes(): number
  /**
   * append stores one encoded record batch. It sets the batch's base offset to `endOffset()`
   * (in place, outside the CRC) and advances the end by the batch's record span. When it returns,
   * the bytes are written to the OS (not yet necessarily on disk: see `sync`).
   * Throws CORRUPT_MESSAGE for a batch that fails its checks, KAFKA_STORAGE_ERROR on I/O failure.
   */
  append(batch: Buffer, options?: AppendOptions): AppendInfo
  /**
   * appendCopy stores a batch copied from another replica, keeping the base offset the batch
   * carries, where `append` would assign `endOffset()` (Kafka's `appendAsFollower`). The base must
   * be ≥ `endOffset()`; the offsets between the old end and the base stay a gap (records that
   * compaction removed at the source), and `endOffset()` becomes the batch's last offset + 1. A gap
   * survives reads, `offsetForTimestamp`, `truncate`, `deleteBefore`, reopen and crash recovery.
   * Throws OFFSET_OUT_OF_RANGE (nothing stored) for a base below `endOffset()`, CORRUPT_MESSAGE
   * and KAFKA_STORAGE_ERROR as `append`.
   */
  appendCopy(batch: Buffer): AppendInfo
  /**
   * read returns whole batches, in order, starting with the batch that contains `offset` (for an
   * offset in a gap, the first batch after it), up to `maxBytes` in total, except that the first
   * batch is always returned whole even if larger. Reading at `endOffset()` returns []. Throws
   * OFFSET_OUT_OF_RANGE when `offset` is below `startOffset()` or above `endOffset()`,
   * CORRUPT_MESSAGE when a stored batch fails its CRC.
   */
  read(offset: number, maxBytes: number): Buffer[]
  /**
   * truncate removes every batch whose last offset is ≥ `fromOffset`, so that `endOffset()`
   * becomes the base of the first removed batch (used by recovery and Raft conflicts); a gap
   * before that batch stays a gap. When no batch lies at or after `fromOffset` (a gap reaching the
   * end), the end becomes max(`fromOffset`, `startOffset()`). It never goes below the log start:
   * when the first removed batch straddles `startOffset()`, the log ends (empty) at the start.
   * `fromOffset` ≥ `endOffset()` does nothing. Throws INVALID_ARGUMENT for a negative or non-integer offset.
   */
  truncate(fromOffset: number): void
  /**
   * resetTo removes every batch and restarts the log empty at `offset`: afterwards `startOffset()`
   * and `endOffset()` are both `offset`, and the next append gets it. Any offset ≥ 0 is allowed,
   * below, inside or past the current range. This is Kafka's `truncateFullyAndStartAt`: a replica
   * whose missing range was deleted by retention on every other replica restarts at their log
   * start. Durable like `truncate`: neither a reopen nor crash recovery brings a removed batch or
   * the old offsets back. Throws INVALID_ARGUMENT for a negative or non-integer offset,
   * KAFKA_STORAGE_ERROR on I/O failure.
   */
  resetTo(offset: number): void
  /**
   * deleteBefore moves the log start offset (Kafka's DeleteRecords and retention): the new start is
   * exactly max(`startOffset()`, min(`offset`, `endOffset()`)), and it is returned. It is durable
   * when this returns (a reopen or crash recovery keeps it). Segments wholly below the new start
   * are removed; the active segment always stays, and a segment that straddles the start stays
   * whole, but its records below the start are never served except inside the batch that holds
   * the start (reads return whole batches): `read` below it throws OFFSET_OUT_OF_RANGE, and
   * `offsetForTimestamp` never answers below it. Retention passes a segment's end offset, so it
   * keeps removing whole segments. `truncate` never takes the start back; `resetTo` sets it.
   * Throws INVALID_ARGUMENT for a negative or non-integer offset, KAFKA_STORAGE_ERROR on I/O failure.
   */
  deleteBefore(offset: number): number
  /**
   * offsetForTimestamp returns the first offset at or after `startOffset()` whose record
   * timestamp is ≥ `timestampMs`, or null when there is none.
   */
  offsetForTimestamp(timestampMs: number): number | null
  /** segments lists the units retention and compaction work on, oldest first. */
  segments(): SegmentInfo[]
  /** roll closes the active segment (if non-empty) so that retention or compaction can act on it. */
  roll(): void
  /**
   * compact rewrites closed segments, keeping only records `keep` accepts; offsets are unchanged
   * and the swap is atomic (a crash leaves either the old or the new segment, never a mix).
   */
  compact(keep: RecordFilter): CompactionResult
  /** setConfig applies a changed segment configuration (from alterConfigs). */
  setConfig(config: PartitionLogConfig): void
  /** sync resolves once every batch appended before the call is on disk (group commit). */
  sync(): Promise<void>
}

/** StoredTopic is one topic as the broker metadata records it. */
export interface StoredTopic {
  name: string
  /** A stable id (UUID-like), so a recreated topic of the same name is a new topic. */
  topicId: string
  numPartitions: number
  /** Config overrides in Kafka's dotted names. */
  configs: Record<string, string>
  createdAtMs: number
}

/** StoredMetadata is the broker metadata a storage keeps durably: topics and their configs. */
export interface StoredMetadata {
  version: 1
  clusterId: string
  topics: StoredTopic[]
  /** Next producer id to hand out, so that ids are never reused across restarts. */
  nextProducerId: number
}

/** CommittedOffset is one committed group offset: the next offset the group will read. */
export interface CommittedOffset {
  groupId: string
  topic: string
  partition: number
  offset: number
  metadata: string | null
  commitTimestampMs: number
}

/**
 * Storage is a node's whole persistent state.
 *
 * Lifecycle: construct, `open()` (takes the lock, recovers), use, `close()`. Calls after close
 * throw CLIENT_CLOSED.
 */
export interface Storage {
  /** A short name: 'memory', 'file', 'sqlite'. */
  readonly kind: string
  /**
   * True when `PartitionLog.append` and `appendCopy` have copied the batch's bytes out of the
   * caller's buffer before they return and keep no reference to it (the file storage writes them
   * to the OS, SQLite binds them into a row, memory storage keeps a copy). A storage that keeps the
   * caller's buffer leaves it false or undefined.
   */
  readonly copiesAppends?: boolean
  /** open recovers state and locks it against other processes (STORAGE_LOCKED if taken). */
  open(): Promise<void>
  /** partitionLog opens (creating if missing) one partition's log. */
  partitionLog(tp: TopicPartition, config: PartitionLogConfig): PartitionLog
  /** listPartitions names every partition that has a log. */
  listPartitions(): TopicPartition[]
  /** deletePartition removes a partition's log and data. */
  deletePartition(tp: TopicPartition): Promise<void>
  /** loadMetadata returns the stored broker metadata, or null for a new storage. */
  loadMetadata(): StoredMetadata | null
  /** saveMetadata replaces the broker metadata durably (atomic: old or new after a crash). */
  saveMetadata(metadata: StoredMetadata): Promise<void>
  /** loadCommittedOffsets returns every committed group offset (latest per group and partition). */
  loadCommittedOffsets(): CommittedOffset[]
  /** commitOffsets stores offsets durably; all of one call land together or not at all. */
  commitOffsets(offsets: readonly CommittedOffset[]): Promise<void>
  /** deleteCommittedOffsets removes a group's offsets (for some partitions, or all of them). */
  deleteCommittedOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<void>
  /** sync resolves once every append to every partition made before the call is on disk. */
  sync(): Promise<void>
  /** close flushes and releases everything; the storage cannot be used afterwards. */
  close(): Promise<void>
  /** stats reports what the storage holds and how fast it flushes, for metrics (optional: adapters without it report nothing). */
  stats?(): StorageStats
}

/** StorageStats is a storage's own view for metrics (`Storage.stats`). */
export interface StorageStats {
  /** The storage kind: 'memory', 'file', 'sqlite'. */
  kind: string
  /** Partition logs opened in this process. */
  partitions: number
  /** Segments over those logs. */
  segments: number
  /** Bytes of stored batches over those logs. */
  sizeBytes: number
  /** How long each flush to disk (a group commit's fdatasync) took, in seconds; absent where there is none. */
  fsyncLatencySeconds?: HistogramSnapshot
  /** Flushes that took longer than the slow-flush threshold (each is logged as a warning). */
  slowFsyncs?: number
  /** Bytes in the shared journal not yet checkpointed (file storage with its journal on). */
  journalBytes?: number
  /** Journal checkpoints done since open (segments flushed, journal file deleted). */
  journalCheckpoints?: number
  /** Batches that open() appended back from the journal because the segments had lost them. */
  journalReplayedBatches?: number
  /** Flushes of many partitions at once done as one syncfs of the whole file system (file storage). */
  fileSystemSyncs?: number
}
