import { appendFileSync, readdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isTributaryError, type PartitionLog } from '@tributary/core'
import { BatchLayout, readBaseOffset, readLastOffset } from '@tributary/core/internal'
import { makeBatch, makeRecords, type TestRecord } from '@tributary/core/testing'
import { segmentFileName } from './segment'
import { appendN, keysOf, openStorage, readAll, SMALL, TP } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

let dir: string
beforeEach(() => {
  dir = makeTempDir('recovery')
})
afterEach(() => removeTempDir(dir))

const partitionDir = (): string => join(dir, 'events-0')
const segmentPath = (base: number, suffix = '.log'): string => join(partitionDir(), segmentFileName(base, suffix))

/** writeLog appends `batches` batches of 3 records over small segments, syncs and closes. */
async function writeLog(batches: number): Promise<{ records: TestRecord[]; bases: number[]; end: number }> {
  const { storage } = await openStorage(dir)
  const log = storage.partitionLog(TP, SMALL)
  const records = appendN(log, batches, 3)
  const bases = log.segments().map((s) => s.baseOffset)
  const end = log.endOffset()
  await storage.close()
  return { records, bases, end }
}

/** batchesIn lists the batches of a segment file: start position, size, base and last offset. */
function batchesIn(path: string): Array<{ position: number; size: number; base: number; last: number }> {
  const bytes = readFileSync(path)
  const out = []
  for (let position = 0; position < bytes.length; ) {
    const size = bytes.readInt32BE(position + BatchLayout.BATCH_LENGTH) + BatchLayout.LOG_OVERHEAD
    out.push({ position, size, base: readBaseOffset(bytes, position), last: readLastOffset(bytes, position) })
    position += size
  }
  return out
}

function flipByte(path: string, position: number): void {
  const bytes = readFileSync(path)
  bytes[position] = (bytes[position] ?? 0) ^ 0x5a
  writeFileSync(path, bytes)
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return isTributaryError(err) ? err.code : String(err)
  }
  return undefined
}

/** readAllSkipping reads every record, stepping over batches whose offsets are in `skip` (known corrupt). */
function readAllSkipping(log: PartitionLog, skip: { base: number; last: number }): string[] {
  const keys: string[] = []
  for (let next = log.startOffset(); next < log.endOffset(); ) {
    if (next >= skip.base && next <= skip.last) {
      next = skip.last + 1
      continue
    }
    const records = readAll({
      ...log,
      startOffset: () => next,
      endOffset: () => Math.min(log.endOffset(), next + 1),
      read: (o, m) => log.read(o, m),
    } as PartitionLog)
    for (const r of records) if (r.offset >= next) keys.push(r.key?.toString() ?? '')
    next = (records[records.length - 1]?.offset ?? next) + 1
  }
  return keys
}

