import * as fs from 'node:fs'
import { join } from 'node:path'
import {
  TributaryError,
  validateTopicName,
  type InspectedJournal,
  type InspectedPartition,
  type InspectedSegment,
  type StorageDamage,
  type StorageInspection,
  type StoredMetadata,
  type StoredTopic,
} from '@tributary/core'
import { BatchLayout, partitionKey, readBaseOffset } from '@tributary/core/internal'
import { scanBatches } from '../batch-scanner'
import { directoryLockHolder } from '../lock-file'
import { METADATA_FILE_NAME } from '../metadata-file'
import { OFFSETS_FILE_NAME, readOffsetsFile } from '../offsets-store'
import { OFFSET_ENTRY_BYTES } from '../offset-index'
import { listJournals, pendingBatches, readJournal } from '../journal-replay'
import { parseSegmentFileName } from '../segment'
import { TIME_ENTRY_BYTES } from '../time-index'

/*
 * inspectDirectory reads a file storage directory without opening it as a broker would: no lock
 * taken, no recovery, nothing written, so it also works (read-only) while a live process owns the
 * directory. It walks every segment's batches (framing; with `verify`, every CRC-32C too) and,
 * with `verify`, checks every offset and time index entry against the batches it points at.
 */

/** InspectDirectoryOptions tune `inspectDirectory`. */
export interface InspectDirectoryOptions {
  /** Check every batch's CRC-32C and the index files (slower: reads and hashes everything). Default false. */
  verify?: boolean
  /** Called after each segment with how many of how many bytes are done (for a progress line). */
  onProgress?: (doneBytes: number, totalBytes: number) => void
}

const PARTITION_DIR = /^(.+)-(\d+)$/
const DELETED_DIR = /\.[0-9a-f]+-delete$/

/**
 * inspectDirectory reports topics, committed offsets and every partition's segments, offsets,
 * sizes and time range, and any damage found (see StorageInspection).
 * @throws TributaryError KAFKA_STORAGE_ERROR when `dir` does not exist or is not a directory.
 */
export function inspectDirectory(dir: string, options: InspectDirectoryOptions = {}): StorageInspection {
  const verify = options.verify === true
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    throw new TributaryError('KAFKA_STORAGE_ERROR', `${dir} is not a readable data directory: ${(err as Error).message}`, {
      cause: err,
      retriable: false,
      details: { path: dir },
    })
  }
  const damage: StorageDamage[] = []
  const lockedBy = directoryLockHolder(dir)
  const metadata = readMetadata(dir, damage)
  const offsets = readOffsetsFile(join(dir, OFFSETS_FILE_NAME))
  if (offsets.validBytes < offsets.fileBytes && lockedBy === null)
    damage.push({
      file: join(dir, OFFSETS_FILE_NAME),
      position: offsets.validBytes,
      problem: `${offsets.fileBytes - offsets.validBytes} bytes after the last valid committed-offsets frame`,
      truncatable: true,
    })
  const dirs = entries
    .filter((e) => e.isDirectory() && !DELETED_DIR.test(e.name))
    .map((e) => ({ name: e.name, tp: parsePartitionDir(e.name) }))
    .filter((d): d is { name: string; tp: { topic: string; partition: number } } => d.tp !== null)
    .sort((a, b) => (a.tp.topic === b.tp.topic ? a.tp.partition - b.tp.partition : a.tp.topic < b.tp.topic ? -1 : 1))
  const totalBytes = dirs.reduce((n, d) => n + segmentFiles(join(dir, d.name)).reduce((m, s) => m + s.bytes, 0), 0)
  let doneBytes = 0
  const partitions: InspectedPartition[] = []
  for (const d of dirs) {
    const pdir = join(dir, d.name)
    const segments: InspectedSegment[] = []
    const files = segmentFiles(pdir)
    let previousLast = -1
    for (const [i, f] of files.entries()) {
      const live = lockedBy !== null && i === files.length - 1
      const segment = inspectSegment(pdir, f.base, d.tp, { verify, live, minBaseOffset: previousLast + 1 }, damage)
      segments.push(segment)
      if (segment.lastOffset >= 0) previousLast = segment.lastOffset
      doneBytes += f.bytes
      options.onProgress?.(doneBytes, totalBytes)
    }
    partitions.push(summarize(d.tp, segments))
  }
  const journal = inspectJournal(dir, partitions)
  return {
    kind: 'file',
    path: dir,
    lockedBy,
    clusterId: metadata?.clusterId ?? null,
    topics: metadata?.topics ?? [],
    committedOffsets: offsets.offsets,
    partitions,
    damage,
    verified: verify,
    ...(journal === null ? {} : { journal }),
  }
}

/**
 * inspectJournal sums the journal files and counts the batches that replay would append: those
 * at or past their partition's end as the segments show it (all of a partition's when its
 * directory is missing: replay makes it again). Null when there is no journal file.
 */
