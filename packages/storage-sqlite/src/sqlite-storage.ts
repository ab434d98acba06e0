import type Database from 'better-sqlite3'
import { TributaryError } from '@tributary/core'
import type { CommittedOffset, PartitionLog, PartitionLogConfig, Storage, StoredMetadata, TopicPartition } from '@tributary/core'
import {
  checkCommittedOffsets,
  checkGroupId,
  checkLogConfig,
  checkPartitionList,
  checkStoredMetadata,
  checkTopicPartition,
} from '@tributary/core/internal'
import { openDatabase } from './database'
import { GroupSync } from './group-sync'
import { resolveSqliteOptions } from './options'
import type { ResolvedSqliteOptions, SqliteStorageOptions } from './options'
import { SqlitePartitionLog } from './partition-log'
import type { LogContext } from './partition-log'
import { toStorageError } from './sqlite-errors'
import { prepareStatements } from './statements'
import type { PartitionRow } from './statements'

/** What an open storage holds; absent before `open()` and after `close()`. */
interface OpenState extends LogContext {
  /** topic → partition → row (and its log once asked for). */
  readonly partitions: Map<string, Map<number, { row: PartitionRow; log?: SqlitePartitionLog }>>
}

/**
 * SqliteStorage keeps every partition, the broker metadata and the committed group offsets of a
 * node in one SQLite database file (WAL mode), through better-sqlite3.
 *
 * Lifecycle: construct, `open()` (locks the file against other writers, migrates the schema),
 * use, `close()`. Appends commit at once without an fsync (acks=1 pays none); `sync()` makes every
 * earlier commit durable with one fdatasync shared by all concurrent callers (acks=all).
 *
 * @example
 * const tb = await Tributary.open({ storage: new SqliteStorage({ path: './data/tributary.db' }) })
 */
export class SqliteStorage implements Storage {
  readonly kind = 'sqlite'
  /** Appends are bound into a row (SQLite copies the blob) before they return. */
  readonly copiesAppends = true
  /** The resolved options (path made absolute, defaults applied). */
  readonly options: ResolvedSqliteOptions
  private state: OpenState | null = null
  private closed = false

  /** Creates the storage; nothing touches the disk before `open()`. Throws INVALID_CONFIG for bad options. */
  constructor(options: SqliteStorageOptions) {
    this.options = resolveSqliteOptions(options)
  }

  /**
   * open opens or creates the database and loads the partition list. Throws STORAGE_LOCKED when
   * another process (or SqliteStorage) has the file open, UNSUPPORTED_VERSION for a database of a
   * newer schema, KAFKA_STORAGE_ERROR for a damaged or foreign file, CLIENT_CLOSED after close.
   * Opening an open storage does nothing.
   */
  async open(): Promise<void> {
    if (this.closed) throw closedError()
    if (this.state) return
    const db = openDatabase(this.options)
    try {
      const stmts = prepareStatements(db)
      const partitions = new Map<string, Map<number, { row: PartitionRow; log?: SqlitePartitionLog }>>()
      for (const row of stmts.selectPartitions.all()) byTopic(partitions, row.topic).set(row.partition_index, { row })
      this.state = {
        db,
        stmts,
        partitions,
        groupSync: new GroupSync(this.options.path),
        clock: this.options.clock,
        path: this.options.path,
        assertOpen: () => this.live(),
      }
    } catch (err) {
      db.close()
      throw toStorageError(err, 'Opening SQLite storage', this.options.path)
    }
  }

  /** partitionLog returns the partition's log, creating it (with an empty first segment) if missing, and applies `config`. */
  partitionLog(tp: TopicPartition, config: PartitionLogConfig): PartitionLog {
    const state = this.live()
    checkTopicPartition(tp)
    checkLogConfig(config)
    const topic = byTopic(state.partitions, tp.topic)
    let entry = topic.get(tp.partition)
    if (!entry) {
      entry = { row: this.insertPartition(state, tp, config) }
      topic.set(tp.partition, entry)
    }
    if (!entry.log)
      entry.log = new SqlitePartitionLog(state, entry.row, {
        ...config,
        segmentBytes: entry.row.segment_bytes,
        segmentMs: entry.row.segment_ms,
      })
    entry.log.setConfig(config)
    return entry.log
  }

  listPartitions(): TopicPartition[] {
    const state = this.live()
    const out: TopicPartition[] = []
    for (const [topic, partitions] of state.partitions) for (const partition of partitions.keys()) out.push({ topic, partition })
    return out
  }

  /** deletePartition removes the partition's batches, segments and row in one transaction, then syncs. */
  async deletePartition(tp: TopicPartition): Promise<void> {
    const state = this.live()
    checkTopicPartition(tp)
    const partitions = state.partitions.get(tp.topic)
    const entry = partitions?.get(tp.partition)
    if (!partitions || !entry) return
    const id = entry.row.id
    this.write(state, `Deleting partition ${tp.topic}-${tp.partition}`, () => {
      state.stmts.deleteAllBatches.run(id)
      state.stmts.deleteAllSegments.run(id)
      state.stmts.deletePartition.run(id)
    })
    entry.log?.markDeleted()
    partitions.delete(tp.partition)
    if (partitions.size === 0) state.partitions.delete(tp.topic)
    await state.groupSync.sync()
  }

