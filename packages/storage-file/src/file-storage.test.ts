import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isTributaryError, TributaryError } from '@tributary/core'
import { readLastOffset } from '@tributary/core/internal'
import { makeBatch, makeRecords } from '@tributary/core/testing'
import { FileStorage } from './file-storage'
import { segmentFileName } from './segment'
import { appendN, keysOf, openStorage, readAll, SMALL, T0, TP } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

let dir: string
beforeEach(() => {
  dir = makeTempDir('layout')
})
afterEach(() => removeTempDir(dir))

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return isTributaryError(err) ? err.code : String(err)
  }
  return undefined
}

describe('FileStorage layout', () => {
  it('stores a partition as <topic>-<partition>/<20-digit base>.log with .index and .timeindex', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    appendN(log, 120, 3)
    const bases = log.segments().map((s) => s.baseOffset)
    expect(bases.length).toBeGreaterThan(2)
    await storage.close()
    const files = readdirSync(join(dir, 'events-0')).sort()
    const expected = bases.flatMap((b) => ['.index', '.log', '.timeindex'].map((suffix) => segmentFileName(b, suffix))).sort()
    expect(files).toEqual(expected)
    expect(segmentFileName(368769, '.log')).toBe('00000000000000368769.log')
  })

  it('writes Kafka-style sparse index entries: last offset of a batch → its start position, after > indexIntervalBytes', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, { ...SMALL, segmentBytes: 1024 * 1024 })
    appendN(log, 50, 4)
    await storage.close()
    const logBytes = readFileSync(join(dir, 'events-0', segmentFileName(0, '.log')))
    const index = readFileSync(join(dir, 'events-0', segmentFileName(0, '.index')))
    expect(index.length % 8).toBe(0)
    expect(index.length / 8).toBeGreaterThan(5)
    let previousPosition = -1
    for (let at = 0; at < index.length; at += 8) {
      const relative = index.readInt32BE(at)
      const position = index.readInt32BE(at + 4)
      expect(position).toBeGreaterThan(previousPosition)
      expect(readLastOffset(logBytes, position)).toBe(relative)
      if (previousPosition >= 0) expect(position - previousPosition).toBeGreaterThan(SMALL.indexIntervalBytes)
      previousPosition = position
    }
    const timeIndex = readFileSync(join(dir, 'events-0', segmentFileName(0, '.timeindex')))
    expect(timeIndex.length % 12).toBe(0)
    const stamps = Array.from({ length: timeIndex.length / 12 }, (_, i) => Number(timeIndex.readBigInt64BE(i * 12)))
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b))
    expect(stamps[stamps.length - 1]).toBeLessThanOrEqual(T0 + 199)
    const reopened = await openStorage(dir)
    expect(reopened.storage.partitionLog(TP, SMALL).segments()[0]?.maxTimestamp).toBe(T0 + 199)
    await reopened.storage.close()
  })

  it('rolls by segment.ms on the injected clock, not the wall clock', async () => {
    const { storage, clock } = await openStorage(dir)
    const log = storage.partitionLog(TP, { ...SMALL, segmentBytes: 1024 * 1024, segmentMs: 60_000 })
    appendN(log, 3, 2)
    clock.advance(59_000)
    appendN(log, 1, 2, 'b')
    expect(log.segments()).toHaveLength(1)
    clock.advance(2_000)
    appendN(log, 1, 2, 'c')
    expect(log.segments().map((s) => [s.baseOffset, s.active])).toEqual([
      [0, false],
      [8, true],
    ])
    expect(log.segments()[1]?.createdAtMs).toBe(T0 + 61_000)
    await storage.close()
  })

  it('rejects illegal topic names before building any path', async () => {
    const { storage } = await openStorage(dir)
    for (const topic of ['..', '.', '../escape', 'a/b', 'a\\b', '', 'x'.repeat(250), 'nul\u0000']) {
      expect(codeOf(() => storage.partitionLog({ topic, partition: 0 }, SMALL))).toBe('INVALID_TOPIC_EXCEPTION')
    }
    expect(codeOf(() => storage.partitionLog({ topic: 'ok', partition: -1 }, SMALL))).toBe('INVALID_ARGUMENT')
    expect(readdirSync(dir).filter((n) => !n.startsWith('.') && n !== 'offsets.log')).toEqual([])
    expect(existsSync(join(dir, '..', 'escape-0'))).toBe(false)
    await storage.close()
  })

  it('rejects bad options with INVALID_CONFIG naming the option', () => {
    const bad = (options: object): unknown => {
      try {
        return new FileStorage(options as never)
      } catch (err) {
        return err
      }
    }
    expect(bad({ dir: '' })).toMatchObject({ code: 'INVALID_CONFIG', details: { path: 'options.dir' } })
    expect(bad({ dir, maxOpenFiles: 2 })).toMatchObject({ code: 'INVALID_CONFIG', details: { path: 'options.maxOpenFiles' } })
    expect(bad({ dir, maxOpenFile: 100 })).toMatchObject({ code: 'INVALID_CONFIG', details: { path: 'options.maxOpenFile' } })
  })

  it('rejects a bad log config with INVALID_CONFIG and creates nothing', async () => {
    const { storage } = await openStorage(dir)
    expect(codeOf(() => storage.partitionLog(TP, { ...SMALL, segmentBytes: 0 }))).toBe('INVALID_CONFIG')
    expect(existsSync(join(dir, 'events-0'))).toBe(false)
    await storage.close()
  })

  it('wraps fs failures as KAFKA_STORAGE_ERROR with the cause', async () => {
    const storage = new FileStorage({ dir: join(dir, 'file-not-dir') })
    require('node:fs').writeFileSync(join(dir, 'file-not-dir'), 'x')
    const err = await storage.open().then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(TributaryError)
    expect((err as TributaryError).code).toBe('KAFKA_STORAGE_ERROR')
    expect((err as TributaryError).cause).toBeDefined()
  })

  it('reads big ranges as zero-copy views of one buffer per segment', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, { ...SMALL, segmentBytes: 1024 * 1024 })
    appendN(log, 20, 5)
    const batches = log.read(0, 1024 * 1024)
    expect(batches).toHaveLength(20)
    expect(new Set(batches.map((b) => b.buffer)).size).toBe(1)
    await storage.close()
  })

  it('reading old segments does not disturb appends', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    const written = appendN(log, 30, 3)
    for (let i = 0; i < 30; i++) {
      log.read(i, 200)
      written.push(...makeRecords(`late${i}`, 1))
      log.append(makeBatch(makeRecords(`late${i}`, 1)))
    }
    expect(keysOf(readAll(log))).toEqual(written.map((r) => r.key))
    await storage.close()
  })

  it('after deletePartition, the old log object says UNKNOWN_TOPIC_OR_PARTITION and the directory is gone', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    appendN(log, 3, 3)
    await storage.deletePartition(TP)
    expect(codeOf(() => log.endOffset())).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(readdirSync(dir).filter((n) => n.startsWith('events'))).toEqual([])
    const recreated = storage.partitionLog(TP, SMALL)
    expect(recreated.endOffset()).toBe(0)
    expect(codeOf(() => log.append(makeBatch(makeRecords('stale', 1))))).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    await storage.close()
  })
})
