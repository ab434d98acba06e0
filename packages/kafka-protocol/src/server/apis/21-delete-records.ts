/*
 * DeleteRecords (key 21), served v0-2.
 *
 * Moves each partition's log start offset forward to the offset given (-1: the high watermark),
 * answering the new low watermark; OFFSET_OUT_OF_RANGE (1) beyond the end,
 * UNKNOWN_TOPIC_OR_PARTITION (3), NOT_LEADER_OR_FOLLOWER (6) in a cluster, TOPIC_AUTHORIZATION_FAILED
 * (29) for a topic the principal may not delete records of.
 */
import { DeleteRecords } from '../../messages'
import { errorCodeFor } from '../context'
import { callAllowed } from '../allowed-partitions'
import { serveApi } from '../served-api'

/** deleteRecordsApi answers DeleteRecords. */
export const deleteRecordsApi = serveApi({
  api: DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const asked = req.body.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.offset })),
    )
    let results: Awaited<ReturnType<typeof ctx.server.broker.deleteRecords>> | null = null
    let failure: unknown = null
    try {
      results = await callAllowed(ctx, 'deleteRecords', asked, (allowed) => ctx.broker.deleteRecords(allowed))
    } catch (error) {
      failure = error
    }
    let i = 0
    return {
      throttleTimeMs: 0,
      topics: req.body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const r = results?.[i++]
          const error = r === undefined ? (failure ?? new Error('missing result')) : r.error
          if (error) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorCodeFor(ctx, error, 'DeleteRecords') }
          return { partitionIndex: p.partitionIndex, lowWatermark: r?.lowWatermark ?? -1, errorCode: 0 }
        }),
      })),
    }
  },
})
