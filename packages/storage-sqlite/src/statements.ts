import type Database from 'better-sqlite3'

/**
 * Every SQL statement the storage runs, prepared once per connection. Values, topic names and
 * group ids included, are always bound parameters; no SQL text is ever built from data.
 */

/** PartitionRow is one row of `partitions`. */
export interface PartitionRow {
  id: number
  topic: string
  partition_index: number
  start_offset: number
  end_offset: number
  segment_bytes: number
  segment_ms: number
}

/** SegmentStatsRow is one segment with the totals of the batches it holds. */
export interface SegmentStatsRow {
  base_offset: number
  created_at_ms: number
  batch_count: number
  size_bytes: number
  /** -1 when the segment holds no batch. */
  max_timestamp: number
  last_offset: number
  time_key: number
}

/** CommittedOffsetRow is one row of `committed_offsets`. */
export interface CommittedOffsetRow {
  group_id: string
  topic: string
  partition_index: number
  committed_offset: number
  metadata: string | null
  commit_timestamp_ms: number
}

/** The largest safe integer: the upper bound of the last segment's offset range. */
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER

/*
 * Segment totals in one statement: each segment spans [base_offset, next segment's base), and a
 * batch belongs to the segment its last offset falls in (batches never straddle a boundary, since
 * a boundary is always the end offset at the time of a roll). Each segment costs one range seek in
 * batches_meta, which holds the small columns without the blobs (see schema.ts, version 2).
 */
export const SEGMENT_STATS_SQL = `
WITH seg AS (
  SELECT base_offset, created_at_ms, lead(base_offset, 1, ${NO_UPPER_BOUND}) OVER (ORDER BY base_offset) AS next_base
  FROM segments WHERE partition_id = @pid
)
SELECT seg.base_offset AS base_offset, seg.created_at_ms AS created_at_ms,
  count(b.last_offset) AS batch_count,
  coalesce(sum(b.size_bytes), 0) AS size_bytes,
  coalesce(max(b.max_timestamp), -1) AS max_timestamp,
  coalesce(max(b.last_offset), -1) AS last_offset,
  coalesce(max(b.time_key), -1) AS time_key
FROM seg LEFT JOIN batches b INDEXED BY batches_meta
  ON b.partition_id = @pid AND b.last_offset >= seg.base_offset AND b.last_offset < seg.next_base
GROUP BY seg.base_offset
ORDER BY seg.base_offset`

