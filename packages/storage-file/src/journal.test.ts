import { readdirSync, rmSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { makeBatch } from '@tributary/core/testing'
import type { FilePartitionLog } from './partition-log'
import { inspectDirectory } from './inspect/inspect-directory'
import { Journal, KIND_BATCH, KIND_FORGET } from './journal'
import { listJournals, parseJournal, pendingBatches, readJournal } from './journal-replay'
import { partitionDirName } from './partition-dirs'
import { killAndWait, spawnTs, waitForLine } from './testing/child-process'
import { SMALL, openStorage, readAll } from './testing/storage-kit'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

/** An acks=all append: the caller syncs at once, so the batch also goes to the journal. */
const WILL_SYNC = Object.freeze({ willSync: true })

/** runChild runs journal-child.ts to its `done` line, then SIGKILLs it (its segments were never flushed by a close). */
async function runChild(dir: string, args: string[]): Promise<void> {
  const child = spawnTs(join(__dirname, 'testing', 'journal-child.ts'), [dir, ...args])
  try {
    await waitForLine(child, 'done', 120_000)
  } finally {
    await killAndWait(child)
  }
}

/** loseSegmentData cuts every segment file to `keep(size)` bytes: what a power loss may leave of data never fdatasynced. */
function loseSegmentData(dir: string, keep: (size: number) => number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    for (const name of readdirSync(join(dir, entry.name))) {
      if (!name.endsWith('.log')) continue
      const path = join(dir, entry.name, name)
      truncateSync(path, keep(statSync(path).size))
    }
  }
}

function values(log: Parameters<typeof readAll>[0]): string[] {
  return readAll(log).map((r) => r.value?.toString() ?? '')
}

