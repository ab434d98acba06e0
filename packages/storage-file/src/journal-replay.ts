import * as fs from 'node:fs'
import { join } from 'node:path'
import { checkWholeBatch, partitionKey } from '@tributary/core/internal'
import { attempt } from './io'
import { KIND_BATCH, KIND_FORGET, RECORD_HEADER_BYTES, checksum, journalSequence } from './journal'

/** JournalFile is one journal file found in the storage directory. */
export interface JournalFile {
  path: string
  sequence: number
}

/** JournalRecord is one record read back from a journal file. */
export interface JournalRecord {
  kind: number
  topic: string
  partition: number
  /** The batch, for a batch record (a view into the file's bytes). */
  payload: Buffer
}

/** JournalRead is what one file held: its valid records, and how many bytes after them were not (a torn tail). */
export interface JournalRead {
  records: JournalRecord[]
  validBytes: number
  tornBytes: number
}

/** listJournals finds the journal files in `dir`, oldest first. */
export function listJournals(dir: string): JournalFile[] {
  const names = attempt(`list ${dir}`, () => fs.readdirSync(dir))
  const files: JournalFile[] = []
  for (const name of names) {
    const sequence = journalSequence(name)
    if (sequence !== null) files.push({ path: join(dir, name), sequence })
  }
  return files.sort((a, b) => a.sequence - b.sequence)
}

/** readJournal reads a journal file's records up to the first that is incomplete or fails a check. */
export function readJournal(path: string): JournalRead {
  const bytes = attempt(`read ${path}`, () => fs.readFileSync(path))
  return parseJournal(bytes)
}

/** parseJournal is `readJournal` on bytes already read. Pure. */
export function parseJournal(bytes: Buffer): JournalRead {
  const records: JournalRecord[] = []
  let at = 0
  for (;;) {
    const record = parseRecordAt(bytes, at)
    if (record === null) break
    records.push(record.record)
    at = record.next
  }
  return { records, validBytes: at, tornBytes: bytes.length - at }
}

function parseRecordAt(bytes: Buffer, at: number): { record: JournalRecord; next: number } | null {
  if (bytes.length - at < RECORD_HEADER_BYTES) return null
  const length = bytes.readUInt32BE(at)
  const next = at + 4 + length
  if (length < RECORD_HEADER_BYTES - 4 || next > bytes.length) return null
  const kind = bytes.readUInt8(at + 8)
  const partition = bytes.readUInt32BE(at + 9)
  const topicBytes = bytes.readUInt16BE(at + 13)
  const payloadAt = at + RECORD_HEADER_BYTES + topicBytes
  if (payloadAt > next) return null
  const payload = bytes.subarray(payloadAt, next)
  if (checksum(bytes, at + 8, payloadAt, payload) !== bytes.readUInt32BE(at + 4)) return null
  if (kind === KIND_BATCH) {
    try {
      checkWholeBatch(payload, 'replay')
    } catch {
      return null
    }
  } else if (kind !== KIND_FORGET || payload.length !== 0) return null
  const topic = bytes.toString('utf8', at + RECORD_HEADER_BYTES, payloadAt)
  return { record: { kind, topic, partition, payload }, next }
}

/** PendingBatches are one partition's journaled batches that replay must consider, in append order. */
export interface PendingBatches {
  topic: string
  partition: number
  batches: Buffer[]
}

/**
 * pendingBatches groups the batch records of files read oldest first by partition, keeping for
 * each partition only the records after its last forget mark. Pure.
 */
export function pendingBatches(records: readonly JournalRecord[]): Map<string, PendingBatches> {
  const byPartition = new Map<string, PendingBatches>()
  for (const r of records) {
    const key = partitionKey(r.topic, r.partition)
    if (r.kind === KIND_FORGET) {
      byPartition.delete(key)
      continue
    }
    let entry = byPartition.get(key)
    if (entry === undefined) byPartition.set(key, (entry = { topic: r.topic, partition: r.partition, batches: [] }))
    entry.batches.push(r.payload)
  }
  return byPartition
}
