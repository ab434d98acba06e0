import type { CommittedOffset, StoredTopic } from './storage'

/*
 * What `tributary inspect` and `tributary verify` report about a storage, read without opening
 * it as a broker does (no recovery, no lock needed, nothing written): the same shape for file
 * and SQLite storage, built by each adapter's `inspect*` function.
 */

/** InspectedSegment is one segment file (file storage) or segment range (SQLite). */
export interface InspectedSegment {
  baseOffset: number
  /** The file, for file storage. */
  file?: string
  /** First and last offset of its batches (-1 when empty). */
  firstOffset: number
  lastOffset: number
  batches: number
  records: number
  sizeBytes: number
  /** Smallest and largest batch max timestamp, ms (-1 when empty). */
  minTimestamp: number
  maxTimestamp: number
  /** Entries in its offset and time index files (file storage). */
  indexEntries?: number
  timeIndexEntries?: number
}

/** InspectedPartition is one partition log. */
export interface InspectedPartition {
  topic: string
  partition: number
  startOffset: number
  /** One past the last offset of its last valid batch. */
  endOffset: number
  batches: number
  records: number
  sizeBytes: number
  minTimestamp: number
  maxTimestamp: number
  segments: InspectedSegment[]
}

/** StorageDamage is one problem found: where, and what. */
export interface StorageDamage {
  topic?: string
  partition?: number
  /** The file (or table) it is in. */
  file: string
  /** Byte position in the file, when known. */
  position?: number
  /** The segment's base offset, when in a segment. */
  segmentBaseOffset?: number
  problem: string
  /** Whether `--truncate-corrupt-tail` can repair it (by cutting the log from there on). */
  truncatable: boolean
}

/** StorageInspection is the whole report. */
export interface StorageInspection {
  kind: 'file' | 'sqlite'
  path: string
  /** The process holding the storage (file storage's lock file naming a live pid), or null. */
  lockedBy: number | null
  clusterId: string | null
  topics: StoredTopic[]
  committedOffsets: CommittedOffset[]
  partitions: InspectedPartition[]
  /** Empty when sound. With `verify`, CRCs and indexes were checked; without, only framing. */
  damage: StorageDamage[]
  /** Whether every batch's CRC was checked. */
  verified: boolean
  /**
   * File storage's shared journal, when a journal file exists (a storage in use, or one that was
   * not closed cleanly): its files and bytes, and how many journaled batches lie past their
   * partition's end in the segments, which the next open appends back (lost with the page cache).
   */
  journal?: InspectedJournal
}

/** InspectedJournal describes file storage's shared journal (see StorageInspection.journal). */
export interface InspectedJournal {
  files: number
  sizeBytes: number
  /** Journaled batches the segments lack: the next open replays them. */
  batchesToReplay: number
}