describe('recovery', () => {
  it('a flipped byte in the middle of a closed segment is CORRUPT_MESSAGE on read of that batch only; nothing else is lost', async () => {
    const { records, bases, end } = await writeLog(150)
    expect(bases.length).toBeGreaterThan(4)
    const victim = batchesIn(segmentPath(bases[0]!)).find((b) => b.position + b.size > 2048)!
    flipByte(segmentPath(bases[0]!), victim.position + BatchLayout.HEADER_SIZE + 5)
    const { storage, reports } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toEqual([])
    expect(log.endOffset()).toBe(end)
    expect(errorCode(() => log.read(victim.base, 1024 * 1024))).toBe('CORRUPT_MESSAGE')
    expect(errorCode(() => log.read(victim.last, 10))).toBe('CORRUPT_MESSAGE')
    // A read that starts before the bad batch stops just before it.
    const before = log.read(0, 1024 * 1024)
    expect(readLastOffset(before[before.length - 1]!)).toBe(victim.base - 1)
    const expected = records.map((r) => r.key).filter((_, offset) => offset < victim.base || offset > victim.last)
    expect(readAllSkipping(log, victim)).toEqual(expected)
    await storage.close()
  })

  it('a flipped byte in the tail of the active segment is truncated on recovery and reported', async () => {
    const { records, bases } = await writeLog(60)
    const active = bases[bases.length - 1]!
    const batches = batchesIn(segmentPath(active))
    const last = batches[batches.length - 1]!
    flipByte(segmentPath(active), last.position + last.size - 3)
    const { storage, reports, warnings } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toEqual([
      expect.objectContaining({
        topic: 'events',
        partition: 0,
        segmentBaseOffset: active,
        validBytes: last.position,
        truncatedBytes: last.size,
        segmentsRemoved: 0,
      }),
    ])
    expect(reports[0]?.reason).toMatch(/CRC/)
    expect(warnings.map((w) => w.message)).toContain('Recovery truncated a torn or corrupt segment tail')
    expect(log.endOffset()).toBe(last.base)
    expect(keysOf(readAll(log))).toEqual(records.slice(0, last.base).map((r) => r.key))
    expect(log.append(makeBatch(makeRecords('again', 2))).baseOffset).toBe(last.base)
    await storage.close()
  })

  it('a torn write (half a batch at the end) is cut; appends resume at the last whole batch', async () => {
    const { records, bases, end } = await writeLog(10)
    const half = makeBatch(makeRecords('torn', 5))
    appendFileSync(segmentPath(bases[bases.length - 1]!), half.subarray(0, half.length >> 1))
    const { storage, reports } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toHaveLength(1)
    expect(reports[0]?.truncatedBytes).toBe(half.length >> 1)
    expect(log.endOffset()).toBe(end)
    expect(keysOf(readAll(log))).toEqual(records.map((r) => r.key))
    await storage.close()
    const again = await openStorage(dir)
    again.storage.partitionLog(TP, SMALL)
    expect(again.reports).toEqual([])
    await again.storage.close()
  })

  it('a torn tail in the segment rolled just before the active one cuts it and drops the later segment', async () => {
    const { records, bases } = await writeLog(60)
    const previous = bases[bases.length - 2]!
    const batches = batchesIn(segmentPath(previous))
    const last = batches[batches.length - 1]!
    truncateSync(segmentPath(previous), last.position + 20)
    const { storage, reports } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toEqual([expect.objectContaining({ segmentBaseOffset: previous, validBytes: last.position, segmentsRemoved: 1 })])
    expect(log.endOffset()).toBe(last.base)
    expect(keysOf(readAll(log))).toEqual(records.slice(0, last.base).map((r) => r.key))
    expect(log.segments().map((s) => s.baseOffset)).toEqual(bases.slice(0, -1))
    await storage.close()
  })

  it('missing indexes are rebuilt, byte for byte', async () => {
    const { records, bases } = await writeLog(80)
    const before = bases.map((b) => [readFileSync(segmentPath(b, '.index')), readFileSync(segmentPath(b, '.timeindex'))])
    for (const b of bases) {
      unlinkSync(segmentPath(b, '.index'))
      unlinkSync(segmentPath(b, '.timeindex'))
    }
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(keysOf(readAll(log, 300))).toEqual(records.map((r) => r.key))
    expect(log.read(records.length - 1, 10)).toHaveLength(1)
    await storage.close()
    expect(bases.map((b) => [readFileSync(segmentPath(b, '.index')), readFileSync(segmentPath(b, '.timeindex'))])).toEqual(before)
  })

  it('stale or garbage indexes are detected and rebuilt', async () => {
    const { records, bases } = await writeLog(80)
    const before = bases.map((b) => readFileSync(segmentPath(b, '.index')))
    // Segment 0: entries lost from the end. Segment 1: a last entry pointing into the middle of a batch.
    truncateSync(segmentPath(bases[0]!, '.index'), 16)
    const wrong = Buffer.from(before[1]!)
    wrong.writeInt32BE(wrong.readInt32BE(wrong.length - 4) + 7, wrong.length - 4)
    writeFileSync(segmentPath(bases[1]!, '.index'), wrong)
    // The active segment: an index that claims positions past the data.
    const activeIndex = Buffer.concat([before[before.length - 1]!, Buffer.from([0, 0, 0x7f, 0, 0, 0, 0x7f, 0])])
    writeFileSync(segmentPath(bases[bases.length - 1]!, '.index'), activeIndex)
    const { storage, reports } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toEqual([])
    for (let offset = 0; offset < records.length; offset += 7) {
      expect(readBaseOffset(log.read(offset, 1)[0]!)).toBeLessThanOrEqual(offset)
      expect(readLastOffset(log.read(offset, 1)[0]!)).toBeGreaterThanOrEqual(offset)
    }
    expect(keysOf(readAll(log))).toEqual(records.map((r) => r.key))
    await storage.close()
    expect(bases.map((b) => readFileSync(segmentPath(b, '.index')))).toEqual(before)
  })

  it('an active segment that lost its unsynced end (index ahead of data) recovers to the data', async () => {
    const { records, bases } = await writeLog(40)
    const active = bases[bases.length - 1]!
    const batches = batchesIn(segmentPath(active))
    const keep = batches[1]!
    truncateSync(segmentPath(active), keep.position + keep.size)
    const { storage, reports } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toEqual([])
    expect(log.endOffset()).toBe(keep.last + 1)
    expect(keysOf(readAll(log))).toEqual(records.slice(0, keep.last + 1).map((r) => r.key))
    await storage.close()
  })

  it('leftover compaction and temporary files are removed on open and the data is intact', async () => {
    const { records, bases } = await writeLog(40)
    writeFileSync(`${segmentPath(bases[0]!)}.cleaned`, 'half-written compaction output')
    writeFileSync(`${segmentPath(bases[1]!)}.swap`, 'stale swap; the .log exists')
    writeFileSync(segmentPath(99_999, '.index'), Buffer.alloc(16))
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(keysOf(readAll(log))).toEqual(records.map((r) => r.key))
    const names = readdirSync(partitionDir())
    expect(names.filter((n) => /cleaned|swap/.test(n) || n.startsWith(segmentFileName(99_999, '')))).toEqual([])
    await storage.close()
  })

  it('opening a directory of many partitions loads none until asked (recovery is per partition, on first use)', async () => {
    await writeLog(20)
    const active = await openStorage(dir)
    const half = makeBatch(makeRecords('torn', 3))
    await active.storage.close()
    const { bases } = { bases: readdirSync(partitionDir()).filter((n) => n.endsWith('.log')) }
    appendFileSync(join(partitionDir(), bases[bases.length - 1]!), half.subarray(0, 30))
    const { storage, reports } = await openStorage(dir)
    expect(storage.listPartitions()).toEqual([TP])
    expect(reports).toEqual([])
    storage.partitionLog(TP, SMALL)
    expect(reports).toHaveLength(1)
    await storage.close()
  })
})
