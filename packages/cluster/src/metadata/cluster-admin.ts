import { randomUUID } from 'node:crypto'
import {
  TributaryError,
  describeTopicConfig,
  resolveTopicConfig,
  type ClusterMetadata,
  type CreateTopicResult,
  type CreateTopicSpec,
  type MetadataRequest,
  type NodeInfo,
  type ProducerIdentity,
} from '@tributary/core'
import {
  applyConfigChanges,
  checkCreateTopicsRequest,
  checkMetadataRequest,
  checkPartitionIncrease,
  checkTopicSpec,
} from '@tributary/core/internal'
import { key, type ClusterContext } from '../node/cluster-context'
import type { GroupRouter } from '../paths/group-router'
import type { MetadataGroup } from './metadata-group'
import { placeReplicas, type BrokerAddress, type ClusterTopic } from './metadata-state'

/**
 * ClusterAdmin serves the metadata and the topic admin calls (topics, partitions, configs,
 * producer ids): reads from the local copy of the metadata, changes on the metadata leader.
 */
export class ClusterAdmin {
  constructor(
    private readonly ctx: ClusterContext,
    private readonly meta: MetadataGroup,
    private readonly groups: GroupRouter,
  ) {}

  async metadata(input?: MetadataRequest): Promise<ClusterMetadata> {
    const { ctx } = this
    ctx.assertOpen()
    const request = checkMetadataRequest(input)
    // A node behind on the metadata (just restarted, or cut off) would call an existing topic
    // unknown or leave it out of a listing: first it catches up with the leader, or answers
    // LEADER_NOT_AVAILABLE (retriable), which beats a false "unknown topic".
    if (request.topics === undefined || request.topics.some((n) => !ctx.state.topics.has(n))) await this.meta.catchUp()
    const names = request.topics ?? [...ctx.state.topics.keys()].sort()
    const missing = names.filter((n) => !ctx.state.topics.has(n))
    if (missing.length > 0 && request.allowAutoTopicCreation && ctx.options.autoCreateTopics) {
      await this.createTopics(missing.map((topic) => ({ topic })))
    }
    const topics = names.map((name) => {
      const t = ctx.state.topics.get(name)
      if (!t) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${name}'`, { details: { topic: name } })
      return {
        name,
        topicId: t.topicId,
        isInternal: false,
        partitions: t.replicas.map((current, partition) => {
          const local = ctx.replicas.get(key(name, partition))
          // A partition hosted elsewhere: its preferred replica, which leads it unless it failed over.
          const leader = (local === undefined ? ctx.guessLeader(name, partition) : local.leader()) || -1
          const replicas = ctx.state.hostsOf(name, partition)
          return { partition, leader, replicas, isr: local?.isReady() ? local.inSyncReplicas() : current, offlineReplicas: [] }
        }),
      }
    })
    const brokers = this.brokerList()
    return { clusterId: ctx.state.clusterId, controllerId: this.meta.status().leader || -1, brokers, topics }
  }

  async createTopics(specs: CreateTopicSpec[], options: { validateOnly?: boolean } = {}): Promise<CreateTopicResult[]> {
    this.ctx.assertOpen()
    checkCreateTopicsRequest(specs)
    const results = await this.meta.onLeader('createTopics', [specs, options], async () => {
      const out: CreateTopicResult[] = []
      for (const spec of checkCreateTopicsRequest(specs)) {
        try {
          out.push({ topic: spec.topic, created: await this.createTopic(spec, options.validateOnly === true) })
        } catch (error) {
          if (!(error instanceof TributaryError)) throw error
          out.push({ topic: spec?.topic, created: false, error })
        }
      }
      return out
    })
    // Wait (bounded) for the new partitions hosted here to elect leaders, so that the first
    // produce does not have to retry.
    await this.ctx.waitFor(() => specs.every((s) => this.topicLeadersKnown(s.topic)), 3000)
    return results
  }

  async deleteTopics(topics: string[]): Promise<void> {
    this.ctx.assertOpen()
    await this.meta.onLeader('deleteTopics', [topics], async () => {
      for (const name of topics) this.ctx.requireTopic(name)
      for (const name of topics) {
        await this.meta.propose({ op: 'deleteTopic', name })
        await this.groups.current()?.onTopicDeleted(name)
      }
    })
  }

