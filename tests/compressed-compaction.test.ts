/**
 * Compaction of compressed batches on file storage: Tributary's producer writes batches in each of
 * Kafka's codecs to disk, the cleaner inflates them to find the latest value per key, rewrites the
 * survivors (compressed again with the same codec), and the consumer reads the result after a reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tributary } from '@tributary/client'
import {
  BatchAttributes,
  CompressionTypes,
  RecordBatch,
  iterateBatches,
  resolveTopicConfig,
  systemClock,
  type CompressionType,
  type PartitionLogConfig,
} from '@tributary/core'
import { compactLog } from '@tributary/core/internal'
import { FileStorage } from '@tributary/storage-file'

const LOG: PartitionLogConfig = { segmentBytes: 1024 * 1024, segmentMs: 24 * 3_600_000, indexIntervalBytes: 4096 }
const KEYS = 10
const VERSIONS = 12

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-compressed-compaction-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const CODECS = (Object.entries(CompressionTypes) as Array<[CompressionType, number]>).filter(([name]) => name !== 'none')

test.each(CODECS)('%s batches (id %d) compact on file storage and read back through the client', async (codec, id) => {
  // Write: one batch per version, every key in each, a tombstone for key-3 in the last.
  const latest = new Map<string, string | null>()
  let tb = await Tributary.open({ dir })
  await tb
    .admin()
    .createTopics({ topics: [{ topic: 'state', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
  const producer = tb.producer({ compression: codec })
  for (let version = 0; version < VERSIONS; version++) {
    const messages = Array.from({ length: KEYS }, (_, k) => {
      const value = version === VERSIONS - 1 && k === 3 ? null : JSON.stringify({ k, version, pad: 'x'.repeat(200) })
      latest.set(`key-${k}`, value)
      return { key: `key-${k}`, value }
    })
    await producer.send({ topic: 'state', messages })
  }
  await tb.close()

  // Compact: the cleaner decodes the compressed batches and rewrites them.
  const storage = new FileStorage({ dir, clock: systemClock })
  await storage.open()
  const log = storage.partitionLog({ topic: 'state', partition: 0 }, LOG)
  const end = log.endOffset()
  expect(end).toBe(KEYS * VERSIONS)
  log.roll()
  const config = resolveTopicConfig({ 'cleanup.policy': 'compact', 'delete.retention.ms': '3600000' })
  const result = compactLog(log, config, Date.now())
  expect(result?.recordsRemoved).toBe(KEYS * (VERSIONS - 1))
  const batches = [...iterateBatches(log.read(0, 16 << 20))]
  expect(batches.length).toBeGreaterThan(0)
  for (const batch of batches) expect(batch.attributes & BatchAttributes.COMPRESSION_MASK).toBe(id)
  // Every surviving batch passes the full check (CRC, codec) as stored.
  for (const batch of batches) expect(() => RecordBatch.from(batch.buffer).toArray()).not.toThrow()
  await storage.close()

  // Read: after a reopen, a consumer sees the latest value of every key, at its original offset.
  tb = await Tributary.open({ dir })
  try {
    const seen = new Map<string, { value: string | null; offset: number }>()
    const consumer = tb.consumer({ groupId: `g-${codec}`, maxWaitMs: 100 })
    await consumer.subscribe({ topics: ['state'], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.set(String(message.key), { value: message.value === null ? null : String(message.value), offset: message.offset })
      },
    })
    const deadline = Date.now() + 10_000
    while (seen.size < KEYS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    await consumer.disconnect()
    expect(new Map([...seen].map(([k, v]) => [k, v.value]))).toEqual(latest)
    for (let k = 0; k < KEYS; k++) expect(seen.get(`key-${k}`)?.offset).toBe((VERSIONS - 1) * KEYS + k)
  } finally {
    await tb.close()
  }
})
