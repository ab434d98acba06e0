import Database from 'better-sqlite3'
import {
  TributaryError,
  isTributaryError,
  readBatchHeader,
  type CommittedOffset,
  type InspectedPartition,
  type InspectedSegment,
  type StorageDamage,
  type StorageInspection,
  type StoredMetadata,
} from '@tributary/core'
import { checkBatchAt } from '@tributary/core/internal'
import { checkIdentity } from './schema'
import { toStorageError } from './sqlite-errors'

/*
 * inspectDatabase reads a Tributary SQLite database without migrating or recovering it: topics,
 * committed offsets, and per partition its segments' offsets, sizes and time range. With `verify`
 * it runs SQLite's quick_check and checks every batch blob's CRC-32C and that the row's columns
 * (offsets, record count, size) agree with the batch header. SQLite storage holds an exclusive
 * lock while open, so a database in use by a live process cannot be read: STORAGE_LOCKED.
 */

/** InspectDatabaseOptions tune `inspectDatabase`. */
export interface InspectDatabaseOptions {
  verify?: boolean
  /** Called after each partition with partitions done and total. */
  onProgress?: (done: number, total: number) => void
}

interface BatchRow {
  base_offset: number
  last_offset: number
  max_timestamp: number
  record_count: number
  size_bytes: number
  data?: Buffer
}

/**
 * inspectDatabase reports what the database holds and any damage (see StorageInspection).
 * @throws TributaryError STORAGE_LOCKED when a live process has it open; KAFKA_STORAGE_ERROR for a missing, foreign or unreadable file.
 */
export function inspectDatabase(path: string, options: InspectDatabaseOptions = {}): StorageInspection {
  const db = openExisting(path)
  try {
    return read(db, path, options)
  } catch (err) {
    throw toStorageError(err, 'Inspecting SQLite storage', path)
  } finally {
    db.close()
  }
}

function openExisting(path: string): Database.Database {
  let db: Database.Database | undefined
  try {
    db = new Database(path, { fileMustExist: true, timeout: 0 })
    db.pragma('query_only = ON')
    db.pragma('trusted_schema = OFF')
    if (checkIdentity(db, path)) throw new TributaryError('KAFKA_STORAGE_ERROR', `${path} is an empty database, not Tributary storage`)
    db.prepare('SELECT count(*) FROM partitions').get()
    return db
  } catch (err) {
    db?.close()
    throw toStorageError(err, 'Opening SQLite storage for inspection', path)
  }
}

function read(db: Database.Database, path: string, options: InspectDatabaseOptions): StorageInspection {
  const verify = options.verify === true
  const damage: StorageDamage[] = []
  if (verify) {
    const rows = db.pragma('quick_check(20)') as Array<{ quick_check: string }>
    for (const r of rows)
      if (r.quick_check !== 'ok') damage.push({ file: path, problem: `quick_check: ${r.quick_check}`, truncatable: false })
  }
  const metaRow = db.prepare<[], { metadata_json: string }>('SELECT metadata_json FROM broker_metadata WHERE id = 1').get()
  const metadata = metaRow ? (JSON.parse(metaRow.metadata_json) as StoredMetadata) : null
  const committedOffsets = db
    .prepare<
      [],
      {
        group_id: string
        topic: string
        partition_index: number
        committed_offset: number
        metadata: string | null
        commit_timestamp_ms: number
      }
    >(
      'SELECT group_id, topic, partition_index, committed_offset, metadata, commit_timestamp_ms FROM committed_offsets ORDER BY group_id, topic, partition_index',
    )
    .all()
    .map(
      (r): CommittedOffset => ({
        groupId: r.group_id,
        topic: r.topic,
        partition: r.partition_index,
        offset: r.committed_offset,
        metadata: r.metadata,
        commitTimestampMs: r.commit_timestamp_ms,
      }),
    )
  const parts = db
    .prepare<[], { id: number; topic: string; partition_index: number; start_offset: number }>(
      'SELECT id, topic, partition_index, start_offset FROM partitions ORDER BY topic, partition_index',
    )
    .all()
  const segmentsOf = db.prepare<[number], { base_offset: number }>(
    'SELECT base_offset FROM segments WHERE partition_id = ? ORDER BY base_offset',
  )
  const batchesOf = db.prepare<[number], BatchRow>(
    `SELECT base_offset, last_offset, max_timestamp, record_count, size_bytes${verify ? ', data' : ''} FROM batches WHERE partition_id = ? ORDER BY last_offset`,
  )
  const partitions: InspectedPartition[] = []
  for (const [i, p] of parts.entries()) {
    const tp = { topic: p.topic, partition: p.partition_index }
    const bases = segmentsOf.all(p.id).map((s) => s.base_offset)
    const segments: InspectedSegment[] = (bases.length ? bases : [p.start_offset]).map((baseOffset) => emptySegment(baseOffset))
    let previousLast = -1
    for (const row of batchesOf.iterate(p.id)) {
      let s = segments.length - 1
      while (s > 0 && (segments[s] as InspectedSegment).baseOffset > row.base_offset) s--
      const seg = segments[s] as InspectedSegment
      if (seg.firstOffset < 0) seg.firstOffset = row.base_offset
      seg.lastOffset = row.last_offset
      seg.batches++
      seg.records += row.record_count
      seg.sizeBytes += row.size_bytes
      seg.minTimestamp = seg.minTimestamp < 0 ? row.max_timestamp : Math.min(seg.minTimestamp, row.max_timestamp)
      seg.maxTimestamp = Math.max(seg.maxTimestamp, row.max_timestamp)
      const problem = verify ? checkRow(row, previousLast) : row.base_offset <= previousLast ? 'batches overlap' : null
      if (problem !== null)
        damage.push({
          ...tp,
          file: `${path} (batches)`,
          segmentBaseOffset: row.base_offset,
          problem: `batch at offset ${row.base_offset}: ${problem}`,
          truncatable: true,
        })
      previousLast = row.last_offset
    }
    partitions.push(summarize(tp, p.start_offset, segments))
    options.onProgress?.(i + 1, parts.length)
  }
  return {
    kind: 'sqlite',
    path,
    lockedBy: null,
    clusterId: metadata?.clusterId ?? null,
    topics: metadata?.topics ?? [],
    committedOffsets,
    partitions,
    damage,
    verified: verify,
  }
}

