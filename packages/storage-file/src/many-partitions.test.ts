import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { makeBatch, makeRecords } from '@tributary/core/testing'
import type { PartitionLog } from '@tributary/core'
import { FileSystemSync } from './file-system-sync'
import { keysOf, openStorage, readAll, SMALL } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

// The full 10,000 partitions run in the bench; here 2,000 with a 64-descriptor budget show the LRU at work.
const PARTITIONS = 2_000
const MAX_OPEN_FILES = 64

let dir: string
beforeEach(() => {
  dir = makeTempDir('many')
})
afterEach(() => removeTempDir(dir))

/** openFds counts this process's open descriptors (Linux). */
const openFds = (): number => readdirSync('/proc/self/fd').length

describe('thousands of partitions', () => {
  it(`${PARTITIONS} partitions open, append, sync, reopen and read back within ${MAX_OPEN_FILES} descriptors`, async () => {
    const baseline = openFds()
    let peak = 0
    const { storage } = await openStorage(dir, { maxOpenFiles: MAX_OPEN_FILES })
    const logs: PartitionLog[] = []
    for (let p = 0; p < PARTITIONS; p++) {
      const log = storage.partitionLog({ topic: `t${p % 10}`, partition: p }, SMALL)
      log.append(makeBatch(makeRecords(`a${p}`, 2)))
      logs.push(log)
      if (p % 100 === 0) peak = Math.max(peak, openFds() - baseline)
    }
    for (const [p, log] of logs.entries()) log.append(makeBatch(makeRecords(`b${p}`, 1)))
    const syncing = storage.sync()
    peak = Math.max(peak, openFds() - baseline)
    await syncing
    peak = Math.max(peak, openFds() - baseline)
    await storage.close()
    // The cache's budget plus the transient descriptors of directory fsyncs.
    expect(peak).toBeLessThanOrEqual(MAX_OPEN_FILES + 8)
    expect(openFds()).toBeLessThanOrEqual(baseline)

    const reopened = await openStorage(dir, { maxOpenFiles: MAX_OPEN_FILES })
    expect(reopened.storage.listPartitions()).toHaveLength(PARTITIONS)
    for (let p = 0; p < PARTITIONS; p++) {
      const log = reopened.storage.partitionLog({ topic: `t${p % 10}`, partition: p }, SMALL)
      expect(keysOf(readAll(log))).toEqual([`k-a${p}-0`, `k-a${p}-1`, `k-b${p}-0`])
    }
    expect(openFds() - baseline).toBeLessThanOrEqual(MAX_OPEN_FILES + 8)
    await reopened.storage.close()
  }, 120_000)

  it('a new partition costs its directory and log file only; close makes every one durable and closes every file', async () => {
    const partitions = PARTITIONS / 2
    const baseline = openFds()
    const { storage } = await openStorage(dir, { maxOpenFiles: MAX_OPEN_FILES })
    for (let p = 0; p < partitions; p++)
      storage.partitionLog({ topic: 'one', partition: p }, SMALL).append(makeBatch(makeRecords(`m${p}`, 1)))
    // Only the log file exists; index files come with their first entry (a missing index loads as empty).
    expect(readdirSync(join(dir, 'one-7'))).toEqual(['00000000000000000000.log'])
    // No sync(): close must flush every partition itself (one timed flush each: its log file and its new directory).
    expect(storage.stats().fsyncLatencySeconds?.count).toBe(0)
    await storage.close()
    expect(storage.stats().fsyncLatencySeconds?.count).toBe(partitions)
    // So many partitions are flushed by one syncfs of the file system, not an fdatasync each.
    expect(storage.stats().fileSystemSyncs).toBe(1)
    expect(openFds()).toBeLessThanOrEqual(baseline)
    const reopened = await openStorage(dir, { maxOpenFiles: MAX_OPEN_FILES })
    expect(reopened.storage.listPartitions()).toHaveLength(partitions)
    for (let p = 0; p < partitions; p += 7) {
      const log = reopened.storage.partitionLog({ topic: 'one', partition: p }, SMALL)
      expect(keysOf(readAll(log))).toEqual([`k-m${p}-0`])
      log.append(makeBatch(makeRecords(`n${p}`, 1)))
      expect(keysOf(readAll(log))).toEqual([`k-m${p}-0`, `k-n${p}-0`])
    }
    // Loading a partition creates no file: its missing index files load as empty, unopened.
    expect(readdirSync(join(dir, 'one-7'))).toEqual(['00000000000000000000.log'])
    await reopened.storage.close()
    // 143 partitions written: again one syncfs.
    expect(reopened.storage.stats().fileSystemSyncs).toBe(1)
    expect(openFds()).toBeLessThanOrEqual(baseline)
  }, 120_000)

  it('below fileSystemSyncMinPartitions (or with it 0) every partition is flushed file by file', async () => {
    for (const options of [{ fileSystemSyncMinPartitions: 0 }, { fileSystemSyncMinPartitions: 51 }]) {
      const sub = join(dir, String(options.fileSystemSyncMinPartitions))
      const { storage } = await openStorage(sub, options)
      for (let p = 0; p < 50; p++) storage.partitionLog({ topic: 'few', partition: p }, SMALL).append(makeBatch(makeRecords(`f${p}`, 1)))
      await storage.sync()
      expect(storage.stats().fileSystemSyncs).toBe(0)
      expect(storage.stats().fsyncLatencySeconds?.count).toBe(50)
      await storage.close()
      const reopened = await openStorage(sub)
      expect(keysOf(readAll(reopened.storage.partitionLog({ topic: 'few', partition: 49 }, SMALL)))).toEqual(['k-f49-0'])
      await reopened.storage.close()
    }
  }, 60_000)

  it('when the syncfs fails, every partition of the flush is flushed file by file instead, and nothing is lost', async () => {
    const { storage } = await openStorage(dir)
    let runs = 0
    // What a missing `sync` program, another OS or an I/O error looks like to the storage.
    ;(storage as unknown as { fileSystemSync: FileSystemSync }).fileSystemSync = new FileSystemSync(async () => {
      runs++
      return false
    })
    for (let p = 0; p < 100; p++) storage.partitionLog({ topic: 'fb', partition: p }, SMALL).append(makeBatch(makeRecords(`x${p}`, 1)))
    await storage.close()
    expect(runs).toBe(1)
    expect(storage.stats().fileSystemSyncs).toBe(0)
    // One timed flush per partition: each fell back to its own fdatasync and directory fsync.
    expect(storage.stats().fsyncLatencySeconds?.count).toBe(100)
    const reopened = await openStorage(dir)
    for (let p = 0; p < 100; p += 9)
      expect(keysOf(readAll(reopened.storage.partitionLog({ topic: 'fb', partition: p }, SMALL)))).toEqual([`k-x${p}-0`])
    await reopened.storage.close()
  }, 60_000)

  it('rejects a bad fileSystemSyncMinPartitions with INVALID_CONFIG naming the option', async () => {
    for (const bad of [-1, 1.5, '64'])
      await expect(openStorage(dir, { fileSystemSyncMinPartitions: bad as number })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('options.fileSystemSyncMinPartitions'),
      })
  })
})
