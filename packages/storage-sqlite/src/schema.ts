import type Database from 'better-sqlite3'
import { TributaryError } from '@tributary/core'

/**
 * The database schema and its versioned migrations. Each migration runs once, in order, inside the
 * exclusive transaction that opens the database, and records itself in `tributary_schema`; so a
 * crash mid-migration leaves the previous version. A database written by a newer Tributary (a
 * version above `SCHEMA_VERSION`) is refused rather than misread.
 */

/** APPLICATION_ID marks a Tributary database in the SQLite header (`PRAGMA application_id`): 'Trib'. */
export const APPLICATION_ID = 0x54726962

/** Migration is one step of the schema: `sql` takes the database from `version - 1` to `version`. */
interface Migration {
  version: number
  description: string
  sql: string
}

/*
 * Version 1.
 *
 * batches: one row per record batch, never per message. The primary key (partition_id, last_offset)
 * of a WITHOUT ROWID table is the table itself, so "the batch containing offset N" is one seek
 * (the first row with last_offset ≥ N) and a read continues as a sequential walk of the same
 * B-tree, blob included, with no second lookup. The blob is the last column so that the small
 * columns sit in the B-tree cell and scans of them never touch the blob's overflow pages (the
 * cell still holds the blob's first KiBs, hence batches_meta in version 2).
 *
 * time_key is the running maximum of max_timestamp in offset order. Unlike max_timestamp itself
 * (producers may send out-of-order timestamps) it never decreases with the offset, so "the first
 * batch, in offset order, that may hold a timestamp ≥ T" is one seek in batches_by_time, as in
 * Kafka's time index. Compaction may lower a batch's max_timestamp but keeps its time_key, which
 * stays an upper bound; readers check max_timestamp before decoding.
 *
 * partitions.end_offset is a lower bound of the log end offset: appends do not update it (that
 * would cost a second page write per append); the true end is max(end_offset, last batch + 1).
 * Only truncate and operations that can empty the log write it.
 *
 * segments: one row per segment boundary (base offset and creation time); a segment holds the
 * batches from its base up to the next segment's base. Its size and timestamps are derived from
 * the batches, so appends touch only the batches table.
 *
 * Tables are STRICT so that a wrongly typed value is an error, not silently stored. No foreign
 * keys are declared: every multi-table change runs in one transaction in this package.
 */
const V1_SQL = `
CREATE TABLE tributary_schema (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE partitions (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  partition_index INTEGER NOT NULL,
  start_offset INTEGER NOT NULL,
  end_offset INTEGER NOT NULL,
  segment_bytes INTEGER NOT NULL,
  segment_ms INTEGER NOT NULL,
  UNIQUE (topic, partition_index)
) STRICT;

CREATE TABLE segments (
  partition_id INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (partition_id, base_offset)
) STRICT, WITHOUT ROWID;

CREATE TABLE batches (
  partition_id INTEGER NOT NULL,
  last_offset INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  max_timestamp INTEGER NOT NULL,
  time_key INTEGER NOT NULL,
  record_count INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (partition_id, last_offset)
) STRICT, WITHOUT ROWID;

CREATE INDEX batches_by_time ON batches (partition_id, time_key, last_offset);

CREATE TABLE broker_metadata (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  metadata_json TEXT NOT NULL,
  saved_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE committed_offsets (
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition_index INTEGER NOT NULL,
  committed_offset INTEGER NOT NULL,
  metadata TEXT,
  commit_timestamp_ms INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, partition_index)
) STRICT, WITHOUT ROWID;
`

/*
 * Version 2.
 *
 * batches_meta: the small columns of every batch in offset order, without the blob. A batch row's
 * B-tree cell holds the first 2–4 KiB of its blob (SQLite keeps that much of a large value in the
 * leaf before the overflow chain), so a scan of the table's small columns reads every leaf page:
 * loading a partition's segment totals read ~2 KiB per batch (0.42 s and 21 MiB of page cache for
 * a partition of 10M messages in 10,000 batches). The same scan over this index reads ~40 bytes per
 * batch.
 */
const V2_SQL = `
CREATE INDEX batches_meta ON batches (partition_id, last_offset, size_bytes, max_timestamp, time_key);
`

const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'partitions, segments, batches, metadata, group offsets', sql: V1_SQL },
  { version: 2, description: 'batches_meta: segment totals without reading the blobs', sql: V2_SQL },
]

/** SCHEMA_VERSION is the newest schema this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0

/**
 * migrate brings the database to `SCHEMA_VERSION`. The caller holds an exclusive transaction.
 * Throws UNSUPPORTED_VERSION for a newer schema and KAFKA_STORAGE_ERROR for a SQLite database
 * that is not Tributary's.
 */
export function migrate(db: Database.Database, path: string, nowMs: number): void {
  const current = currentVersion(db, path)
  if (current > SCHEMA_VERSION) {
    throw new TributaryError(
      'UNSUPPORTED_VERSION',
      `Database ${path} has schema version ${current}, newer than ${SCHEMA_VERSION} which this @tributary/storage-sqlite supports; upgrade Tributary to open it`,
      { details: { path, schemaVersion: current, supportedVersion: SCHEMA_VERSION } },
    )
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue
    db.exec(migration.sql)
    // Prepared after the first migration, which creates the table.
    db.prepare<[number, string, number]>('INSERT INTO tributary_schema (version, description, applied_at_ms) VALUES (?, ?, ?)').run(
      migration.version,
      migration.description,
      nowMs,
    )
  }
  if (current === 0) db.pragma(`application_id = ${APPLICATION_ID}`)
}

/**
 * checkIdentity throws KAFKA_STORAGE_ERROR unless the database is empty or Tributary's. It only
 * reads, so it runs before the switch to WAL: a foreign database is refused without being changed.
 * Returns whether the database is empty.
 */
export function checkIdentity(db: Database.Database, path: string): boolean {
  const applicationId = db.pragma('application_id', { simple: true }) as number
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'")
    .all()
    .map((t) => t.name)
  if (tables.length === 0 && applicationId === 0) return true
  if (applicationId !== APPLICATION_ID || !tables.includes('tributary_schema')) {
    throw new TributaryError(
      'KAFKA_STORAGE_ERROR',
      `${path} is a SQLite database but not a Tributary one (application_id ${applicationId})`,
      {
        details: { path, applicationId },
        retriable: false,
      },
    )
  }
  return false
}

/** currentVersion returns the schema version, 0 for an empty database. */
function currentVersion(db: Database.Database, path: string): number {
  if (checkIdentity(db, path)) return 0
  const row = db.prepare<[], { version: number | null }>('SELECT max(version) AS version FROM tributary_schema').get()
  return row?.version ?? 0
}