  loadMetadata(): StoredMetadata | null {
    const state = this.live()
    const json = this.guard('Loading broker metadata', () => state.stmts.selectMetadata.get())
    if (json === undefined) return null
    try {
      return JSON.parse(json) as StoredMetadata
    } catch (err) {
      throw new TributaryError('KAFKA_STORAGE_ERROR', `Broker metadata in ${this.options.path} is not valid JSON`, {
        cause: err,
        retriable: false,
      })
    }
  }

  /** saveMetadata replaces the metadata row in one statement (atomic) and resolves once it is durable. */
  async saveMetadata(metadata: StoredMetadata): Promise<void> {
    const state = this.live()
    const json = JSON.stringify(checkStoredMetadata(metadata))
    this.write(state, 'Saving broker metadata', () => state.stmts.upsertMetadata.run(json, state.clock.now()))
    await state.groupSync.sync()
  }

  loadCommittedOffsets(): CommittedOffset[] {
    const state = this.live()
    const rows = this.guard('Loading committed offsets', () => state.stmts.selectOffsets.all())
    return rows.map((r) => ({
      groupId: r.group_id,
      topic: r.topic,
      partition: r.partition_index,
      offset: r.committed_offset,
      metadata: r.metadata,
      commitTimestampMs: r.commit_timestamp_ms,
    }))
  }

  /** commitOffsets upserts every offset in one transaction and resolves once they are durable. */
  async commitOffsets(offsets: readonly CommittedOffset[]): Promise<void> {
    const state = this.live()
    // Validated all first: one call's offsets land together or not at all.
    const checked = checkCommittedOffsets(offsets)
    if (checked.length === 0) return
    this.write(state, 'Committing offsets', () => {
      for (const o of checked) state.stmts.upsertOffset.run(o.groupId, o.topic, o.partition, o.offset, o.metadata, o.commitTimestampMs)
    })
    await state.groupSync.sync()
  }

  async deleteCommittedOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<void> {
    const state = this.live()
    checkGroupId(groupId)
    checkPartitionList(partitions)
    this.write(state, `Deleting offsets of group ${groupId}`, () => {
      if (partitions === undefined) state.stmts.deleteGroupOffsets.run(groupId)
      else for (const tp of partitions) state.stmts.deleteOffset.run(groupId, tp.topic, tp.partition)
    })
    await state.groupSync.sync()
  }

  /** sync resolves once every commit made before the call, in any partition, is on disk (group commit). */
  async sync(): Promise<void> {
    await this.live().groupSync.sync()
  }

  /**
   * close waits for running syncs, then closes the connection, which checkpoints the WAL into the
   * database file (fsynced) and removes it. Later calls throw CLIENT_CLOSED; closing twice does nothing.
   */
  async close(): Promise<void> {
    const state = this.state
    this.closed = true
    this.state = null
    if (!state) return
    let failure: unknown
    try {
      await state.groupSync.sync()
    } catch (err) {
      failure = err
    }
    await state.groupSync.idle()
    try {
      state.db.close()
    } catch (err) {
      failure ??= toStorageError(err, 'Closing SQLite storage', this.options.path)
    }
    if (failure !== undefined) throw failure
  }

  /** database exposes the better-sqlite3 connection, for tests and inspection. Do not write through it. */
  database(): Database.Database {
    return this.live().db
  }

  private insertPartition(state: OpenState, tp: TopicPartition, config: PartitionLogConfig): PartitionRow {
    const nowMs = state.clock.now()
    const id = this.write(state, `Creating partition ${tp.topic}-${tp.partition}`, () => {
      const info = state.stmts.insertPartition.run(tp.topic, tp.partition, config.segmentBytes, config.segmentMs)
      state.stmts.insertSegment.run(Number(info.lastInsertRowid), 0, nowMs)
      return Number(info.lastInsertRowid)
    })
    return {
      id,
      topic: tp.topic,
      partition_index: tp.partition,
      start_offset: 0,
      end_offset: 0,
      segment_bytes: config.segmentBytes,
      segment_ms: config.segmentMs,
    }
  }

  /** write runs `fn` in one transaction, maps its errors and marks the commit for the next sync. */
  private write<T>(state: OpenState, what: string, fn: () => T): T {
    const result = this.guard(what, () => state.db.transaction(fn)())
    state.groupSync.markWritten()
    return result
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      throw toStorageError(err, what, this.options.path)
    }
  }

  /** live returns the open state, or throws CLIENT_CLOSED after close and KAFKA_STORAGE_ERROR before open. */
  private live(): OpenState {
    if (this.state) return this.state
    if (this.closed) throw closedError()
    throw new TributaryError('KAFKA_STORAGE_ERROR', 'SqliteStorage is not open: call open() first', { retriable: false })
  }
}

function byTopic<V>(map: Map<string, Map<number, V>>, topic: string): Map<number, V> {
  let partitions = map.get(topic)
  if (!partitions) map.set(topic, (partitions = new Map()))
  return partitions
}

function closedError(): TributaryError {
  return new TributaryError('CLIENT_CLOSED', 'SqliteStorage is closed')
}