describe('the shared journal', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTempDir('journal')
  })
  afterEach(() => removeTempDir(dir))

  it.each([
    ['lost entirely', (_size: number) => 0],
    ['torn in the middle', (size: number) => Math.floor(size / 2)],
  ])(
    'acknowledged batches survive their segments being %s: replay appends them back, in order, once',
    async (_label, keep) => {
      await runChild(dir, [String(64 * 1024 * 1024), '4', '60'])
      expect(listJournals(dir)).toHaveLength(1)
      loseSegmentData(dir, keep)
      // What `tributary inspect` shows before the open: the journal, and how much it will bring back.
      const seen = inspectDirectory(dir).journal
      expect(seen).toMatchObject({ files: 1 })
      expect(seen?.sizeBytes).toBeGreaterThan(0)
      if (keep(1000) === 0) expect(seen?.batchesToReplay).toBe(60)
      else expect(seen?.batchesToReplay).toBeGreaterThan(0)
      const { storage } = await openStorage(dir)
      try {
        // Every batch when the segments lost everything; the lost half's otherwise.
        const replayed = storage.stats().journalReplayedBatches ?? 0
        if (keep(1000) === 0) expect(replayed).toBe(60)
        else expect(replayed).toBeGreaterThan(0)
        expect(replayed).toBeLessThanOrEqual(60)
        expect(storage.stats()).toMatchObject({ journalCheckpoints: 0, journalBytes: 0 })
        for (let p = 0; p < 4; p++) {
          const log = storage.partitionLog({ topic: 'j', partition: p }, SMALL)
          const expected = Array.from({ length: 15 }, (_, n) => `v${n * 4 + p}`)
          expect(values(log)).toEqual(expected)
          expect(readAll(log).map((r) => r.offset)).toEqual(expected.map((_, n) => n))
        }
        // Replayed batches were flushed to the segments and the old journal deleted.
        expect(listJournals(dir)).toEqual([])
      } finally {
        await storage.close()
      }
      // A clean close leaves no journal, and the data is in the segments.
      expect(listJournals(dir)).toEqual([])
      expect(inspectDirectory(dir).journal).toBeUndefined()
      const again = await openStorage(dir)
      expect(values(again.storage.partitionLog({ topic: 'j', partition: 1 }, SMALL))).toHaveLength(15)
      await again.storage.close()
    },
    180_000,
  )

  it('a new partition synced through the journal alone, whose directory a power loss took, is made again with every acknowledged batch', async () => {
    // The child's partitions are all new: their acks=all syncs were one journal fdatasync each,
    // never a flush of their directories. Losing two of those directories is what a power loss may do.
    await runChild(dir, [String(64 * 1024 * 1024), '4', '40'])
    for (const partition of [1, 3]) rmSync(join(dir, partitionDirName({ topic: 'j', partition })), { recursive: true })
    expect(inspectDirectory(dir).journal?.batchesToReplay).toBe(20)
    const { storage } = await openStorage(dir)
    try {
      expect(storage.stats().journalReplayedBatches).toBe(20)
      expect(storage.listPartitions()).toHaveLength(4)
      for (let p = 0; p < 4; p++) {
        const log = storage.partitionLog({ topic: 'j', partition: p }, SMALL)
        expect(values(log)).toEqual(Array.from({ length: 10 }, (_, n) => `v${n * 4 + p}`))
      }
    } finally {
      await storage.close()
    }
    // Made durable by the replay: a second open finds them without the journal.
    expect(listJournals(dir)).toEqual([])
    const again = await openStorage(dir)
    expect(values(again.storage.partitionLog({ topic: 'j', partition: 3 }, SMALL))).toHaveLength(10)
    await again.storage.close()
  }, 180_000)

  it('a sync() made while a checkpoint flushes the segments resolves only once those flushes end', async () => {
    const { storage } = await openStorage(dir, { journalBytes: 4096 })
    const logs = [0, 1, 2].map((partition) => storage.partitionLog({ topic: 'c', partition }, SMALL) as FilePartitionLog)
    // Journaled appends, each synced through the journal: every partition's segments stay unflushed.
    for (const log of logs) {
      log.append(makeBatch([{ value: 'w'.repeat(300) }]), WILL_SYNC)
      await log.sync()
    }
    // This one fills the journal: its checkpoint starts on the next turn and takes all three logs.
    ;(logs[0] as FilePartitionLog).append(makeBatch([{ value: 'w'.repeat(4096) }]), WILL_SYNC)
    await new Promise((resolve) => setImmediate(resolve))
    expect(logs.every((log) => log.needsFlush())).toBe(true)
    // No partition is left for this sync to flush itself: it must wait for the checkpoint's flushes.
    await storage.sync()
    expect(logs.map((log) => log.needsFlush())).toEqual([false, false, false])
    await storage.close()
  })

  it('stats report the journal: bytes not yet checkpointed, and checkpoints done', async () => {
    const { storage } = await openStorage(dir, { journalBytes: 4096 })
    const log = storage.partitionLog({ topic: 's', partition: 0 }, SMALL)
    log.append(makeBatch([{ value: 'x'.repeat(100) }]), WILL_SYNC)
    await log.sync()
    expect(storage.stats().journalBytes).toBeGreaterThan(100)
    for (let i = 0; i < 60; i++) {
      log.append(makeBatch([{ value: 'y'.repeat(100) }]), WILL_SYNC)
      await log.sync()
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    const stats = storage.stats()
    expect(stats.journalCheckpoints).toBeGreaterThan(0)
    expect(stats.journalBytes).toBeLessThan(3 * 4096)
    await storage.close()
    const plain = await openStorage(dir, { journal: false })
    expect(plain.storage.stats().journalBytes).toBeUndefined()
    await plain.storage.close()
  })

  it('checkpoints keep at most two journal files, and a SIGKILL between them loses nothing acknowledged', async () => {
    await runChild(dir, ['4096', '3', '300'])
    expect(listJournals(dir).length).toBeGreaterThanOrEqual(1)
    expect(listJournals(dir).length).toBeLessThanOrEqual(2)
    expect(listJournals(dir)[0]!.sequence).toBeGreaterThan(5)
    const { storage } = await openStorage(dir)
    try {
      for (let p = 0; p < 3; p++)
        expect(values(storage.partitionLog({ topic: 'j', partition: p }, SMALL))).toEqual(
          Array.from({ length: 100 }, (_, n) => `v${n * 3 + p}`),
        )
    } finally {
      await storage.close()
    }
  }, 180_000)

  it('a deleted and recreated partition gets none of its old journaled batches back', async () => {
    // Replay would put the old partition's v2 and v4 after `fresh` (their offsets 1 and 2 lie at or past its end of 1) without the forget mark.
    await runChild(dir, [String(64 * 1024 * 1024), '2', '6', 'recreate'])
    const { storage } = await openStorage(dir)
    try {
      expect(values(storage.partitionLog({ topic: 'j', partition: 0 }, SMALL))).toEqual(['fresh'])
      expect(values(storage.partitionLog({ topic: 'j', partition: 1 }, SMALL))).toEqual(['v1', 'v3', 'v5'])
    } finally {
      await storage.close()
    }
  }, 180_000)

  it('a truncation is not undone by replay: the batches it cut stay cut', async () => {
    const first = await openStorage(dir)
    const log = first.storage.partitionLog({ topic: 't', partition: 0 }, SMALL)
    for (let i = 0; i < 5; i++) log.append(makeBatch([{ value: `v${i}` }]), WILL_SYNC)
    await log.sync()
    log.truncate(2)
    // The journal holds v0..v4 and then the forget mark (written durably by the truncation): replay considers none of them.
    const records = readJournal(listJournals(dir)[0]!.path).records
    expect(records.map((r) => r.kind)).toEqual([KIND_BATCH, KIND_BATCH, KIND_BATCH, KIND_BATCH, KIND_BATCH, KIND_FORGET])
    expect([...pendingBatches(records).values()]).toEqual([])
    log.append(makeBatch([{ value: 'after' }]), WILL_SYNC)
    await log.sync()
    await first.storage.close()
    const { storage } = await openStorage(dir)
    expect(values(storage.partitionLog({ topic: 't', partition: 0 }, SMALL))).toEqual(['v0', 'v1', 'after'])
    await storage.close()
  })

  it('acks over several partitions share one journal flush: sync() of each resolves, and the journal holds every batch', async () => {
    const { storage } = await openStorage(dir)
    const logs = [0, 1, 2, 3].map((partition) => storage.partitionLog({ topic: 'm', partition }, SMALL))
    // The first sync of a new partition flushes its segments (its directory must be durable); later ones use the journal.
    for (const log of logs) {
      log.append(makeBatch([{ value: 'first' }]), WILL_SYNC)
      await log.sync()
    }
    for (const log of logs) log.append(makeBatch([{ value: 'second' }]), WILL_SYNC)
    await Promise.all(logs.map((log) => log.sync()))
    const records = readJournal(listJournals(dir)[0]!.path).records
    expect(records).toHaveLength(8)
    expect(new Set(records.map((r) => r.partition))).toEqual(new Set([0, 1, 2, 3]))
    await storage.close()
    expect(listJournals(dir)).toEqual([])
  })

  it('appends not about to be synced (acks 0 and 1) skip the journal, and a later sync() flushes the segments instead', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog({ topic: 'a', partition: 0 }, SMALL)
    log.append(makeBatch([{ value: 'durable' }]), WILL_SYNC)
    await log.sync()
    log.append(makeBatch([{ value: 'acks1' }]))
    log.append(makeBatch([{ value: 'acks-all' }]), WILL_SYNC)
    await log.sync()
    storage.partitionLog({ topic: 'a', partition: 1 }, SMALL).append(makeBatch([{ value: 'only-acks1' }]))
    await storage.close()
    // The journal file is gone after a clean close; what it held is checked through a fresh storage's replay below.
    expect(listJournals(dir)).toEqual([])
    const again = await openStorage(dir)
    expect(values(again.storage.partitionLog({ topic: 'a', partition: 0 }, SMALL))).toEqual(['durable', 'acks1', 'acks-all'])
    expect(values(again.storage.partitionLog({ topic: 'a', partition: 1 }, SMALL))).toEqual(['only-acks1'])
    await again.storage.close()
  })

  it('the journal holds only the appends made to be synced', async () => {
    const { storage } = await openStorage(dir)
    const log = storage.partitionLog({ topic: 'b', partition: 0 }, SMALL)
    log.append(makeBatch([{ value: 'one' }]), WILL_SYNC)
    log.append(makeBatch([{ value: 'two' }]))
    log.append(makeBatch([{ value: 'three' }]), WILL_SYNC)
    // `two` is not in the journal, so this sync flushes the segments.
    await log.sync()
    log.append(makeBatch([{ value: 'four' }]), WILL_SYNC)
    // Now everything since the segments' flush is journaled: this sync is the journal's, and writes it out.
    await log.sync()
    const journaled = readJournal(listJournals(dir)[0]!.path).records
    expect(journaled.map((r) => r.payload.toString('latin1').match(/one|two|three|four/)?.[0])).toEqual(['one', 'three', 'four'])
    await storage.close()
  })

  it('a journaled append is readable at once, and in its segment file (not only the journal) once its sync resolves', async () => {
    const { storage } = await openStorage(dir)
    const logs = [0, 1].map((partition) => storage.partitionLog({ topic: 'd', partition }, SMALL))
    for (const log of logs) {
      log.append(makeBatch([{ value: 'first' }]), WILL_SYNC)
      await log.sync()
    }
    for (const log of logs) log.append(makeBatch([{ value: 'second' }]), WILL_SYNC)
    expect(values(logs[0]!)).toEqual(['first', 'second'])
    logs[1]!.append(makeBatch([{ value: 'third' }]), WILL_SYNC)
    await Promise.all(logs.map((log) => log.sync()))
    for (const [p, log] of logs.entries()) {
      const file = join(dir, `d-${p}`, '00000000000000000000.log')
      expect(statSync(file).size).toBe(log.sizeBytes())
    }
    expect(values(logs[1]!)).toEqual(['first', 'second', 'third'])
    await storage.close()
  })

  it('a forget mark is written only for a partition the journal holds batches of', async () => {
    const { storage } = await openStorage(dir)
    const journaled = storage.partitionLog({ topic: 'f', partition: 0 }, SMALL)
    const plain = storage.partitionLog({ topic: 'f', partition: 1 }, SMALL)
    journaled.append(makeBatch([{ value: 'a' }]), WILL_SYNC)
    journaled.append(makeBatch([{ value: 'b' }]), WILL_SYNC)
    plain.append(makeBatch([{ value: 'c' }]))
    plain.append(makeBatch([{ value: 'd' }]))
    await Promise.all([journaled.sync(), plain.sync()])
    plain.truncate(1)
    await storage.deletePartition({ topic: 'f', partition: 1 })
    journaled.truncate(1)
    const records = readJournal(listJournals(dir)[0]!.path).records
    expect(records.map((r) => [r.kind, r.partition])).toEqual([
      [KIND_BATCH, 0],
      [KIND_BATCH, 0],
      [KIND_FORGET, 0],
    ])
    await storage.close()
  })

  it('journal: false writes no journal', async () => {
    const { storage } = await openStorage(dir, { journal: false })
    const log = storage.partitionLog({ topic: 'n', partition: 0 }, SMALL)
    log.append(makeBatch([{ value: 'x' }]), WILL_SYNC)
    await log.sync()
    expect(listJournals(dir)).toEqual([])
    await storage.close()
  })

  it('rejects bad journal options with INVALID_CONFIG naming the option', async () => {
    await expect(openStorage(dir, { journal: 'yes' as unknown as boolean })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('options.journal'),
    })
    await expect(openStorage(dir, { journalBytes: 100 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('options.journalBytes'),
    })
  })
})

