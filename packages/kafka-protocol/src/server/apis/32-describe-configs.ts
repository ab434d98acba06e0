/*
 * DescribeConfigs (key 32), served v0-4.
 *
 * Topics (resource type 2): every config Tributary has, with its value and where it comes from
 * (configSource 1 DYNAMIC_TOPIC_CONFIG when set on the topic, 5 DEFAULT_CONFIG otherwise; v0's
 * isDefault), its type (v3+) and documentation when asked (v3+), and synonyms when asked (v1+:
 * the topic's own entry). configurationKeys narrows the list; null asks for all. Brokers (type 4,
 * named by node id): this listener's settings (socket.request.max.bytes, max.connections,
 * connections.max.idle.ms, sasl.enabled.mechanisms, node.id), read-only, STATIC_BROKER_CONFIG (4).
 * Other resource types: INVALID_REQUEST (42); an unknown topic UNKNOWN_TOPIC_OR_PARTITION (3).
 */
import { TributaryError } from '@tributary/core'
import { DescribeConfigs } from '../../messages'
import { type RequestContext, errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

/** ConfigSource numbers Kafka's DescribeConfigsResponse uses. */
const SOURCE = { topic: 1, staticBroker: 4, default: 5 } as const
/** ConfigType numbers (v3+): BOOLEAN 1, STRING 2, INT 3, LONG 5, LIST 7. */
const TYPES: Record<string, number> = {
  'retention.ms': 5,
  'retention.bytes': 5,
  'segment.bytes': 3,
  'segment.ms': 5,
  'index.interval.bytes': 3,
  'cleanup.policy': 7,
  'min.insync.replicas': 3,
  'max.message.bytes': 3,
  'delete.retention.ms': 5,
  'min.compaction.lag.ms': 5,
  'message.timestamp.type': 2,
  'socket.request.max.bytes': 3,
  'max.connections': 3,
  'connections.max.idle.ms': 5,
  'sasl.enabled.mechanisms': 7,
  'node.id': 3,
  'broker.id': 3,
}
const DOCS: Record<string, string> = {
  'retention.ms': 'How long a closed segment is kept before deletion (-1: forever).',
  'retention.bytes': 'Size a partition may reach before its oldest segments are deleted (-1: unlimited).',
  'segment.bytes': 'Size at which the active segment rolls.',
  'segment.ms': 'Age at which the active segment rolls.',
  'index.interval.bytes': 'Bytes between two entries of the sparse offset index.',
  'cleanup.policy': 'delete, compact, or both.',
  'min.insync.replicas': 'Replicas that must have an acks=all write.',
  'max.message.bytes': 'Largest record batch accepted.',
  'delete.retention.ms': 'How long tombstones survive in a compacted topic.',
  'min.compaction.lag.ms': 'Least time a record stays uncompacted.',
  'message.timestamp.type': 'CreateTime or LogAppendTime.',
}

/** ConfigOut is one described config. */
export interface ConfigOut {
  name: string
  value: string | null
  readOnly: boolean
  isDefault: boolean
  configSource: number
}

/** describeTopicConfigs lists a topic's configs with their sources (shared with CreateTopics v5+). */
export async function describeTopicConfigs(ctx: RequestContext, topic: string): Promise<ConfigOut[]> {
  const configs = await ctx.server.broker.describeConfigs(topic)
  return configs.map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: false,
    isDefault: c.isDefault,
    configSource: c.isDefault ? SOURCE.default : SOURCE.topic,
  }))
}

function describeBroker(ctx: RequestContext, name: string): ConfigOut[] {
  const { options, broker } = ctx.server
  if (name !== '' && name !== String(broker.nodeId))
    throw new TributaryError('INVALID_REQUEST', `this node is broker ${broker.nodeId}, not ${name}`)
  const entries: Array<[string, string]> = [
    ['node.id', String(broker.nodeId)],
    ['broker.id', String(broker.nodeId)],
    ['socket.request.max.bytes', String(options.maxRequestBytes)],
    ['max.connections', String(options.maxConnections)],
    ['connections.max.idle.ms', String(options.idleTimeoutMs)],
    ['sasl.enabled.mechanisms', options.sasl?.mechanisms.join(',') ?? ''],
  ]
  return entries.map(([n, value]) => ({ name: n, value, readOnly: true, isDefault: false, configSource: SOURCE.staticBroker }))
}

/** describeConfigsApi answers DescribeConfigs. */
export const describeConfigsApi = serveApi({
  api: DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { includeSynonyms, includeDocumentation } = req.body
    const results = []
    for (const r of req.body.resources) {
      try {
        let configs: ConfigOut[]
        if (r.resourceType === 2) {
          const refused = ctx.refusal('describe', r.resourceName)
          if (refused !== null) throw refused
          configs = await describeTopicConfigs(ctx, r.resourceName)
        } else if (r.resourceType === 4) configs = describeBroker(ctx, r.resourceName)
        else throw new TributaryError('INVALID_REQUEST', `resource type ${r.resourceType} is not supported (topics 2 and brokers 4 are)`)
        const keys = r.configurationKeys === null || r.configurationKeys.length === 0 ? null : new Set(r.configurationKeys)
        results.push({
          errorCode: 0,
          errorMessage: null,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: configs
            .filter((c) => keys === null || keys.has(c.name))
            .map((c) => ({
              ...c,
              isSensitive: false,
              synonyms: includeSynonyms ? [{ name: c.name, value: c.value, source: c.configSource }] : [],
              configType: TYPES[c.name] ?? 0,
              documentation: includeDocumentation ? (DOCS[c.name] ?? null) : null,
            })),
        })
      } catch (error) {
        results.push({
          errorCode: errorCodeFor(ctx, error, 'DescribeConfigs'),
          errorMessage: errorMessageOf(error),
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [],
        })
      }
    }
    return { throttleTimeMs: 0, results }
  },
})
