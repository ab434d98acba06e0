import { join } from 'node:path'
import { requirePython, run, type Served, serve } from './kit'

/*
 * Python clients against KafkaServer: confluent-kafka (Debian's python3-confluent-kafka on
 * librdkafka 2.0.2) with an idempotent producer, lz4 and zstd compression and a consumer group;
 * kafka-python 2.0 (python3-kafka), which infers the broker's release from ApiVersions v0 sent
 * pipelined with Metadata v0. Run with /usr/bin/python3 (Debian's modules).
 */

const PYTHON = '/usr/bin/python3'
const SCRIPTS = join(__dirname, 'python')

let s: Served
beforeAll(() => {
  requirePython('confluent_kafka', 'python3-confluent-kafka')
  requirePython('kafka', 'python3-kafka')
})
beforeEach(async () => {
  s = await serve({ storage: 'file', broker: { numPartitions: 1 } })
})
afterEach(async () => {
  await s.close()
})

/** codecsStored lists the compression ids and producer ids of every batch stored in a partition. */
async function batchesStored(topic: string, partition: number): Promise<Array<{ codec: number; producerId: number }>> {
  const out: Array<{ codec: number; producerId: number }> = []
  let offset = 0
  for (;;) {
    const [r] = await s.broker.fetch({ partitions: [{ topic, partition, offset, maxBytes: 1 << 20 }], maxWaitMs: 0 })
    if (!r || r.batches.length === 0) return out
    for (const b of r.batches) {
      out.push({ codec: b.readInt16BE(21) & 7, producerId: Number(b.readBigInt64BE(43)) })
      offset = Number(b.readBigInt64BE(0)) + b.readInt32BE(23) + 1
    }
  }
}

test.each([
  ['lz4', 3],
  ['zstd', 4],
])(
  'confluent-kafka: idempotent producer with %s, then a consumer group reads everything and commits',
  async (compression, codecId) => {
    const topic = `py-${compression}`
    await s.broker.createTopics([{ topic, numPartitions: 3 }])
    const r = await run(PYTHON, [join(SCRIPTS, 'confluent_roundtrip.py'), s.bootstrap, topic, compression, '2000'], { timeoutMs: 90_000 })
    if (r.code !== 0) throw new Error(`python failed (${r.code}): ${r.stderr}`)
    const out = JSON.parse(r.stdout)
    expect(out.errors).toEqual([])
    expect(out.delivered).toBe(2000)
    expect(out.got).toHaveLength(2000)
    expect(out.got.map((g: string[]) => g[3]).sort()).toEqual(Array.from({ length: 2000 }, (_, i) => `${compression}-${i}`).sort())
    // Each partition is read in offset order.
    for (let p = 0; p < 3; p++) {
      const offsets = out.got.filter((g: number[]) => g[0] === p).map((g: number[]) => g[1])
      expect(offsets).toEqual([...offsets].sort((a: number, b: number) => a - b))
    }
    const counts = [0, 1, 2].map((p) => out.got.filter((g: number[]) => g[0] === p).length)
    expect(out.committed).toEqual(counts.map((n, p) => [p, n]))
    for (let p = 0; p < 3; p++) {
      const batches = await batchesStored(topic, p)
      expect(batches.length).toBeGreaterThan(0)
      // Stored as the client wrote them: compressed, and stamped with the idempotent producer's id.
      for (const b of batches) {
        expect(b.codec).toBe(codecId)
        expect(b.producerId).toBeGreaterThanOrEqual(0)
      }
    }
    expect(s.warnings).toEqual([])
  },
  120_000,
)

test('kafka-python 2.0 infers a modern broker from ApiVersions v0, produces and consumes in a group', async () => {
  await s.broker.createTopics([{ topic: 'kp', numPartitions: 1 }])
  const r = await run(PYTHON, [join(SCRIPTS, 'kafka_python_roundtrip.py'), s.bootstrap, 'kp', '500'], { timeoutMs: 90_000 })
  if (r.code !== 0) throw new Error(`python failed (${r.code}): ${r.stderr}`)
  const out = JSON.parse(r.stdout)
  // Produce v8 advertised: kafka-python takes the broker for 2.4+ and writes magic-2 batches.
  expect(out.inferred.slice(0, 2)).toEqual([2, 4])
  expect(out.offsets).toEqual(Array.from({ length: 500 }, (_, i) => i))
  expect(out.got.map((g: unknown[]) => `${g[1]}:${g[2]}:${g[3]}`)).toEqual(Array.from({ length: 500 }, (_, i) => `${i}:k${i}:v${i}`))
  expect(out.committed).toBe(500)
  expect(s.warnings).toEqual([])
}, 120_000)

test('confluent-kafka static membership: a restarted member with the same group.instance.id gets its partitions back', async () => {
  await s.broker.createTopics([{ topic: 'static', numPartitions: 2 }])
  const tb = await import('@tributary/client').then(({ Tributary }) => Tributary.open({ broker: s.broker }))
  await tb.producer().send({ topic: 'static', messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `s${i}` })) })
  const r = await run(PYTHON, [join(SCRIPTS, 'confluent_static.py'), s.bootstrap, 'static'], { timeoutMs: 90_000 })
  if (r.code !== 0) throw new Error(`python failed (${r.code}): ${r.stderr}`)
  const out = JSON.parse(r.stdout)
  expect(out.first.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`).sort())
  expect(out.assigned).toEqual([
    [0, 1],
    [0, 1],
  ])
  // The first run committed what it read (auto commit on close): the second reads nothing again.
  expect(out.second).toEqual([])
  await tb.close()
}, 120_000)
