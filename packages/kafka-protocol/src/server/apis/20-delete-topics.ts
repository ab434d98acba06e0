/*
 * DeleteTopics (key 20), served v0-6.
 *
 * Deletes each topic with its data and its committed offsets, answered on its own:
 * UNKNOWN_TOPIC_OR_PARTITION (3), or UNKNOWN_TOPIC_ID (100) for a v6 topic named by an unknown id.
 * v0-5 name topics, v6 names or ids.
 */
import { TributaryError } from '@tributary/core'
import { ZERO_UUID } from '../../codec/uuid'
import { DeleteTopics } from '../../messages'
import { type RequestContext, errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

/** deleteTopicsApi answers DeleteTopics. */
export const deleteTopicsApi = serveApi({
  api: DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    const asked = req.apiVersion >= 6 ? req.body.topics : req.body.topicNames.map((name) => ({ name, topicId: ZERO_UUID }))
    const responses = []
    for (const t of asked) responses.push(await deleteOne(ctx, t.name, t.topicId))
    return { throttleTimeMs: 0, responses }
  },
})

async function deleteOne(ctx: RequestContext, name: string | null, topicId: string) {
  try {
    let topic = name
    if (topic === null) {
      topic = (await ctx.broker.metadata()).topics.find((t) => t.topicId === topicId)?.name ?? null
      if (topic === null) throw new TributaryError('UNKNOWN_TOPIC_ID', `no topic has id ${topicId}`)
    }
    await ctx.broker.deleteTopics([topic])
    return { name: topic, topicId, errorCode: 0, errorMessage: null }
  } catch (error) {
    return { name, topicId, errorCode: errorCodeFor(ctx, error, 'DeleteTopics'), errorMessage: errorMessageOf(error) }
  }
}