  async createPartitions(topic: string, totalCount: number, options: { validateOnly?: boolean } = {}): Promise<void> {
    this.ctx.assertOpen()
    await this.meta.onLeader('createPartitions', [topic, totalCount, options], async () => {
      const t = this.ctx.requireTopic(topic)
      checkPartitionIncrease(topic, t.replicas.length, totalCount, this.ctx.options.maxPartitionsPerTopic)
      if (options.validateOnly) return
      const rf = t.replicas[0]?.length ?? 1
      await this.meta.propose({
        op: 'addPartitions',
        name: topic,
        replicas: placeReplicas(this.ctx.nodeIds(), t.replicas.length, totalCount - t.replicas.length, rf, hash(t.topicId)),
      })
      this.groups.current()?.onPartitionsChanged(topic)
    })
  }

  async describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    this.ctx.assertOpen()
    return describeTopicConfig(this.ctx.requireTopic(topic).configs)
  }

  async alterConfigs(
    topic: string,
    entries: Array<{ name: string; value: string | null }>,
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    this.ctx.assertOpen()
    await this.meta.onLeader('alterConfigs', [topic, entries, options], async () => {
      const configs = applyConfigChanges(this.ctx.requireTopic(topic).configs, entries)
      resolveTopicConfig(configs)
      if (!options.validateOnly) await this.meta.propose({ op: 'setConfigs', name: topic, configs })
    })
  }

  async initProducerId(): Promise<ProducerIdentity> {
    this.ctx.assertOpen()
    return this.meta.onLeader('initProducerId', [], async () => {
      const { result } = await this.meta.propose({ op: 'allocateProducerId' })
      return { producerId: result?.producerId ?? -1, producerEpoch: 0 }
    })
  }

  private async createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<boolean> {
    const { ctx } = this
    const nodes = ctx.nodeIds()
    const { numPartitions, maxPartitionsPerTopic, defaultReplicationFactor } = ctx.options
    const checked = checkTopicSpec(
      spec,
      { numPartitions, maxPartitionsPerTopic, defaultReplicationFactor, nodes: nodes.length },
      ctx.state.topics.keys(),
    )
    resolveTopicConfig(checked.configs)
    if (ctx.state.topics.has(checked.topic)) return false
    if (validateOnly) return true
    const topicId = randomUUID()
    const topic: ClusterTopic = {
      name: checked.topic,
      topicId,
      replicas: placeReplicas(nodes, 0, checked.numPartitions, checked.replicationFactor, hash(topicId)),
      configs: checked.configs,
      createdAtMs: ctx.options.clock.now(),
    }
    const { result } = await this.meta.propose({ op: 'createTopic', topic })
    return result?.created === true
  }

  /** topicLeadersKnown tells whether every partition of `topic` hosted here has a leader (true for an unknown topic). */
  private topicLeadersKnown(topic: string): boolean {
    const { ctx } = this
    const t = ctx.state.topics.get(topic)
    if (t === undefined) return true
    return t.replicas.every((_, p) => {
      const r = ctx.replicas.get(key(topic, p))
      return r === undefined ? !t.replicas[p]?.includes(ctx.nodeId) : r.leader() !== 0
    })
  }

  /** brokerList is this node, then every other registered node, as clients should dial them. */
  private brokerList(): NodeInfo[] {
    const { ctx } = this
    const others = ctx
      .nodeIds()
      .filter((id) => id !== ctx.nodeId)
      .sort((a, b) => a - b)
    const info = (nodeId: number, a: BrokerAddress | undefined): NodeInfo => ({ nodeId, host: a?.host ?? '', port: a?.port ?? 0 })
    return [info(ctx.nodeId, ctx.myAddress()), ...others.map((id) => info(id, ctx.addresses.get(id) ?? ctx.state.brokers.get(id)))]
  }
}

/** hash is a stable 32-bit string hash: the salt that spreads a topic's replica placement. */
function hash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0
  return h
}
