/*
 * CreateTopics (key 19), served v0-7.
 *
 * Creates each topic on its own: TOPIC_ALREADY_EXISTS (36), INVALID_TOPIC_EXCEPTION (17, an illegal
 * name or one that collides with an existing name once '.' and '_' are equated),
 * INVALID_PARTITIONS (37), INVALID_REPLICATION_FACTOR (38), INVALID_CONFIG (40, a config Tributary
 * does not have or a bad value). numPartitions and replicationFactor -1 (v4+) take the broker's
 * defaults; validateOnly (v1+) checks without creating. Manual replica assignments are accepted
 * only when they say what the broker would do anyway (every partition on this node, one node), else
 * INVALID_REPLICA_ASSIGNMENT (39). v5+ answer the partition count, replication factor and every
 * config with its source (5 = default, 1 = set on the topic).
 */
import { type CreateTopicSpec, TributaryError } from '@tributary/core'
import { CreateTopics } from '../../messages'
import { ZERO_UUID, isUuid } from '../../codec/uuid'
import { type RequestContext, errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'
import { describeTopicConfigs } from './32-describe-configs'

/** createTopicsApi answers CreateTopics. */
export const createTopicsApi = serveApi({
  api: CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(req, ctx) {
    const topics = []
    for (const t of req.body.topics) topics.push(await createOne(ctx, t, req.body.validateOnly, req.apiVersion))
    return { throttleTimeMs: 0, topics }
  },
})

interface TopicIn {
  name: string
  numPartitions: number
  replicationFactor: number
  assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: readonly number[] }>
  configs: ReadonlyArray<{ name: string; value: string | null }>
}

async function createOne(ctx: RequestContext, t: TopicIn, validateOnly: boolean, version: number) {
  const { broker } = ctx.server
  try {
    const spec: CreateTopicSpec = {
      topic: t.name,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
      configEntries: t.configs.map((c) => {
        if (c.value === null) throw new TributaryError('INVALID_CONFIG', `config ${c.name} has a null value`)
        return { name: c.name, value: c.value }
      }),
    }
    if (t.assignments.length > 0) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1)
        throw new TributaryError('INVALID_REQUEST', 'give either assignments or numPartitions and replicationFactor, not both')
      const onlyHere = t.assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === broker.nodeId)
      if (!onlyHere) throw new TributaryError('INVALID_REPLICA_ASSIGNMENT', 'manual replica assignment is not supported beyond this node')
      spec.numPartitions = t.assignments.length
      spec.replicationFactor = 1
    }
    const [result] = await ctx.broker.createTopics([spec], { validateOnly })
    if (result?.error) throw result.error
    if (result?.created === false) throw new TributaryError('TOPIC_ALREADY_EXISTS', `Topic '${t.name}' already exists.`)
    if (version < 5) return { name: t.name, errorCode: 0, errorMessage: null }
    return { name: t.name, errorCode: 0, errorMessage: null, ...(await describeCreated(ctx, t.name, spec, validateOnly)) }
  } catch (error) {
    return {
      name: t.name,
      topicId: ZERO_UUID,
      errorCode: errorCodeFor(ctx, error, 'CreateTopics'),
      errorMessage: errorMessageOf(error),
      configs: null,
    }
  }
}

/** describeCreated answers v5+'s partition count, replication factor and configs of the new topic. */
async function describeCreated(ctx: RequestContext, name: string, spec: CreateTopicSpec, validateOnly: boolean) {
  if (validateOnly)
    return { topicId: ZERO_UUID, numPartitions: spec.numPartitions ?? -1, replicationFactor: spec.replicationFactor ?? -1, configs: null }
  const meta = await ctx.server.broker.metadata({ topics: [name] })
  const topic = meta.topics[0]
  const configs = await describeTopicConfigs(ctx, name)
  return {
    topicId: topic && isUuid(topic.topicId) ? topic.topicId : ZERO_UUID,
    numPartitions: topic?.partitions.length ?? -1,
    replicationFactor: topic?.partitions[0]?.replicas.length ?? -1,
    configs: configs.map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: false })),
  }
}
