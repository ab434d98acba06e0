import * as fs from 'node:fs'
import { join } from 'node:path'
import { SMALL, T0, TP, appendN, openStorage, readAll } from '../testing/storage-kit'
import { makeTempDir, removeTempDir } from '../testing/temp-dir'
import { inspectDirectory } from './inspect-directory'
import { truncateCorruptTails } from './repair-directory'

/*
 * inspect and verify read a directory without opening it as a broker: they find every segment's
 * offsets, sizes and time range, and (verify) a flipped byte in a batch or a bad index entry,
 * naming the file and position; the repair cuts the log there and the storage opens on what is left.
 */

let dir: string
beforeEach(() => {
  dir = makeTempDir('inspect')
})
afterEach(() => removeTempDir(dir))

async function writeLog(): Promise<void> {
  const { storage } = await openStorage(dir)
  const log = storage.partitionLog(TP, SMALL)
  appendN(log, 30, 5)
  appendN(storage.partitionLog({ topic: 'other', partition: 1 }, SMALL), 1, 2)
  await storage.close()
}

test('inspect reports segments, offsets, sizes and time range per partition, and finds no damage in a sound directory', async () => {
  await writeLog()
  const report = inspectDirectory(dir, { verify: true })
  expect(report.damage).toEqual([])
  expect(report.lockedBy).toBeNull()
  const events = report.partitions.find((p) => p.topic === 'events')
  expect(events).toMatchObject({ partition: 0, startOffset: 0, endOffset: 150, batches: 30, records: 150, minTimestamp: T0 })
  expect(events?.segments.length).toBeGreaterThan(1)
  expect(events?.segments.reduce((n, s) => n + s.sizeBytes, 0)).toBe(events?.sizeBytes)
  expect(events?.segments.some((s) => (s.indexEntries ?? 0) > 0)).toBe(true)
  expect(report.partitions.find((p) => p.topic === 'other')).toMatchObject({ partition: 1, records: 2, endOffset: 2 })
})

test('verify names the file and position of a flipped byte; the repair cuts the log there and later segments go', async () => {
  await writeLog()
  const first = inspectDirectory(dir).partitions.find((p) => p.topic === 'events')?.segments[0]
  const file = first?.file as string
  // Flip a byte inside the third batch's records (past its header), so only the CRC can tell.
  const bytes = fs.readFileSync(file)
  const batchSize = bytes.readInt32BE(8) + 12
  bytes[2 * batchSize + 70] = (bytes[2 * batchSize + 70] as number) ^ 0xff
  fs.writeFileSync(file, bytes)

  expect(inspectDirectory(dir).damage).toEqual([]) // framing alone cannot see it
  const report = inspectDirectory(dir, { verify: true })
  expect(report.damage).toHaveLength(1)
  expect(report.damage[0]).toMatchObject({ topic: 'events', partition: 0, file, position: 2 * batchSize, truncatable: true })
  expect(report.damage[0]?.problem).toMatch(/CRC/i)

  const actions = truncateCorruptTails(report)
  expect(actions[0]).toEqual({ file, action: `truncated to ${2 * batchSize} bytes` })
  expect(inspectDirectory(dir, { verify: true }).damage).toEqual([])
  const { storage } = await openStorage(dir)
  const log = storage.partitionLog(TP, SMALL)
  expect(log.endOffset()).toBe(10)
  expect(readAll(log)).toHaveLength(10)
  await storage.close()
})

test('verify finds an index entry that points where no batch starts', async () => {
  await writeLog()
  const segment = inspectDirectory(dir, { verify: true }).partitions.find((p) => p.topic === 'events')?.segments[0]
  const index = join(dir, 'events-0', `${String(segment?.baseOffset).padStart(20, '0')}.index`)
  const buf = fs.readFileSync(index)
  buf.writeInt32BE(buf.readInt32BE(4) + 1, 4)
  fs.writeFileSync(index, buf)
  const report = inspectDirectory(dir, { verify: true })
  expect(report.damage).toEqual([expect.objectContaining({ file: index, position: 0, problem: expect.stringMatching(/no batch starts/) })])
  truncateCorruptTails(report)
  expect(fs.existsSync(index)).toBe(false)
  const { storage } = await openStorage(dir)
  expect(readAll(storage.partitionLog(TP, SMALL))).toHaveLength(150)
  await storage.close()
  expect(inspectDirectory(dir, { verify: true }).damage).toEqual([])
})

test('a live owner is reported, and inspect reads its directory without the lock', async () => {
  await writeLog()
  const { storage } = await openStorage(dir)
  try {
    const report = inspectDirectory(dir, { verify: true })
    expect(report.lockedBy).toBe(process.pid)
    expect(report.partitions.find((p) => p.topic === 'events')?.records).toBe(150)
    expect(() => truncateCorruptTails(report)).toThrow(expect.objectContaining({ code: 'STORAGE_LOCKED' }))
  } finally {
    await storage.close()
  }
})
