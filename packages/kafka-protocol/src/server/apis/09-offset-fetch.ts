/*
 * OffsetFetch (key 9), served v0-8.
 *
 * A group's committed offsets with their metadata, for the partitions asked (v2+: null asks for
 * every committed partition); a partition with nothing committed answers offset -1 and metadata ""
 * with no error, as Kafka does. v0-7 ask for one group, v8 for several (`groups[]`), each answered
 * on its own. A group-level error (INVALID_GROUP_ID 24, COORDINATOR_NOT_AVAILABLE 15) goes in the
 * top-level error code from v2 (each group's from v8) and in every partition before that.
 * requireStable (v7+) needs nothing: without transactions no offset is ever pending.
 */
import type { OffsetFetchResult } from '@tributary/core'
import { OffsetFetch } from '../../messages'
import { type RequestContext, errorCodeFor } from '../context'
import { serveApi } from '../served-api'

type Asked = ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null

interface TopicOffsets {
  name: string
  partitions: Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string; errorCode: number }>
}

/** offsetFetchApi answers OffsetFetch. */
export const offsetFetchApi = serveApi({
  api: OffsetFetch,
  minVersion: 0,
  maxVersion: 8,
  async handle(req, ctx) {
    if (req.apiVersion >= 8) {
      const groups = []
      for (const g of req.body.groups) {
        const { topics, errorCode } = await fetchGroup(ctx, g.groupId, g.topics)
        groups.push({ groupId: g.groupId, topics, errorCode })
      }
      return { throttleTimeMs: 0, groups }
    }
    const { topics, errorCode } = await fetchGroup(ctx, req.body.groupId, req.body.topics)
    if (req.apiVersion < 2 && errorCode !== 0) {
      for (const t of topics) for (const p of t.partitions) p.errorCode = errorCode
      return { throttleTimeMs: 0, topics }
    }
    return { throttleTimeMs: 0, topics: errorCode === 0 ? topics : [], errorCode }
  },
})

async function fetchGroup(ctx: RequestContext, groupId: string, asked: Asked): Promise<{ topics: TopicOffsets[]; errorCode: number }> {
  const wanted = asked === null ? undefined : asked.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })))
  let results: OffsetFetchResult[]
  try {
    results = await ctx.broker.fetchOffsets(groupId, wanted)
  } catch (error) {
    const errorCode = errorCodeFor(ctx, error, 'OffsetFetch')
    const topics = (asked ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => partitionOut(i, -1, '')) }))
    return { topics, errorCode }
  }
  const byTopic = new Map<string, TopicOffsets>()
  for (const t of asked ?? []) {
    if (ctx.may('describe', t.name)) continue
    // As Kafka: a named topic the principal may not describe is answered TOPIC_AUTHORIZATION_FAILED (29).
    byTopic.set(t.name, { name: t.name, partitions: t.partitionIndexes.map((i) => ({ ...partitionOut(i, -1, ''), errorCode: 29 })) })
  }
  for (const r of results) {
    // All topics asked: only those the principal may describe are listed.
    if (!ctx.may('describe', r.topic)) continue
    let topic = byTopic.get(r.topic)
    if (topic === undefined) byTopic.set(r.topic, (topic = { name: r.topic, partitions: [] }))
    topic.partitions.push(partitionOut(r.partition, r.offset, r.metadata ?? ''))
  }
  return { topics: [...byTopic.values()], errorCode: 0 }
}

function partitionOut(partitionIndex: number, committedOffset: number, metadata: string) {
  return { partitionIndex, committedOffset, committedLeaderEpoch: -1, metadata, errorCode: 0 }
}
