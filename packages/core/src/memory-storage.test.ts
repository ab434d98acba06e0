import { MemoryStorage, MemoryVolume } from './memory-storage'
import type { PartitionLogConfig } from './storage'
import { ManualClock, makeBatch, makeRecords, runStorageConformance } from './testing'
import { decodeRecordBatch } from './record-batch'
import { TributaryError } from './errors'

runStorageConformance('memory', {
  async create({ clock }) {
    let storage = new MemoryStorage({ clock })
    await storage.open()
    return {
      storage,
      async reopen() {
        storage = storage.reopen()
        await storage.open()
        return storage
      },
      async crash() {
        // What a killed process leaves: only what was synced.
        storage = storage.reopen({ crash: true })
        await storage.open()
        return storage
      },
      async cleanup() {
        await storage.close()
      },
    }
  },
})

const CONFIG: PartitionLogConfig = { segmentBytes: 1024 * 1024, segmentMs: 60_000, indexIntervalBytes: 4096 }
const TP = { topic: 't', partition: 0 }

async function openStorage(): Promise<MemoryStorage> {
  const storage = new MemoryStorage({ clock: new ManualClock(1_000) })
  await storage.open()
  return storage
}

/** reopened restarts `storage` (cleanly or by a crash) and opens the new instance. */
async function reopened(storage: MemoryStorage, crash = false): Promise<MemoryStorage> {
  const next = storage.reopen({ crash })
  await next.open()
  return next
}

describe('MemoryStorage (memory-specific)', () => {
  it("copies a batch on append: changing the caller's buffer afterwards changes nothing stored", async () => {
    const storage = await openStorage()
    const log = storage.partitionLog(TP, CONFIG)
    const batch = makeBatch(makeRecords('a', 3))
    log.append(batch)
    batch.fill(0)
    expect(decodeRecordBatch(log.read(0, 1024)[0] as Buffer).map((r) => String(r.key))).toEqual(['k-a-0', 'k-a-1', 'k-a-2'])
  })

  it('returns copies from read: changing a returned buffer does not damage the log', async () => {
    const storage = await openStorage()
    const log = storage.partitionLog(TP, CONFIG)
    log.append(makeBatch(makeRecords('a', 3)))
    ;(log.read(0, 1024)[0] as Buffer).fill(0)
    expect(decodeRecordBatch(log.read(0, 1024)[0] as Buffer)).toHaveLength(3)
  })

  it("sets the assigned base offset in the caller's buffer too, as the contract says", async () => {
    const storage = await openStorage()
    const log = storage.partitionLog(TP, CONFIG)
    log.append(makeBatch(makeRecords('a', 3)))
    const second = makeBatch(makeRecords('b', 1))
    log.append(second)
    expect(second.readBigInt64BE(0)).toBe(3n)
  })

  it('a crash loses appends that no sync covered and keeps synced ones', async () => {
    const storage = await openStorage()
    const log = storage.partitionLog(TP, CONFIG)
    log.append(makeBatch(makeRecords('a', 3)))
    await log.sync()
    log.append(makeBatch(makeRecords('b', 2)))
    const restarted = await reopened(storage, true)
    const after = restarted.partitionLog(TP, CONFIG)
    expect(after.endOffset()).toBe(3)
    expect(after.append(makeBatch(makeRecords('c', 1))).baseOffset).toBe(3)
  })

  it('storage.sync covers every partition; a clean close syncs everything', async () => {
    const storage = await openStorage()
    storage.partitionLog(TP, CONFIG).append(makeBatch(makeRecords('a', 3)))
    storage.partitionLog({ topic: 't', partition: 1 }, CONFIG).append(makeBatch(makeRecords('b', 2)))
    await storage.sync()
    storage.partitionLog(TP, CONFIG).append(makeBatch(makeRecords('c', 1)))
    const crashed = await reopened(storage, true)
    expect([crashed.partitionLog(TP, CONFIG).endOffset(), crashed.partitionLog({ topic: 't', partition: 1 }, CONFIG).endOffset()]).toEqual([
      3, 2,
    ])
    crashed.partitionLog(TP, CONFIG).append(makeBatch(makeRecords('d', 4)))
    const closed = await reopened(crashed)
    expect(closed.partitionLog(TP, CONFIG).endOffset()).toBe(7)
  })

  it('a truncation below the synced end followed by unsynced appends crashes back to the truncation point', async () => {
    const storage = await openStorage()
    const log = storage.partitionLog(TP, CONFIG)
    log.append(makeBatch(makeRecords('a', 5)))
    log.append(makeBatch(makeRecords('b', 5)))
    await log.sync()
    log.truncate(5)
    log.append(makeBatch(makeRecords('c', 5)))
    const after = (await reopened(storage, true)).partitionLog(TP, CONFIG)
    expect(after.endOffset()).toBe(5)
  })

  it('a second open storage over the same volume is STORAGE_LOCKED until the first closes', async () => {
    const volume = new MemoryVolume()
    const first = new MemoryStorage({ volume })
    await first.open()
    const second = new MemoryStorage({ volume })
    await expect(second.open()).rejects.toMatchObject({ code: 'STORAGE_LOCKED' })
    await first.close()
    await second.open()
    expect(second.loadMetadata()).toBeNull()
  })

  it('calls before open() and open() after close() throw CLIENT_CLOSED', async () => {
    const storage = new MemoryStorage()
    expect(() => storage.listPartitions()).toThrow(TributaryError)
    await storage.open()
    await storage.close()
    await expect(storage.open()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
  })

  it('a log handle of a deleted partition throws UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const storage = await openStorage()
    const log = storage.partitionLog(TP, CONFIG)
    await storage.deletePartition(TP)
    expect(() => log.endOffset()).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }))
  })

  it('rejects bad options, configs, partitions and committed offsets with clear codes, changing nothing', async () => {
    expect(() => new MemoryStorage({ clock: undefined, nope: 1 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    const storage = await openStorage()
    expect(() => storage.partitionLog(TP, { ...CONFIG, segmentBytes: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => storage.partitionLog({ topic: '', partition: 0 }, CONFIG)).toThrow(
      expect.objectContaining({ code: 'INVALID_TOPIC_EXCEPTION' }),
    )
    expect(() => storage.partitionLog({ topic: 't', partition: -1 }, CONFIG)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    const good = { groupId: 'g', topic: 't', partition: 0, offset: 1, metadata: null, commitTimestampMs: 0 }
    await expect(storage.commitOffsets([good, { ...good, partition: 1, offset: 1.5 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(storage.loadCommittedOffsets()).toEqual([])
    await expect(storage.saveMetadata({ version: 2 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(storage.listPartitions()).toEqual([])
  })
})
