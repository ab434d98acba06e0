/**
 * The Kafka codec's speed on the produce and consume paths: decoding a Produce v7 request and
 * encoding a Fetch v11 response, each carrying 1 MiB of record batches (16 partitions × 64 KiB,
 * as a producer or a fetch with several partitions sends them), plus the reverse directions the
 * Kafka client backend uses and two small requests for the fixed per-request cost. A standalone
 * script, not a bench workload: `pnpm tsx bench/kafka-codec.ts [rounds]`. Each figure is the best
 * of `rounds` (default 7) rounds of 0.3 s: on a shared machine other work only ever slows a round
 * down, so the best round is the closest to the codec's own speed. MB/s counts frame bytes.
 */
import { API_KEYS, decodeRequest, decodeResponse, encodeRequest, encodeResponse, encodeResponseChunks } from '@tributary/kafka-protocol'

const MIB = 1024 * 1024
const rounds = Number(process.argv[2] ?? 7)
const ROUND_NS = 300_000_000n
const PARTITIONS = 16
/** A 100-byte value with a 16-byte key takes about 140 bytes in a v2 batch; for the msgs/s column. */
const RECORD_BYTES = 140

const batch = (bytes: number, seed: number) => Buffer.alloc(bytes, seed)
const partitions = Array.from({ length: PARTITIONS }, (_, i) => ({ index: i, records: batch(MIB / PARTITIONS, i) }))

const produceV7 = encodeRequest(
  API_KEYS.Produce,
  7,
  { correlationId: 1, clientId: 'rdkafka' },
  {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bench-topic', partitionData: partitions }],
  },
)
const fetchV11Body = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: 'bench-topic',
      partitions: partitions.map((p) => ({
        partitionIndex: p.index,
        errorCode: 0,
        highWatermark: 1_000_000,
        lastStableOffset: 1_000_000,
        logStartOffset: 0,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: p.records,
      })),
    },
  ],
}
const fetchV11 = encodeResponse(API_KEYS.Fetch, 11, 1, fetchV11Body)
const smallProduceBody = {
  acks: 1,
  timeoutMs: 30_000,
  topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records: batch(16 * 1024, 1) }] }],
}
const smallProduce = encodeRequest(API_KEYS.Produce, 7, { correlationId: 1, clientId: 'rdkafka' }, smallProduceBody)
const heartbeat = encodeRequest(
  API_KEYS.Heartbeat,
  3,
  { correlationId: 1, clientId: 'rdkafka' },
  { groupId: 'g', generationId: 1, memberId: 'member-1' },
)
const metadataV12Body = {
  brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
  clusterId: 'c',
  controllerId: 1,
  topics: [
    {
      name: 'bench-topic',
      partitions: partitions.map((p) => ({ partitionIndex: p.index, leaderId: 1, replicaNodes: [1], isrNodes: [1] })),
    },
  ],
}

interface Case {
  name: string
  frameBytes: number
  records: number
  op: () => unknown
}

const cases: Case[] = [
  {
    name: 'decode Produce v7 request (1 MiB)',
    frameBytes: produceV7.length,
    records: MIB / RECORD_BYTES,
    op: () => decodeRequest(produceV7.subarray(4)),
  },
  {
    name: 'encode Fetch v11 response (1 MiB, copied)',
    frameBytes: fetchV11.length,
    records: MIB / RECORD_BYTES,
    op: () => encodeResponse(API_KEYS.Fetch, 11, 1, fetchV11Body),
  },
  {
    name: 'encode Fetch v11 response (1 MiB, chunks)',
    frameBytes: fetchV11.length,
    records: MIB / RECORD_BYTES,
    op: () => encodeResponseChunks(API_KEYS.Fetch, 11, 1, fetchV11Body),
  },
  {
    name: 'decode Fetch v11 response (1 MiB)',
    frameBytes: fetchV11.length,
    records: MIB / RECORD_BYTES,
    op: () => decodeResponse(API_KEYS.Fetch, 11, fetchV11.subarray(4)),
  },
  {
    name: 'encode Produce v7 request (1 MiB)',
    frameBytes: produceV7.length,
    records: MIB / RECORD_BYTES,
    op: () =>
      encodeRequest(
        API_KEYS.Produce,
        7,
        { correlationId: 1, clientId: 'rdkafka' },
        { acks: 1, timeoutMs: 30_000, topicData: [{ name: 'bench-topic', partitionData: partitions }] },
      ),
  },
  {
    name: 'decode Produce v7 request (16 KiB)',
    frameBytes: smallProduce.length,
    records: (16 * 1024) / RECORD_BYTES,
    op: () => decodeRequest(smallProduce.subarray(4)),
  },
  { name: 'decode Heartbeat v3 request', frameBytes: heartbeat.length, records: 0, op: () => decodeRequest(heartbeat.subarray(4)) },
  {
    name: 'encode Metadata v12 response (16 partitions)',
    frameBytes: encodeResponse(API_KEYS.Metadata, 12, 1, metadataV12Body).length,
    records: 0,
    op: () => encodeResponse(API_KEYS.Metadata, 12, 1, metadataV12Body),
  },
]

function bestOpsPerSecond(op: () => unknown): number {
  let best = 0
  for (let round = 0; round < rounds; round++) {
    let n = 0
    const start = process.hrtime.bigint()
    let elapsed = 0n
    while (elapsed < ROUND_NS) {
      for (let i = 0; i < 16; i++) op()
      n += 16
      elapsed = process.hrtime.bigint() - start
    }
    best = Math.max(best, (n * 1e9) / Number(elapsed))
  }
  return best
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits })
const rows = cases.map((c) => {
  for (let i = 0; i < 2000; i++) c.op() // warm up: compile the plan, let V8 optimise it
  const ops = bestOpsPerSecond(c.op)
  return {
    case: c.name,
    'ops/s': fmt(ops),
    'MB/s': fmt((ops * c.frameBytes) / 1e6),
    'µs/op': fmt(1e6 / ops, 2),
    'records/s (140 B each)': c.records ? fmt(ops * c.records) : '-',
  }
})
console.log(`Kafka codec, Node ${process.version}, best of ${rounds} rounds of 0.3 s`)
console.table(rows)