function inspectJournal(dir: string, partitions: InspectedPartition[]): InspectedJournal | null {
  const files = listJournals(dir)
  if (files.length === 0) return null
  const ends = new Map(partitions.map((p) => [partitionKey(p.topic, p.partition), p.endOffset]))
  let sizeBytes = 0
  const records = []
  for (const file of files) {
    sizeBytes += fs.statSync(file.path).size
    records.push(...readJournal(file.path).records)
  }
  let batchesToReplay = 0
  for (const [key, pending] of pendingBatches(records)) {
    // A partition without a directory (lost with the page cache) is made again by replay: all of its batches.
    const end = ends.get(key) ?? 0
    for (const batch of pending.batches) if (readBaseOffset(batch) >= end) batchesToReplay++
  }
  return { files: files.length, sizeBytes, batchesToReplay }
}

function summarize(tp: { topic: string; partition: number }, segments: InspectedSegment[]): InspectedPartition {
  const nonEmpty = segments.filter((s) => s.batches > 0)
  const first = nonEmpty[0]
  const last = nonEmpty[nonEmpty.length - 1]
  const times = nonEmpty.map((s) => s.minTimestamp).filter((t) => t >= 0)
  return {
    topic: tp.topic,
    partition: tp.partition,
    startOffset: first?.firstOffset ?? segments[0]?.baseOffset ?? 0,
    endOffset: last ? last.lastOffset + 1 : (segments[segments.length - 1]?.baseOffset ?? 0),
    batches: segments.reduce((n, s) => n + s.batches, 0),
    records: segments.reduce((n, s) => n + s.records, 0),
    sizeBytes: segments.reduce((n, s) => n + s.sizeBytes, 0),
    minTimestamp: times.length ? Math.min(...times) : -1,
    maxTimestamp: nonEmpty.reduce((m, s) => Math.max(m, s.maxTimestamp), -1),
    segments,
  }
}

function inspectSegment(
  pdir: string,
  base: number,
  tp: { topic: string; partition: number },
  how: { verify: boolean; live: boolean; minBaseOffset: number },
  damage: StorageDamage[],
): InspectedSegment {
  const name = String(base).padStart(20, '0')
  const path = join(pdir, `${name}.log`)
  const segment: InspectedSegment = {
    baseOffset: base,
    file: path,
    firstOffset: -1,
    lastOffset: -1,
    batches: 0,
    records: 0,
    sizeBytes: 0,
    minTimestamp: -1,
    maxTimestamp: -1,
  }
  const starts = new Map<number, number>()
  const batchEnds: Array<{ lastOffset: number; maxSoFar: number }> = []
  const fd = fs.openSync(path, 'r')
  let validEnd = 0
  let damaged = false
  try {
    const size = fs.fstatSync(fd).size
    segment.sizeBytes = size
    const scan = scanBatches(fd, path, 0, size, { verifyCrc: how.verify, minBaseOffset: Math.max(base, how.minBaseOffset) }, (b) => {
      if (segment.firstOffset < 0) segment.firstOffset = b.baseOffset
      segment.lastOffset = b.lastOffset
      segment.batches++
      segment.records += b.bytes.readInt32BE(BatchLayout.RECORDS_COUNT)
      const first = Number(b.bytes.readBigInt64BE(BatchLayout.BASE_TIMESTAMP))
      segment.minTimestamp = segment.minTimestamp < 0 ? first : Math.min(segment.minTimestamp, first)
      segment.maxTimestamp = Math.max(segment.maxTimestamp, b.maxTimestamp)
      if (how.verify) {
        starts.set(b.position, b.lastOffset)
        batchEnds.push({ lastOffset: b.lastOffset, maxSoFar: segment.maxTimestamp })
      }
    })
    validEnd = scan.validEnd
    // The owner of a live directory may be writing the active segment's last batch right now.
    const writing = how.live && /runs past the end|trailing bytes/.test(scan.error ?? '')
    damaged = scan.error !== null
    if (scan.error !== null && !writing)
      damage.push({ ...tp, file: path, position: scan.validEnd, segmentBaseOffset: base, problem: scan.error, truncatable: true })
  } finally {
    fs.closeSync(fd)
  }
  if (how.verify) {
    // Entries past damaged data go with it (the repair cuts them too): only those before it are checked.
    segment.indexEntries = checkOffsetIndex(join(pdir, `${name}.index`), base, starts, validEnd, damaged, tp, damage)
    segment.timeIndexEntries = checkTimeIndex(join(pdir, `${name}.timeindex`), base, batchEnds, damaged, tp, damage)
  }
  return segment
}