/** checkRow checks a batch blob's CRC and that its row agrees with its header. */
function checkRow(row: BatchRow, previousLast: number): string | null {
  const data = row.data as Buffer
  try {
    checkBatchAt(data, 0, data.length)
  } catch (err) {
    if (isTributaryError(err, 'CORRUPT_MESSAGE')) return err.message
    throw err
  }
  const h = readBatchHeader(data)
  if (h.baseOffset !== row.base_offset) return `the header says base offset ${h.baseOffset}`
  if (h.baseOffset + h.lastOffsetDelta !== row.last_offset) return `the header says last offset ${h.baseOffset + h.lastOffsetDelta}`
  if (h.recordsCount !== row.record_count) return `the header says ${h.recordsCount} records, the row ${row.record_count}`
  if (data.length !== row.size_bytes) return `the blob has ${data.length} bytes, the row says ${row.size_bytes}`
  if (row.base_offset <= previousLast) return 'batches overlap'
  return null
}

function emptySegment(baseOffset: number): InspectedSegment {
  return { baseOffset, firstOffset: -1, lastOffset: -1, batches: 0, records: 0, sizeBytes: 0, minTimestamp: -1, maxTimestamp: -1 }
}

function summarize(tp: { topic: string; partition: number }, startOffset: number, segments: InspectedSegment[]): InspectedPartition {
  const nonEmpty = segments.filter((s) => s.batches > 0)
  const last = nonEmpty[nonEmpty.length - 1]
  const mins = nonEmpty.map((s) => s.minTimestamp)
  return {
    ...tp,
    startOffset,
    endOffset: last ? last.lastOffset + 1 : startOffset,
    batches: segments.reduce((n, s) => n + s.batches, 0),
    records: segments.reduce((n, s) => n + s.records, 0),
    sizeBytes: segments.reduce((n, s) => n + s.sizeBytes, 0),
    minTimestamp: mins.length ? Math.min(...mins) : -1,
    maxTimestamp: nonEmpty.reduce((m, s) => Math.max(m, s.maxTimestamp), -1),
    segments,
  }
}

/**
 * truncateDatabaseTails repairs batch damage found by `inspectDatabase({ verify: true })`: each
 * damaged partition loses its damaged batch and every batch after it, in one transaction.
 * Structural damage (quick_check) is not repaired. Returns what was cut.
 * @throws TributaryError STORAGE_LOCKED when a live process has the database open.
 */
export function truncateDatabaseTails(inspection: StorageInspection): Array<{ file: string; action: string }> {
  const cuts = new Map<string, { topic: string; partition: number; from: number }>()
  for (const d of inspection.damage) {
    if (!d.truncatable || d.topic === undefined || d.partition === undefined || d.segmentBaseOffset === undefined) continue
    const key = `${d.topic}\u0000${d.partition}`
    const seen = cuts.get(key)
    if (seen === undefined || d.segmentBaseOffset < seen.from)
      cuts.set(key, { topic: d.topic, partition: d.partition, from: d.segmentBaseOffset })
  }
  if (cuts.size === 0) return []
  let db: Database.Database | undefined
  try {
    db = new Database(inspection.path, { fileMustExist: true, timeout: 0 })
    const open = db
    const idOf = open.prepare<[string, number], { id: number }>('SELECT id FROM partitions WHERE topic = ? AND partition_index = ?')
    const cut = open.prepare<[number, number]>('DELETE FROM batches WHERE partition_id = ? AND last_offset >= ?')
    const setEnd = open.prepare<[number, number]>('UPDATE partitions SET end_offset = ? WHERE id = ?')
    const dropSegments = open.prepare<[number, number]>('DELETE FROM segments WHERE partition_id = ? AND base_offset > ?')
    const actions: Array<{ file: string; action: string }> = []
    open.transaction(() => {
      for (const c of cuts.values()) {
        const row = idOf.get(c.topic, c.partition)
        if (row === undefined) continue
        const removed = cut.run(row.id, c.from).changes
        setEnd.run(c.from, row.id)
        dropSegments.run(row.id, c.from)
        actions.push({ file: inspection.path, action: `${c.topic}-${c.partition}: removed ${removed} batches from offset ${c.from}` })
      }
    })()
    return actions
  } catch (err) {
    throw toStorageError(err, 'Repairing SQLite storage', inspection.path)
  } finally {
    db?.close()
  }
}
