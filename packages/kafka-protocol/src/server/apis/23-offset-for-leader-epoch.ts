/*
 * OffsetForLeaderEpoch (key 23), served v0-4.
 *
 * Tributary does not number leader epochs (Metadata reports -1, so clients do not validate their
 * positions with this API); a client that asks anyway gets, per partition, the epoch it asked for
 * and the high watermark as its end offset: a consumer's position never lies beyond it, so no
 * truncation is reported where none happened. UNKNOWN_TOPIC_OR_PARTITION (3) for unknown partitions,
 * TOPIC_AUTHORIZATION_FAILED (29) for a topic the principal may not describe.
 */
import { LATEST_TIMESTAMP, type ListOffsetsPartitionResult } from '@tributary/core'
import { OffsetForLeaderEpoch } from '../../messages'
import { errorCodeFor } from '../context'
import { callAllowed } from '../allowed-partitions'
import { serveApi } from '../served-api'

/** offsetForLeaderEpochApi answers OffsetForLeaderEpoch. */
export const offsetForLeaderEpochApi = serveApi({
  api: OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const asked = req.body.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, timestamp: LATEST_TIMESTAMP })),
    )
    let results: ListOffsetsPartitionResult[] | null = null
    let failure: unknown = null
    try {
      results = await callAllowed(ctx, 'describe', asked, (allowed) => ctx.broker.listOffsets(allowed))
    } catch (error) {
      failure = error
    }
    let i = 0
    return {
      throttleTimeMs: 0,
      topics: req.body.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const r = results?.[i++]
          const error = r === undefined ? (failure ?? new Error('missing result')) : r.error
          if (error)
            return { errorCode: errorCodeFor(ctx, error, 'OffsetForLeaderEpoch'), partition: p.partition, leaderEpoch: -1, endOffset: -1 }
          return { errorCode: 0, partition: p.partition, leaderEpoch: p.leaderEpoch, endOffset: r?.offset ?? -1 }
        }),
      })),
    }
  },
})
