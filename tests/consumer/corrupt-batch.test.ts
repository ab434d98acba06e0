import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tributary } from '@tributary/client'
import { LocalBroker, type Storage, type TributaryError } from '@tributary/core'
import { makeBatch, makeRecords, waitUntil } from '@tributary/core/testing'
import { FileStorage } from '@tributary/storage-file'
import { SqliteStorage } from '@tributary/storage-sqlite'

/*
 * A consumer that reaches a damaged batch does not refetch it forever in silence: it crashes with
 * CORRUPT_MESSAGE naming the topic, partition and offset, goes on with its other partitions, keeps
 * the damaged one stopped while producers append behind it, and resumes when the application seeks
 * past the batch — on file storage and on SQLite alike.
 */

const TOPIC = 'events'
const BATCHES = 60
const PER_BATCH = 10
/** The damaged batch holds offsets 500-509 of partition 0. */
const DAMAGED_BASE = 500

interface Kind {
  name: string
  storage(dir: string): Storage
  /** damage flips one byte inside the records of the batch starting at `base` of partition 0. */
  damage(dir: string, base: number): void | Promise<void>
}

const KINDS: Kind[] = [
  {
    name: 'file storage',
    storage: (dir) => new FileStorage({ dir, logger: { info: () => {}, warn: () => {} } }),
    damage(dir, base) {
      const path = join(dir, `${TOPIC}-0`, '00000000000000000000.log')
      const bytes = readFileSync(path)
      for (let pos = 0; pos < bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) {
        if (Number(bytes.readBigInt64BE(pos)) !== base) continue
        bytes[pos + 80] = (bytes[pos + 80] as number) ^ 0x40
        writeFileSync(path, bytes)
        return
      }
      throw new Error(`no batch at ${base}`)
    },
  },
  {
    name: 'SQLite',
    storage: (dir) => new SqliteStorage({ path: join(dir, 'tributary.db') }),
    async damage(dir, base) {
      const storage = new SqliteStorage({ path: join(dir, 'tributary.db') })
      await storage.open()
      const db = storage.database()
      const where = 'partition_id = (SELECT id FROM partitions WHERE topic = ? AND partition_index = 0) AND base_offset = ?'
      const data = db.prepare(`SELECT data FROM batches WHERE ${where}`).pluck().get(TOPIC, base) as Buffer
      data[80] = (data[80] as number) ^ 0x40
      db.prepare(`UPDATE batches SET data = ? WHERE ${where}`).run(data, TOPIC, base)
      await storage.close()
    },
  },
]

describe.each(KINDS)('a consumer reaching a corrupt batch on $name', (kind) => {
  let dir = ''
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-corrupt-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('crashes with CORRUPT_MESSAGE, topic, partition and offset, stops that partition only, and resumes after a seek past it', async () => {
    const setup = await LocalBroker.open({ storage: kind.storage(dir) })
    await setup.createTopics([{ topic: TOPIC, numPartitions: 2 }])
    for (let b = 0; b < BATCHES; b++)
      for (const partition of [0, 1])
        await setup.produce({
          acks: -1,
          timeoutMs: 5000,
          partitions: [{ topic: TOPIC, partition, batch: makeBatch(makeRecords(`p${partition}b${b}`, PER_BATCH)) }],
        })
    await setup.close()
    await kind.damage(dir, DAMAGED_BASE)

    const tb = await Tributary.open({ storage: kind.storage(dir) })
    const consumer = tb.consumer({ groupId: 'g', retry: { initialRetryTimeMs: 10, maxRetryTimeMs: 50 } })
    const got: Array<{ partition: number; offset: number }> = []
    const crashes: TributaryError[] = []
    consumer.on('consumer.crash', (e: { payload: { error: TributaryError } }) => crashes.push(e.payload.error))
    try {
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
      await consumer.run({ eachMessage: async ({ partition, message }) => void got.push({ partition, offset: Number(message.offset) }) })
      await waitUntil(() => crashes.length > 0 && got.filter((m) => m.partition === 1).length === BATCHES * PER_BATCH, 20_000)
      const error = crashes[0] as TributaryError
      expect(error.code).toBe('CORRUPT_MESSAGE')
      expect(error.details).toMatchObject({ topic: TOPIC, partition: 0, offset: DAMAGED_BASE })
      // Every good offset before the damage was delivered, none after it.
      const p0 = got.filter((m) => m.partition === 0).map((m) => m.offset)
      expect(p0).toEqual(Array.from({ length: DAMAGED_BASE }, (_, i) => i))

      // Producers keep appending behind it; the stopped partition does not spin (no crash per fetch).
      const producer = tb.producer({ acks: -1 })
      await producer.send({ topic: TOPIC, messages: [{ partition: 0, value: 'after' }] })
      const crashCount = crashes.length
      await new Promise((r) => setTimeout(r, 500))
      expect(crashes.length).toBe(crashCount)
      expect(got.filter((m) => m.partition === 0).length).toBe(DAMAGED_BASE)

      consumer.seek({ topic: TOPIC, partition: 0, offset: DAMAGED_BASE + PER_BATCH })
      const last = BATCHES * PER_BATCH
      await waitUntil(() => got.some((m) => m.partition === 0 && m.offset === last), 20_000)
      const after = got.filter((m) => m.partition === 0 && m.offset >= DAMAGED_BASE).map((m) => m.offset)
      expect(after).toEqual(Array.from({ length: last - DAMAGED_BASE - PER_BATCH + 1 }, (_, i) => DAMAGED_BASE + PER_BATCH + i))
      await producer.disconnect()
    } finally {
      await consumer.disconnect()
      await tb.close()
    }
  }, 60_000)
})