describe('journal records', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTempDir('journal-codec')
  })
  afterEach(() => removeTempDir(dir))

  it('read back as written, and a file cut anywhere reads as a prefix of its records (a torn tail is never half a record)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            forget: fc.boolean(),
            topic: fc.string({ minLength: 1, maxLength: 30 }),
            partition: fc.nat(1000),
            value: fc.string({ maxLength: 200 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.nat(),
        (records, cutSeed) => {
          const sub = makeTempDir('journal-prop')
          try {
            const journal = Journal.create(sub, 1, 1 << 30, () => {})
            for (const r of records) {
              if (r.forget) journal.forget(r.topic, r.partition)
              else journal.appendBatch(r.topic, r.partition, makeBatch([{ value: r.value }]))
            }
            journal.close()
            const path = listJournals(sub)[0]!.path
            const whole = readJournal(path)
            expect(whole.tornBytes).toBe(0)
            expect(whole.records.map((r) => [r.kind === KIND_FORGET, r.topic, r.partition])).toEqual(
              records.map((r) => [r.forget, r.topic, r.partition]),
            )
            const bytes = Buffer.from(require('node:fs').readFileSync(path) as Buffer)
            const cut = cutSeed % (bytes.length + 1)
            const read = parseJournal(bytes.subarray(0, cut))
            expect(read.validBytes + read.tornBytes).toBe(cut)
            expect(read.records.map((r) => [r.topic, r.partition])).toEqual(
              whole.records.slice(0, read.records.length).map((r) => [r.topic, r.partition]),
            )
            // Any cut short of the end loses the records it reaches into, and only them.
            if (cut < bytes.length) expect(read.records.length).toBeLessThan(records.length)
          } finally {
            removeTempDir(sub)
          }
        },
      ),
      { numRuns: 60, seed: 15 },
    )
  })

  it('a flipped byte anywhere in a record ends the file there', () => {
    const journal = Journal.create(dir, 1, 1 << 30, () => {})
    journal.appendBatch('a', 0, makeBatch([{ value: 'one' }]))
    journal.appendBatch('a', 0, makeBatch([{ value: 'two' }]))
    journal.close()
    const bytes = require('node:fs').readFileSync(listJournals(dir)[0]!.path) as Buffer
    const firstLength = 4 + bytes.readUInt32BE(0)
    for (let i = 0; i < firstLength; i++) {
      const copy = Buffer.from(bytes)
      copy[i] = (copy[i] as number) ^ 0x40
      expect(parseJournal(copy).records.length).toBe(0)
    }
    expect(parseJournal(bytes).records.length).toBe(2)
  })
})
