/*
 * ListOffsets (key 2), served v0-6.
 *
 * Per partition: timestamp -1 (LATEST) is the high watermark, which is also the last stable offset
 * (no transactions, so READ_COMMITTED gets the same), -2 (EARLIEST) the log start offset; any other
 * timestamp ≥ 0 is the first offset whose record timestamp is at or after it, answered with that
 * record's own timestamp (read back from its batch), or offset -1 / timestamp -1 when no record is
 * that late. v0 answers in its old form (a list of offsets: one, never more than maxNumOffsets).
 * v7's MAX_TIMESTAMP (-3) and later special timestamps are not served, so clients do not send them.
 * Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (3), INVALID_TIMESTAMP (32) for another negative
 * value, NOT_LEADER_OR_FOLLOWER (6) in a cluster, TOPIC_AUTHORIZATION_FAILED (29) for a topic the
 * principal may not describe.
 */
import { type Broker, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type ListOffsetsPartitionResult, RecordBatch } from '@tributary/core'
import { ListOffsets } from '../../messages'
import type { ListOffsetsResponse } from '../../messages/02-list-offsets'
import { type RequestContext, errorCodeFor } from '../context'
import { callAllowed } from '../allowed-partitions'
import { serveApi } from '../served-api'

type PartitionOut = Partial<ListOffsetsResponse['topics'][number]['partitions'][number]>

/** listOffsetsApi answers ListOffsets. */
export const listOffsetsApi = serveApi({
  api: ListOffsets,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    const { broker } = ctx.server
    const asked = req.body.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, timestamp: p.timestamp })),
    )
    let results: ListOffsetsPartitionResult[] | null = null
    let failure: unknown = null
    try {
      results = await callAllowed(ctx, 'describe', asked, (allowed) => ctx.broker.listOffsets(allowed))
    } catch (error) {
      failure = error
    }
    let i = 0
    const topics = []
    for (const t of req.body.topics) {
      const partitions: PartitionOut[] = []
      for (const p of t.partitions) {
        const r = results?.[i++]
        if (r === undefined || r.error) {
          partitions.push(failed(ctx, p.partitionIndex, r?.error ?? failure ?? new Error('missing result')))
          continue
        }
        const timestamp = await recordTimestamp(broker, r, p.timestamp)
        const oldStyleOffsets = req.apiVersion === 0 && p.maxNumOffsets > 0 ? [r.offset] : []
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets, timestamp, offset: r.offset, leaderEpoch: -1 })
      }
      topics.push({ name: t.name, partitions })
    }
    return { throttleTimeMs: 0, topics }
  },
})

/**
 * recordTimestamp is the timestamp Kafka answers: -1 for LATEST and EARLIEST, else the timestamp
 * of the record found (read from its batch; the search was for the first at or after the one asked).
 */
async function recordTimestamp(broker: Broker, r: ListOffsetsPartitionResult, asked: number): Promise<number> {
  if (asked === LATEST_TIMESTAMP || asked === EARLIEST_TIMESTAMP || r.offset < 0) return -1
  const [found] = await broker.fetch({
    partitions: [{ topic: r.topic, partition: r.partition, offset: r.offset, maxBytes: 1 }],
    maxWaitMs: 0,
  })
  for (const batch of found?.batches ?? []) {
    for (const record of RecordBatch.from(batch)) if (record.offset === r.offset) return record.timestamp
  }
  return r.timestamp
}

function failed(ctx: RequestContext, partition: number, error: unknown): PartitionOut {
  return { partitionIndex: partition, errorCode: errorCodeFor(ctx, error, 'ListOffsets'), oldStyleOffsets: [], timestamp: -1, offset: -1 }
}