/** prepareStatements prepares every statement on `db`. */
export function prepareStatements(db: Database.Database): Statements {
  return {
    selectPartitions: db.prepare<[], PartitionRow>(
      'SELECT id, topic, partition_index, start_offset, end_offset, segment_bytes, segment_ms FROM partitions',
    ),
    insertPartition: db.prepare<[string, number, number, number]>(
      'INSERT INTO partitions (topic, partition_index, start_offset, end_offset, segment_bytes, segment_ms) VALUES (?, ?, 0, 0, ?, ?)',
    ),
    updatePartitionConfig: db.prepare<[number, number, number]>('UPDATE partitions SET segment_bytes = ?, segment_ms = ? WHERE id = ?'),
    updatePartitionOffsets: db.prepare<[number, number, number]>('UPDATE partitions SET start_offset = ?, end_offset = ? WHERE id = ?'),
    deletePartition: db.prepare<[number]>('DELETE FROM partitions WHERE id = ?'),

    selectSegmentStats: db.prepare<{ pid: number }, SegmentStatsRow>(SEGMENT_STATS_SQL),
    insertSegment: db.prepare<[number, number, number]>('INSERT INTO segments (partition_id, base_offset, created_at_ms) VALUES (?, ?, ?)'),
    updateSegmentCreated: db.prepare<[number, number, number]>(
      'UPDATE segments SET created_at_ms = ? WHERE partition_id = ? AND base_offset = ?',
    ),
    deleteSegmentsBelow: db.prepare<[number, number]>('DELETE FROM segments WHERE partition_id = ? AND base_offset < ?'),
    deleteSegmentsAbove: db.prepare<[number, number]>('DELETE FROM segments WHERE partition_id = ? AND base_offset > ?'),
    deleteAllSegments: db.prepare<[number]>('DELETE FROM segments WHERE partition_id = ?'),

    insertBatch: db.prepare<[number, number, number, number, number, number, number, Buffer]>(
      'INSERT INTO batches (partition_id, last_offset, base_offset, max_timestamp, time_key, record_count, size_bytes, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    /** Rows are [last_offset, data]: the batch containing an offset, then the ones after it. */
    selectBatchesFrom: db
      .prepare<[number, number], [number, Buffer]>(
        'SELECT last_offset, data FROM batches WHERE partition_id = ? AND last_offset >= ? ORDER BY last_offset',
      )
      .raw(),
    /** Rows are [last_offset, max_timestamp, data], in offset order (time_key rises with the offset). */
    selectBatchesByTime: db
      .prepare<[number, number], [number, number, Buffer]>(
        'SELECT last_offset, max_timestamp, data FROM batches INDEXED BY batches_by_time WHERE partition_id = ? AND time_key >= ? ORDER BY time_key, last_offset',
      )
      .raw(),
    /** Rows are [last_offset, record_count, data] of one segment's batches, a chunk at a time. */
    selectBatchRange: db
      .prepare<[number, number, number, number], [number, number, Buffer]>(
        'SELECT last_offset, record_count, data FROM batches WHERE partition_id = ? AND last_offset >= ? AND last_offset < ? ORDER BY last_offset LIMIT ?',
      )
      .raw(),
    selectFirstBaseFrom: db
      .prepare<[number, number], number>(
        'SELECT base_offset FROM batches WHERE partition_id = ? AND last_offset >= ? ORDER BY last_offset LIMIT 1',
      )
      .pluck(),
    updateBatch: db.prepare<[Buffer, number, number, number, number, number]>(
      'UPDATE batches SET data = ?, size_bytes = ?, max_timestamp = ?, record_count = ? WHERE partition_id = ? AND last_offset = ?',
    ),
    deleteBatch: db.prepare<[number, number]>('DELETE FROM batches WHERE partition_id = ? AND last_offset = ?'),
    deleteBatchesFrom: db.prepare<[number, number]>('DELETE FROM batches WHERE partition_id = ? AND last_offset >= ?'),
    deleteBatchesBelow: db.prepare<[number, number]>('DELETE FROM batches WHERE partition_id = ? AND last_offset < ?'),
    deleteAllBatches: db.prepare<[number]>('DELETE FROM batches WHERE partition_id = ?'),

    selectMetadata: db.prepare<[], string>('SELECT metadata_json FROM broker_metadata WHERE id = 1').pluck(),
    upsertMetadata: db.prepare<[string, number]>(
      'INSERT INTO broker_metadata (id, metadata_json, saved_at_ms) VALUES (1, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET metadata_json = excluded.metadata_json, saved_at_ms = excluded.saved_at_ms',
    ),

    selectOffsets: db.prepare<[], CommittedOffsetRow>(
      'SELECT group_id, topic, partition_index, committed_offset, metadata, commit_timestamp_ms FROM committed_offsets',
    ),
    upsertOffset: db.prepare<[string, string, number, number, string | null, number]>(
      'INSERT INTO committed_offsets (group_id, topic, partition_index, committed_offset, metadata, commit_timestamp_ms) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (group_id, topic, partition_index) DO UPDATE SET committed_offset = excluded.committed_offset, ' +
        'metadata = excluded.metadata, commit_timestamp_ms = excluded.commit_timestamp_ms',
    ),
    deleteGroupOffsets: db.prepare<[string]>('DELETE FROM committed_offsets WHERE group_id = ?'),
    deleteOffset: db.prepare<[string, string, number]>(
      'DELETE FROM committed_offsets WHERE group_id = ? AND topic = ? AND partition_index = ?',
    ),
  }
}

/** Statements is the set of prepared statements of one connection. */
export interface Statements {
  selectPartitions: Database.Statement<[], PartitionRow>
  insertPartition: Database.Statement<[string, number, number, number], unknown>
  updatePartitionConfig: Database.Statement<[number, number, number], unknown>
  updatePartitionOffsets: Database.Statement<[number, number, number], unknown>
  deletePartition: Database.Statement<[number], unknown>
  selectSegmentStats: Database.Statement<[{ pid: number }], SegmentStatsRow>
  insertSegment: Database.Statement<[number, number, number], unknown>
  updateSegmentCreated: Database.Statement<[number, number, number], unknown>
  deleteSegmentsBelow: Database.Statement<[number, number], unknown>
  deleteSegmentsAbove: Database.Statement<[number, number], unknown>
  deleteAllSegments: Database.Statement<[number], unknown>
  insertBatch: Database.Statement<[number, number, number, number, number, number, number, Buffer], unknown>
  selectBatchesFrom: Database.Statement<[number, number], [number, Buffer]>
  selectBatchesByTime: Database.Statement<[number, number], [number, number, Buffer]>
  selectBatchRange: Database.Statement<[number, number, number, number], [number, number, Buffer]>
  selectFirstBaseFrom: Database.Statement<[number, number], number>
  updateBatch: Database.Statement<[Buffer, number, number, number, number, number], unknown>
  deleteBatch: Database.Statement<[number, number], unknown>
  deleteBatchesFrom: Database.Statement<[number, number], unknown>
  deleteBatchesBelow: Database.Statement<[number, number], unknown>
  deleteAllBatches: Database.Statement<[number], unknown>
  selectMetadata: Database.Statement<[], string>
  upsertMetadata: Database.Statement<[string, number], unknown>
  selectOffsets: Database.Statement<[], CommittedOffsetRow>
  upsertOffset: Database.Statement<[string, string, number, number, string | null, number], unknown>
  deleteGroupOffsets: Database.Statement<[string], unknown>
  deleteOffset: Database.Statement<[string, string, number], unknown>
}