/** checkOffsetIndex checks that every entry names a batch start and that batch's last offset, in increasing order. */
function checkOffsetIndex(
  path: string,
  base: number,
  starts: ReadonlyMap<number, number>,
  validEnd: number,
  dataDamaged: boolean,
  tp: { topic: string; partition: number },
  damage: StorageDamage[],
): number {
  const buf = readOptional(path)
  if (buf === null) return 0
  const problem = (position: number, what: string) =>
    damage.push({ ...tp, file: path, position, segmentBaseOffset: base, problem: what, truncatable: true })
  if (buf.length % OFFSET_ENTRY_BYTES !== 0)
    problem(buf.length, `size ${buf.length} is not a whole number of ${OFFSET_ENTRY_BYTES}-byte entries`)
  const n = Math.floor(buf.length / OFFSET_ENTRY_BYTES)
  let prevRel = -1
  let prevPos = -1
  for (let i = 0; i < n; i++) {
    const rel = buf.readInt32BE(i * OFFSET_ENTRY_BYTES)
    const pos = buf.readInt32BE(i * OFFSET_ENTRY_BYTES + 4)
    const at = i * OFFSET_ENTRY_BYTES
    if (rel <= prevRel || pos <= prevPos) return (problem(at, `entry ${i} (offset ${base + rel}, position ${pos}) does not increase`), n)
    if (pos >= validEnd && dataDamaged) return n
    if (pos >= validEnd) return (problem(at, `entry ${i} points at position ${pos}, past the valid data (${validEnd} bytes)`), n)
    const last = starts.get(pos)
    if (last === undefined) return (problem(at, `entry ${i} points at position ${pos}, where no batch starts`), n)
    if (last !== base + rel) return (problem(at, `entry ${i} says offset ${base + rel} but the batch at ${pos} ends at ${last}`), n)
    prevRel = rel
    prevPos = pos
  }
  return n
}

/** checkTimeIndex checks that entries increase, name a batch's last offset, and carry the running max timestamp there. */
function checkTimeIndex(
  path: string,
  base: number,
  batches: ReadonlyArray<{ lastOffset: number; maxSoFar: number }>,
  dataDamaged: boolean,
  tp: { topic: string; partition: number },
  damage: StorageDamage[],
): number {
  const buf = readOptional(path)
  if (buf === null) return 0
  const problem = (position: number, what: string) =>
    damage.push({ ...tp, file: path, position, segmentBaseOffset: base, problem: what, truncatable: true })
  if (buf.length % TIME_ENTRY_BYTES !== 0)
    problem(buf.length, `size ${buf.length} is not a whole number of ${TIME_ENTRY_BYTES}-byte entries`)
  const byLast = new Map(batches.map((b) => [b.lastOffset, b.maxSoFar]))
  const n = Math.floor(buf.length / TIME_ENTRY_BYTES)
  let prevTs = Number.NEGATIVE_INFINITY
  let prevRel = -1
  for (let i = 0; i < n; i++) {
    const at = i * TIME_ENTRY_BYTES
    const ts = Number(buf.readBigInt64BE(at))
    const rel = buf.readInt32BE(at + 8)
    if (ts <= prevTs || rel <= prevRel) return (problem(at, `entry ${i} (timestamp ${ts}, offset ${base + rel}) does not increase`), n)
    const max = byLast.get(base + rel)
    if (max === undefined && dataDamaged && base + rel > (batches[batches.length - 1]?.lastOffset ?? -1)) return n
    if (max === undefined) return (problem(at, `entry ${i} names offset ${base + rel}, which ends no batch`), n)
    if (ts > max) return (problem(at, `entry ${i} says timestamp ${ts} but the batches up to offset ${base + rel} reach only ${max}`), n)
    prevTs = ts
    prevRel = rel
  }
  return n
}

function readOptional(path: string): Buffer | null {
  try {
    return fs.readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function segmentFiles(pdir: string): Array<{ base: number; bytes: number }> {
  const out: Array<{ base: number; bytes: number }> = []
  for (const name of fs.readdirSync(pdir)) {
    const base = parseSegmentFileName(name)
    if (base !== null) out.push({ base, bytes: fs.statSync(join(pdir, name)).size })
  }
  return out.sort((a, b) => a.base - b.base)
}

function parsePartitionDir(name: string): { topic: string; partition: number } | null {
  const m = PARTITION_DIR.exec(name)
  if (m === null) return null
  try {
    validateTopicName(m[1] as string)
  } catch {
    return null
  }
  return { topic: m[1] as string, partition: Number(m[2]) }
}

function readMetadata(dir: string, damage: StorageDamage[]): StoredMetadata | null {
  const path = join(dir, METADATA_FILE_NAME)
  const buf = readOptional(path)
  if (buf === null) return null
  try {
    const parsed = JSON.parse(buf.toString('utf8')) as StoredMetadata
    if (parsed?.version !== 1 || !Array.isArray(parsed.topics)) throw new Error('unknown version or no topics')
    return { ...parsed, topics: parsed.topics.map((t: StoredTopic) => ({ ...t })) }
  } catch (err) {
    damage.push({ file: path, problem: `the broker metadata is unreadable: ${(err as Error).message}`, truncatable: false })
    return null
  }
}
