import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeBatch, makeRecords } from '@tributary/core/testing'
import { LOG_START_FILE_NAME } from './log-start'
import { segmentFileName } from './segment'
import { appendN, openStorage, SMALL, TP } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

/**
 * The log start offset checkpoint on disk (`<partition>/log-start-offset`): when deleteBefore
 * writes it, and what recovery makes of it after a crash between its steps or a lost tail.
 */

let dir: string
beforeEach(() => {
  dir = makeTempDir('log-start')
})
afterEach(() => removeTempDir(dir))

const partitionDir = (): string => join(dir, 'events-0')
const checkpoint = (): string => join(partitionDir(), LOG_START_FILE_NAME)
const segmentBases = (): number[] =>
  readdirSync(partitionDir())
    .filter((n) => n.endsWith('.log'))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b)

/** writeLog appends 60 batches of 3 records over small segments, syncs and closes; returns the segment bases. */
async function writeLog(): Promise<number[]> {
  const { storage } = await openStorage(dir)
  const log = storage.partitionLog(TP, SMALL)
  appendN(log, 60, 3)
  const bases = log.segments().map((s) => s.baseOffset)
  await storage.close()
  return bases
}

describe('the log start checkpoint', () => {
  it('is written (v1 <offset>) when the start lies inside a segment, and not at a segment boundary (retention)', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    appendN(log, 60, 3)
    const boundary = log.segments()[2]!.baseOffset
    log.deleteBefore(boundary)
    expect(existsSync(checkpoint())).toBe(false)
    expect(segmentBases()[0]).toBe(boundary)
    log.deleteBefore(boundary + 4)
    expect(readFileSync(checkpoint(), 'latin1')).toBe(`v1 ${boundary + 4}\n`)
    expect(readdirSync(partitionDir()).filter((n) => n.endsWith('.tmp'))).toEqual([])
    await storage.close()
  })

  it('a crash after the checkpoint but before the segments went: recovery deletes the segments below the start', async () => {
    const bases = await writeLog()
    expect(bases.length).toBeGreaterThan(2)
    const start = bases[1]! + 2
    writeFileSync(checkpoint(), `v1 ${start}\n`)
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    expect(log.startOffset()).toBe(start)
    expect(segmentBases()).toEqual(bases.slice(1))
    expect(Number(log.read(start, 1)[0]!.readBigInt64BE(0))).toBeLessThanOrEqual(start)
    await storage.close()
  })

  it('a start past the recovered end (deleted batches that were never synced): the log restarts empty at the start', async () => {
    await writeLog()
    writeFileSync(checkpoint(), 'v1 500\n')
    const opened = await openStorage(dir)
    const log = opened.storage.partitionLog(TP, SMALL)
    expect([log.startOffset(), log.endOffset()]).toEqual([500, 500])
    expect(segmentBases()).toEqual([500])
    expect(opened.warnings.map((w) => w.message)).toContain(
      'Recovery found the log end below the log start; the log restarts empty at its start',
    )
    expect(log.append(makeBatch(makeRecords('n', 2))).baseOffset).toBe(500)
    await opened.storage.close()
    const again = await openStorage(dir)
    const reopened = again.storage.partitionLog(TP, SMALL)
    expect([reopened.startOffset(), reopened.endOffset()]).toEqual([500, 502])
    await again.storage.close()
  })

  it('a checkpoint that is not one fails the partition with KAFKA_STORAGE_ERROR', async () => {
    await writeLog()
    writeFileSync(checkpoint(), 'garbage')
    const { storage } = await openStorage(dir)
    expect(() => storage.partitionLog(TP, SMALL)).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }))
    await storage.close()
  })

  it('resetTo deletes it, so a reset below a moved start holds across a reopen; so does a reset a crash interrupted', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    appendN(log, 10, 3)
    log.deleteBefore(7)
    expect(existsSync(checkpoint())).toBe(true)
    log.resetTo(2)
    expect(existsSync(checkpoint())).toBe(false)
    log.deleteBefore(2)
    appendN(log, 2, 2)
    log.deleteBefore(3)
    await storage.close()
    // A reset marker left by a crash: recovery finishes the reset, the checkpoint goes with everything else.
    writeFileSync(join(partitionDir(), segmentFileName(1, '.reset')), '')
    const again = await openStorage(dir)
    const reset = again.storage.partitionLog(TP, SMALL)
    expect([reset.startOffset(), reset.endOffset()]).toEqual([1, 1])
    expect(existsSync(checkpoint())).toBe(false)
    await again.storage.close()
  })
})
