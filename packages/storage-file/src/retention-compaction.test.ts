import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { resolveTopicConfig, type PartitionLogConfig } from '@tributary/core'
import { applyRetention, compactLog } from '@tributary/core/internal'
import { makeBatch, type TestRecord } from '@tributary/core/testing'
import { appendN, keysOf, openStorage, readAll, TP } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

let dir: string
beforeEach(() => {
  dir = makeTempDir('retention')
})
afterEach(() => removeTempDir(dir))

const HOUR = 3_600_000
const LOG: PartitionLogConfig = { segmentBytes: 2048, segmentMs: 24 * HOUR, indexIntervalBytes: 256 }
const logFiles = (): string[] => readdirSync(join(dir, 'events-0')).filter((n) => n.endsWith('.log'))

describe('retention on an injected clock', () => {
  it('deletes whole segments whose newest record is older than retention.ms, files included, and the start survives a reopen', async () => {
    const { storage, clock } = await openStorage(dir)
    const config = resolveTopicConfig({ 'retention.ms': String(2 * HOUR) })
    const log = storage.partitionLog(TP, LOG)
    const old = appendN(log, 30, 3, 'old', clock.now())
    clock.advance(3 * HOUR)
    const fresh = appendN(log, 30, 3, 'new', clock.now())
    const segmentsBefore = log.segments().length
    const result = applyRetention(log, config, clock.now())
    expect(result.segmentsDeleted).toBeGreaterThan(0)
    expect(result.startOffset).toBeLessThanOrEqual(old.length)
    expect(log.segments().length).toBe(segmentsBefore - result.segmentsDeleted)
    expect(logFiles()).toHaveLength(log.segments().length)
    const kept = readAll(log)
    expect(keysOf(kept).slice(-fresh.length)).toEqual(fresh.map((r) => r.key))
    expect(kept.every((r) => r.offset >= result.startOffset)).toBe(true)
    // Nothing is old enough yet for a second pass.
    expect(applyRetention(log, config, clock.now()).segmentsDeleted).toBe(0)
    await storage.close()
    const reopened = await openStorage(dir, {}, clock)
    expect(reopened.storage.partitionLog(TP, LOG).startOffset()).toBe(result.startOffset)
    await reopened.storage.close()
  })

  it('rolls and deletes an active segment whose data all expired; offsets continue', async () => {
    const { storage, clock } = await openStorage(dir)
    const log = storage.partitionLog(TP, { ...LOG, segmentBytes: 1024 * 1024 })
    appendN(log, 5, 3, 'a', clock.now())
    clock.advance(10 * HOUR)
    const result = applyRetention(log, resolveTopicConfig({ 'retention.ms': String(HOUR) }), clock.now())
    expect(result).toMatchObject({ segmentsDeleted: 1, startOffset: 15 })
    expect(log.append(makeBatch([{ key: 'k', value: 'v' }])).baseOffset).toBe(15)
    await storage.close()
  })

  it('retention.bytes keeps the newest segments that fit', async () => {
    const { storage, clock } = await openStorage(dir)
    const log = storage.partitionLog(TP, LOG)
    appendN(log, 80, 3, 'r', clock.now())
    const limit = 3 * LOG.segmentBytes
    applyRetention(log, resolveTopicConfig({ 'retention.bytes': String(limit), 'retention.ms': '-1' }), clock.now())
    expect(log.sizeBytes()).toBeGreaterThanOrEqual(limit)
    expect(log.sizeBytes() - (log.segments()[0]?.sizeBytes ?? 0)).toBeLessThan(limit)
    await storage.close()
  })
})

describe('compaction on an injected clock', () => {
  /** Writes 10 keys × 12 versions, one tombstone for key-3, then rolls so everything is closed. */
  function writeKeyed(
    log: ReturnType<Awaited<ReturnType<typeof openStorage>>['storage']['partitionLog']>,
    now: number,
  ): Map<string, string | null> {
    const latest = new Map<string, string | null>()
    for (let version = 0; version < 12; version++) {
      const records: TestRecord[] = Array.from({ length: 10 }, (_, k) => ({ key: `key-${k}`, value: `v${version}-${k}`, timestamp: now }))
      if (version === 11) records[3] = { key: 'key-3', value: null, timestamp: now }
      for (const r of records) latest.set(String(r.key), r.value === null || r.value === undefined ? null : String(r.value))
      log.append(makeBatch(records))
    }
    log.roll()
    return latest
  }

  it('keeps the latest value per key at its offset, keeps a young tombstone, drops it after delete.retention.ms', async () => {
    const { storage, clock } = await openStorage(dir)
    const config = resolveTopicConfig({ 'cleanup.policy': 'compact', 'delete.retention.ms': String(HOUR) })
    const log = storage.partitionLog(TP, LOG)
    const latest = writeKeyed(log, clock.now())
    const end = log.endOffset()
    const first = compactLog(log, config, clock.now())
    expect(first?.recordsRemoved).toBe(110)
    const afterFirst = readAll(log)
    expect(new Map(afterFirst.map((r) => [String(r.key), r.value === null ? null : String(r.value)]))).toEqual(latest)
    expect(afterFirst.map((r) => r.offset)).toEqual([...afterFirst.map((r) => r.offset)].sort((a, b) => a - b))
    expect(log.endOffset()).toBe(end)
    clock.advance(2 * HOUR)
    const second = compactLog(log, config, clock.now())
    expect(second?.recordsRemoved).toBe(1)
    expect(keysOf(readAll(log))).not.toContain('key-3')
    expect(readdirSync(join(dir, 'events-0')).filter((n) => n.includes('.cleaned'))).toEqual([])
    await storage.close()
    const reopened = await openStorage(dir, {}, clock)
    const again = reopened.storage.partitionLog(TP, LOG)
    expect(readAll(again).map((r) => [r.offset, String(r.key), String(r.value)])).toEqual(
      readAll(log === again ? again : again).map((r) => [r.offset, String(r.key), String(r.value)]),
    )
    expect(keysOf(readAll(again)).sort()).toEqual(['key-0', 'key-1', 'key-2', 'key-4', 'key-5', 'key-6', 'key-7', 'key-8', 'key-9'])
    expect(again.append(makeBatch([{ key: 'key-3', value: 'back' }])).baseOffset).toBe(end)
    await reopened.storage.close()
  })

  it('leaves segments younger than min.compaction.lag.ms alone until the clock passes it', async () => {
    const { storage, clock } = await openStorage(dir)
    const config = resolveTopicConfig({ 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(HOUR) })
    const log = storage.partitionLog(TP, LOG)
    writeKeyed(log, clock.now())
    expect(compactLog(log, config, clock.now())).toBeNull()
    clock.advance(HOUR)
    expect(compactLog(log, config, clock.now())?.segmentsRewritten).toBeGreaterThan(0)
    await storage.close()
  })
})
