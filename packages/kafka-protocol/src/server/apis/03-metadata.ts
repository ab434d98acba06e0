/*
 * Metadata (key 3), served v0-12.
 *
 * Brokers are the nodes' Kafka listeners (the topology: this listener's advertised address on one
 * node), controllerId is the broker's controller (the node clients send topic admin to), and each
 * partition reports its real leader, replicas and ISR; a partition without a leader answers
 * LEADER_NOT_AVAILABLE (5). Leader epochs are not tracked: -1 (clients then skip epoch fencing).
 *
 * Topics: v0's empty list and v1+'s null mean every topic; v1+'s empty list means none; v10+ may
 * name topics by id. An unknown topic is created when the request allows it (implied for v0-3,
 * the AllowAutoTopicCreation flag from v4) and the broker's auto-creation is on; as Kafka, the
 * request that creates it gets LEADER_NOT_AVAILABLE and no partitions, and the client's retry sees
 * them (librdkafka and kcat rely on this). Otherwise UNKNOWN_TOPIC_OR_PARTITION (3), or
 * INVALID_TOPIC_EXCEPTION (17) for an illegal name.
 *
 * With an ACL (see KafkaServerOptions.acl): every topic means every topic the principal may
 * describe; a named one it may not is TOPIC_AUTHORIZATION_FAILED (29); an unknown one is created
 * on first use only if it may create it. Brokers are listed to every principal.
 */
import type { ClusterMetadata, TopicMetadata } from '@tributary/core'
import { TributaryError, validateTopicName } from '@tributary/core'
import { ZERO_UUID, isUuid } from '../../codec/uuid'
import { Metadata } from '../../messages'
import type { MetadataResponse } from '../../messages/03-metadata'
import { type RequestContext, errorCodeFor } from '../context'
import { serveApi } from '../served-api'

type TopicOut = Partial<MetadataResponse['topics'][number]>

const LEADER_NOT_AVAILABLE = 5
const UNKNOWN_TOPIC_ID = 100

/** metadataApi answers Metadata. */
export const metadataApi = serveApi({
  api: Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(req, ctx) {
    const { broker, topology } = ctx.server
    const v = req.apiVersion
    const requested = req.body.topics
    const all = requested === null || (v === 0 && requested.length === 0)
    const allowAutoCreate = v < 4 || req.body.allowAutoTopicCreation
    let cluster: ClusterMetadata
    let topics: TopicOut[]
    if (all) {
      cluster = await broker.metadata()
      // As Kafka: all topics means all the principal may describe.
      topics = cluster.topics.filter((t) => ctx.may('describe', t.name)).map(describeTopic)
    } else {
      const byId = requested.some((t) => t.name === null) ? await broker.metadata() : null
      cluster = byId ?? (await broker.metadata({ topics: [] }))
      topics = await describeNamed(ctx, requested, byId, allowAutoCreate)
    }
    return {
      throttleTimeMs: 0,
      brokers: topology.brokers(cluster).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: null })),
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      topics,
    }
  },
})

/** describeNamed answers the topics a request names, creating unknown ones where allowed. */
async function describeNamed(
  ctx: RequestContext,
  requested: ReadonlyArray<{ name: string | null; topicId: string }>,
  all: ClusterMetadata | null,
  allowAutoCreate: boolean,
): Promise<TopicOut[]> {
  const { broker } = ctx.server
  const names: string[] = []
  const out: TopicOut[] = []
  for (const t of requested) {
    if (t.name !== null) {
      const refused = ctx.refusal('describe', t.name)
      if (refused !== null) out.push(failedTopic(ctx, t.name, refused))
      else if (!names.includes(t.name)) names.push(t.name)
      continue
    }
    const found = all?.topics.find((m) => m.topicId === t.topicId && ctx.may('describe', m.name))
    out.push(found ? describeTopic(found) : { errorCode: UNKNOWN_TOPIC_ID, name: null, topicId: t.topicId, partitions: [] })
  }
  if (names.length === 0) return out
  try {
    // Almost always every topic exists: one call. Otherwise each topic on its own, to answer each.
    const known = await broker.metadata({ topics: names })
    return [...out, ...known.topics.map(describeTopic)]
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error
  }
  for (const name of names) out.push(await describeOne(ctx, name, allowAutoCreate))
  return out
}

async function describeOne(ctx: RequestContext, name: string, allowAutoCreate: boolean): Promise<TopicOut> {
  const { broker } = ctx.server
  try {
    validateTopicName(name)
    const m = await broker.metadata({ topics: [name] })
    return describeTopic(m.topics[0] as TopicMetadata)
  } catch (error) {
    const unknown = error instanceof TributaryError && error.code === 'UNKNOWN_TOPIC_OR_PARTITION'
    // Created on first use only for a principal that may create it (else it stays unknown).
    if (!unknown || !allowAutoCreate || !ctx.may('createTopics', name)) return failedTopic(ctx, name, error)
  }
  try {
    await broker.metadata({ topics: [name], allowAutoTopicCreation: true })
    ctx.connection.log.info('created a topic on first use (auto.create.topics.enable)', { topic: name })
    return { errorCode: LEADER_NOT_AVAILABLE, name, topicId: ZERO_UUID, isInternal: false, partitions: [] }
  } catch (error) {
    return failedTopic(ctx, name, error)
  }
}

function failedTopic(ctx: RequestContext, name: string, error: unknown): TopicOut {
  return { errorCode: errorCodeFor(ctx, error, 'Metadata'), name, topicId: ZERO_UUID, isInternal: false, partitions: [] }
}

function describeTopic(t: TopicMetadata): TopicOut {
  return {
    errorCode: 0,
    name: t.name,
    topicId: isUuid(t.topicId) ? t.topicId : ZERO_UUID,
    isInternal: t.isInternal,
    partitions: t.partitions.map((p) => ({
      errorCode: p.leader < 0 ? LEADER_NOT_AVAILABLE : 0,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: -1,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.offlineReplicas,
    })),
  }
}
