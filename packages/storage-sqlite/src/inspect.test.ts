import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { makeBatch, makeRecords } from '@tributary/core/testing'
import { inspectDatabase, truncateDatabaseTails } from './inspect'
import { SqliteStorage } from './sqlite-storage'

/* inspect and verify of a SQLite database: contents per partition, a damaged blob found and cut. */

const CONFIG = { segmentBytes: 1 << 20, segmentMs: 3_600_000, indexIntervalBytes: 4096 }
let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-inspect-'))
  path = join(dir, 'tributary.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function write(): Promise<void> {
  const storage = new SqliteStorage({ path })
  await storage.open()
  const log = storage.partitionLog({ topic: 'orders', partition: 0 }, CONFIG)
  for (let i = 0; i < 4; i++) log.append(makeBatch(makeRecords(`b${i}`, 3, 1_000 + i)))
  await storage.close()
}

test('inspect reports each partition; verify finds a damaged batch blob, and the repair cuts from it', async () => {
  await write()
  const sound = inspectDatabase(path, { verify: true })
  expect(sound.damage).toEqual([])
  expect(sound.partitions).toEqual([
    expect.objectContaining({ topic: 'orders', partition: 0, startOffset: 0, endOffset: 12, batches: 4, records: 12 }),
  ])
  const db = new Database(path)
  const row = db.prepare('SELECT data FROM batches WHERE base_offset = 6').get() as { data: Buffer }
  row.data[row.data.length - 1] = (row.data[row.data.length - 1] as number) ^ 0xff
  db.prepare('UPDATE batches SET data = ? WHERE base_offset = 6').run(row.data)
  db.close()
  const report = inspectDatabase(path, { verify: true })
  expect(report.damage).toEqual([
    expect.objectContaining({ topic: 'orders', partition: 0, segmentBaseOffset: 6, problem: expect.stringMatching(/CRC/) }),
  ])
  expect(truncateDatabaseTails(report)).toEqual([{ file: path, action: 'orders-0: removed 2 batches from offset 6' }])
  const storage = new SqliteStorage({ path })
  await storage.open()
  expect(storage.partitionLog({ topic: 'orders', partition: 0 }, CONFIG).endOffset()).toBe(6)
  await storage.close()
})

test('a database in use is STORAGE_LOCKED', async () => {
  await write()
  const storage = new SqliteStorage({ path })
  await storage.open()
  try {
    expect(() => inspectDatabase(path)).toThrow(expect.objectContaining({ code: 'STORAGE_LOCKED' }))
  } finally {
    await storage.close()
  }
})
