import { appendFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PartitionLog } from '@tributary/core'
import { makeBatch, makeRecords } from '@tributary/core/testing'
import { segmentFileName } from './segment'
import { appendN, keysOf, openStorage, readAll, SMALL, TP } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

/**
 * Recovery of what `resetTo` and `appendCopy` leave on disk: a reset that a crash interrupted
 * (its `.reset` marker is still there) and segments whose batches skip offsets.
 */

let dir: string
beforeEach(() => {
  dir = makeTempDir('reset-copy')
})
afterEach(() => removeTempDir(dir))

const partitionDir = (): string => join(dir, 'events-0')
const path = (base: number, suffix = '.log'): string => join(partitionDir(), segmentFileName(base, suffix))

/** copyAt encodes `count` records as a batch carrying base offset `base`. */
const copyAt = (base: number, count: number): Buffer => makeBatch(makeRecords(`c${base}`, count), { baseOffset: base })

/** offsetsOf lists the offsets a log holds. */
const offsetsOf = (log: PartitionLog): number[] => readAll(log).map((r) => r.offset)

/** writeSegments appends 60 batches of 3 records over small segments and closes; returns the segment bases. */
async function writeSegments(): Promise<number[]> {
  const { storage } = await openStorage(dir)
  const log = storage.partitionLog(TP, SMALL)
  appendN(log, 60, 3)
  const bases = log.segments().map((s) => s.baseOffset)
  await storage.close()
  return bases
}

describe('a reset interrupted by a crash', () => {
  it('is finished on open when only its marker was written: every old segment goes, the log is empty at the offset', async () => {
    const bases = await writeSegments()
    expect(bases.length).toBeGreaterThan(2)
    writeFileSync(path(500, '.reset'), '')
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect([log.startOffset(), log.endOffset(), log.sizeBytes(), readAll(log)]).toEqual([500, 500, 0, []])
    expect(log.append(makeBatch(makeRecords('after', 2))).baseOffset).toBe(500)
    await storage.close()
    expect(readdirSync(partitionDir()).filter((n) => !n.startsWith(segmentFileName(500, '')))).toEqual([])
    expect(readdirSync(partitionDir())).not.toContain(segmentFileName(500, '.reset'))
  })

  it('is finished the same way when it stopped half-way through deleting segments', async () => {
    const bases = await writeSegments()
    writeFileSync(path(7, '.reset'), '')
    for (const base of bases.slice(0, 2)) for (const suffix of ['.log', '.index', '.timeindex']) unlinkSync(path(base, suffix))
    writeFileSync(path(7), '')
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect([log.startOffset(), log.endOffset(), readAll(log)]).toEqual([7, 7, []])
    expect(log.segments().map((s) => s.baseOffset)).toEqual([7])
    await storage.close()
  })

  it('a finished reset leaves no marker, so a later open keeps what was appended after it', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    appendN(log, 10, 3)
    log.resetTo(300)
    expect(readdirSync(partitionDir()).filter((n) => n.endsWith('.reset'))).toEqual([])
    log.append(makeBatch(makeRecords('kept', 3)))
    await storage.close()
    const again = await openStorage(dir)
    expect(offsetsOf(again.storage.partitionLog(TP, SMALL))).toEqual([300, 301, 302])
    await again.storage.close()
  })
})

describe('recovery of copied batches', () => {
  /** writeCopies appendCopies 40 batches of 4 records at offsets 0, 10, 20, … and closes. */
  async function writeCopies(): Promise<{ offsets: number[]; bases: number[] }> {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    for (let i = 0; i < 40; i++) log.appendCopy(copyAt(i * 10, 4))
    const offsets = offsetsOf(log)
    const bases = log.segments().map((s) => s.baseOffset)
    await storage.close()
    return { offsets, bases }
  }

  it('accepts a batch whose base lies above the previous batch end, also when it rebuilds every index', async () => {
    const { offsets, bases } = await writeCopies()
    for (const base of bases) for (const suffix of ['.index', '.timeindex']) unlinkSync(path(base, suffix))
    const { storage, reports } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toEqual([])
    expect([log.endOffset(), offsetsOf(log)]).toEqual([394, offsets])
    expect(log.offsetForTimestamp(0)).toBe(0)
    await storage.close()
  })

  it('cuts a batch that goes back (its base overlaps the batch before it) as damage', async () => {
    const { offsets, bases } = await writeCopies()
    appendFileSync(path(bases[bases.length - 1]!), copyAt(392, 3))
    const { storage, reports } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(reports).toEqual([expect.objectContaining({ segmentBaseOffset: bases[bases.length - 1], segmentsRemoved: 0 })])
    expect(reports[0]?.reason).toMatch(/below the expected 394/)
    expect([log.endOffset(), offsetsOf(log)]).toEqual([394, offsets])
    await storage.close()
  })

  it('a truncation inside a gap keeps its end in an empty segment there', async () => {
    await writeCopies()
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    log.truncate(205)
    expect(log.endOffset()).toBe(210)
    expect(log.segments().at(-1)).toMatchObject({ baseOffset: 210, endOffset: 210, sizeBytes: 0, active: true })
    await storage.close()
    const again = await openStorage(dir)
    const reopened = again.storage.partitionLog(TP, SMALL)
    expect(reopened.endOffset()).toBe(210)
    expect(keysOf(readAll(reopened)).at(-1)).toBe('k-c200-3')
    await again.storage.close()
  })
})
