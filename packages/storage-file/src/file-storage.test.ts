import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeRecordBatch, isTributaryError, TributaryError } from '@tributary/core'
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

describe('FileStorage reads that go on where the last one stopped', () => {
  const BIG = { ...SMALL, segmentBytes: 1024 * 1024 }
  const firstOf = (batches: Buffer[]): { offset: number; key: string | null } => {
    const [record] = decodeRecordBatch(batches[0]!)
    return { offset: record!.offset, key: record!.key?.toString() ?? null }
  }

  it('a read where the last one stopped, after a truncation and appends of other sizes there, returns the new batches', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, BIG)
    appendN(log, 10, 2, 'a')
    const bytesOfSix = log
      .read(0, 1 << 20)
      .slice(0, 6)
      .reduce((n, b) => n + b.length, 0)
    expect(log.read(0, bytesOfSix)).toHaveLength(6) // stops before offset 12
    log.truncate(6)
    appendN(log, 5, 3, 'longer-b')
    expect(firstOf(log.read(12, 1 << 20))).toEqual({ offset: 12, key: 'k-longer-b2-0' })
    await storage.close()
  })

  it('a read where the last one stopped, after a compaction moved the batches, returns the kept records', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    appendN(log, 200, 2, 'c')
    expect(log.segments().length).toBeGreaterThan(3)
    const second = log.segments()[1]!.baseOffset
    const before = log.read(second, 200)
    const next = Number(before.at(-1)!.readBigInt64BE(0)) + before.at(-1)!.readInt32BE(23) + 1
    expect(log.compact((r) => r.offset % 2 === 1 || r.offset < second).recordsRemoved).toBeGreaterThan(0)
    const kept = firstOf(log.read(next, 1 << 20))
    expect(kept.offset).toBe(next % 2 === 1 ? next : next + 1)
    expect(kept.key).toMatch(/^k-c\d+-1$/)
    await storage.close()
  })

  it('reads from the start, in steps of any size, see the same records as one fresh read each', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog(TP, SMALL)
    appendN(log, 40, 3, 'd')
    const expected = keysOf(readAll(log, 1 << 20))
    for (const step of [1, 90, 300, 5000]) expect(keysOf(readAll(log, step))).toEqual(expected)
    await storage.close()
  })
})
