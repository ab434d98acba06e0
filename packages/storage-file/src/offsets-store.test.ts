import { appendFileSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { CommittedOffset } from '@tributary/core'
import { OFFSETS_FILE_NAME } from './offsets-store'
import { openStorage } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

let dir: string
beforeEach(() => {
  dir = makeTempDir('offsets')
})
afterEach(() => removeTempDir(dir))

const committed = (groupId: string, partition: number, offset: number): CommittedOffset => ({
  groupId,
  topic: 'orders',
  partition,
  offset,
  metadata: null,
  commitTimestampMs: 1000 + offset,
})

describe('committed offsets file', () => {
  it('a torn last entry is cut on open; the entries before it survive', async () => {
    const first = await openStorage(dir)
    await first.storage.commitOffsets([committed('g', 0, 5), committed('g', 1, 6)])
    await first.storage.close()
    appendFileSync(join(dir, OFFSETS_FILE_NAME), Buffer.from([0, 0, 0, 50, 1, 2, 3, 4, 123]))
    const second = await openStorage(dir)
    expect(second.storage.loadCommittedOffsets()).toHaveLength(2)
    await second.storage.commitOffsets([committed('g', 0, 7)])
    await second.storage.close()
    const third = await openStorage(dir)
    expect(third.storage.loadCommittedOffsets().find((o) => o.partition === 0)?.offset).toBe(7)
    await third.storage.close()
  })

  it('is rewritten as a snapshot when it outgrows offsetsLogMaxBytes, keeping only the latest offsets', async () => {
    const { storage } = await openStorage(dir, { offsetsLogMaxBytes: 4096 })
    for (let i = 0; i < 500; i++) await storage.commitOffsets([committed(`g${i % 3}`, i % 4, i)])
    expect(statSync(join(dir, OFFSETS_FILE_NAME)).size).toBeLessThan(3 * 4096)
    const latest = storage.loadCommittedOffsets()
    expect(latest).toHaveLength(12)
    await storage.close()
    const reopened = await openStorage(dir)
    expect(new Set(reopened.storage.loadCommittedOffsets().map((o) => JSON.stringify(o)))).toEqual(
      new Set(latest.map((o) => JSON.stringify(o))),
    )
    await reopened.storage.close()
  })

  it('concurrent commits resolve and are all durable after them', async () => {
    const { storage } = await openStorage(dir)
    await Promise.all(Array.from({ length: 50 }, (_, i) => storage.commitOffsets([committed('g', i, i)])))
    const bytes = readFileSync(join(dir, OFFSETS_FILE_NAME))
    expect(bytes.length).toBeGreaterThan(50 * 8)
    await storage.close()
    const reopened = await openStorage(dir)
    expect(reopened.storage.loadCommittedOffsets()).toHaveLength(50)
    await reopened.storage.close()
  })
})
