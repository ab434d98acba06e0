import { TributaryError, systemClock } from '@tributary/core'
import type { Admin, ConfigDescription } from '../admin'
import { backoffMs, sleep } from '../retry'
import type { ClientLease } from './backend'
import { mergeRetry, toTributaryRetry, type FacadeContext } from './config'
import {
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  type KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSTimeout,
  afterRetries,
  nonRetriable,
  notImplemented,
  toKafkaJSError,
  type DeleteGroupsResult,
  type KafkaJSProtocolError,
} from './errors'
import { AdminEvents, InstrumentationEmitter } from './events'
import type { Logger } from './logger'
import { EARLIEST_OFFSET, LATEST_OFFSET, parseOffset } from './offsets'
import { toKafkaGroup } from './payloads'
import { checkCreatePartitions, checkCreateTopics, checkResources } from './admin-checks'
import { ConfigResourceTypes } from './constants'
import type { GroupDescription, InstrumentationListener, PartitionMetadata, RetryOptions } from './types'

/** ITopicConfig is one topic for createTopics. */
export interface ITopicConfig {
  topic: string
  numPartitions?: number
  replicationFactor?: number
  replicaAssignment?: Array<{ partition: number; replicas: number[] }>
  configEntries?: Array<{ name: string; value: string }>
}

type SeekEntry = { partition: number; offset: string }
/** DescribeConfigsResult is describeConfigs' answer, typed as KafkaJS declares it. */
type DescribeConfigsResult = {
  resources: Array<Omit<ConfigDescription, 'errorMessage'> & { errorMessage: string }>
  throttleTime: number
}
type ConfigResource = { type: number; name: string; configNames?: string[] }
type AlterResource = { type: number; name: string; configEntries: Array<{ name: string; value: string }> }

/** KafkaJS's default wait for new topics' leaders, in ms. */
const DEFAULT_LEADER_WAIT_MS = 5_000

/**
 * KafkaAdmin is `kafka.admin()`: KafkaJS's admin on Tributary's, with KafkaJS's checks, result
 * shapes (string offsets), retries of retriable errors and error classes. ACL calls are not
 * supported (Tributary has no ACLs) and throw KafkaJSNotImplemented.
 */
export class KafkaAdmin {
  /** events names what `on()` accepts. */
  readonly events = AdminEvents
  private readonly log: Logger
  private readonly emitter: InstrumentationEmitter<typeof AdminEvents>
  private readonly retry: ReturnType<typeof mergeRetry>
  private lease: ClientLease | null = null
  private admin: Admin | null = null
  private connecting: Promise<Admin> | null = null

  /** Use `kafka.admin(config)`. */
  constructor(
    private readonly ctx: FacadeContext,
    config: { retry?: RetryOptions } = {},
  ) {
    this.log = ctx.logger.namespace('Admin')
    this.emitter = new InstrumentationEmitter(AdminEvents, 'admin', this.log)
    this.retry = mergeRetry(ctx.retry, config?.retry)
  }

  /** connect opens the admin's Tributary and emits admin.connect. */
  async connect(): Promise<void> {
    await this.ensureConnected()
    this.emitter.emit(AdminEvents.CONNECT)
  }

  /** disconnect closes the admin's Tributary (if it owns one) and emits admin.disconnect. */
  async disconnect(): Promise<void> {
    const lease = this.lease
    this.lease = null
    this.admin = null
    this.connecting = null
    try {
      await lease?.release()
    } catch (error) {
      throw toKafkaJSError(error)
    }
    this.emitter.emit(AdminEvents.DISCONNECT)
  }

  /** on registers an instrumentation listener and returns its remover. */
  on(eventName: (typeof AdminEvents)[keyof typeof AdminEvents], listener: InstrumentationListener): () => void {
    return this.emitter.on(eventName, listener)
  }

  /** logger is this admin's logger (namespace 'Admin'). */
  logger(): Logger {
    return this.log
  }

  /** listTopics names every topic (Tributary's internal topics are not listed). */
  listTopics(): Promise<string[]> {
    return this.call((a) => a.listTopics(), false)
  }

  /**
   * createTopics creates topics and resolves true, or false when every one that failed already
   * existed; with waitForLeaders (default) it waits until every new partition has a leader.
   */
  async createTopics({
    topics,
    validateOnly,
    timeout,
    waitForLeaders = true,
  }: {
    topics: ITopicConfig[]
    validateOnly?: boolean
    waitForLeaders?: boolean
    timeout?: number
  }): Promise<boolean> {
    checkCreateTopics(topics)
    const specs = topics.map(({ replicaAssignment: _ignored, ...spec }) => spec)
    const created = await this.call((a) => a.createTopics({ topics: specs, validateOnly }), false)
    if (waitForLeaders && !validateOnly)
      await this.waitForLeaders(
        topics.map((t) => t.topic),
        timeout ?? DEFAULT_LEADER_WAIT_MS,
      )
    return created
  }

  /** deleteTopics deletes topics and their data. */
  async deleteTopics({ topics }: { topics: string[]; timeout?: number }): Promise<void> {
    if (!Array.isArray(topics)) throw nonRetriable(`Invalid topics array ${String(topics)}`)
    if (topics.some((t) => typeof t !== 'string')) throw nonRetriable('Invalid topics array, the names must be a valid string')
    await this.call((a) => a.deleteTopics({ topics }), true)
  }

  /** createPartitions raises topics' partition counts to `count`. Resolves true (KafkaJS's declared type). */
  async createPartitions({
    topicPartitions,
    validateOnly,
  }: {
    topicPartitions: Array<{ topic: string; count: number; assignments?: number[][] }>
    validateOnly?: boolean
    timeout?: number
  }): Promise<boolean> {
    checkCreatePartitions(topicPartitions)
    const entries = topicPartitions.map(({ topic, count }) => ({ topic, count }))
    await this.call((a) => a.createPartitions({ topicPartitions: entries, validateOnly }), false)
    return true
  }

  /** fetchTopicMetadata describes topics (all when none are named). */
  async fetchTopicMetadata({
    topics = [],
  }: {
    topics?: string[]
  } = {}): Promise<{ topics: Array<{ name: string; partitions: PartitionMetadata[] }> }> {
    for (const t of topics ?? []) if (!t || typeof t !== 'string') throw nonRetriable(`Invalid topic ${String(t)}`)
    const named = topics && topics.length > 0 ? topics : undefined
    const { topics: found } = await this.call((a) => a.fetchTopicMetadata(named ? { topics: named } : {}), false)
    return { topics: found.map((t) => ({ name: t.name, partitions: t.partitions })) }
  }

  /** fetchTopicOffsets lists each partition's offsets: `offset` and `high` the log end, `low` the log start (strings). */
  async fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>> {
    if (!topic || typeof topic !== 'string') throw nonRetriable(`Invalid topic ${String(topic)}`)
    const offsets = await this.call((a) => a.fetchTopicOffsets(topic), true)
    return offsets.map((o) => ({ partition: o.partition, offset: String(o.offset), high: String(o.high), low: String(o.low) }))
  }

  /** fetchTopicOffsetsByTimestamp gives, per partition, the first offset at or after `timestamp` (the log end if none). */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<{ partition: number; offset: string }>> {
    if (!topic || typeof topic !== 'string') throw nonRetriable(`Invalid topic ${String(topic)}`)
    const offsets = await this.call((a) => a.fetchTopicOffsetsByTimestamp(topic, timestamp), true)
    return offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) }))
  }

  /**
   * fetchOffsets gives a group's committed offsets ('-1': none) for `topics` (default: every topic
   * the group committed to). `resolveOffsets` turns '-1' into the log end and commits it, as KafkaJS does.
   */
  async fetchOffsets({
    groupId,
    topics,
    resolveOffsets = false,
  }: {
    groupId: string
    topics?: string[]
    resolveOffsets?: boolean
  }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata: string | null }> }>> {
    if (!groupId) throw nonRetriable(`Invalid groupId ${String(groupId)}`)
    if (topics !== undefined && topics !== null && !Array.isArray(topics)) throw nonRetriable('Expected topics array to be set')
    const named = topics && topics.length > 0 ? topics : undefined
    const fetched = await this.call((a) => a.fetchOffsets({ groupId, topics: named }), false)
    const out = fetched.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset), metadata: p.metadata ?? null })),
    }))
    if (!resolveOffsets) return out
    for (const t of out) {
      const ends = await this.fetchTopicOffsets(t.topic)
      for (const p of t.partitions) {
        const end = ends.find((e) => e.partition === p.partition)
        if (Number(p.offset) === LATEST_OFFSET) p.offset = end?.high ?? p.offset
        if (Number(p.offset) === EARLIEST_OFFSET) p.offset = end?.low ?? p.offset
      }
      await this.setOffsets({ groupId, topic: t.topic, partitions: t.partitions })
    }
    return out
  }

  /** resetOffsets moves a group with no running members to the log end (default) or start of every partition of `topic`. */
  async resetOffsets({ groupId, topic, earliest = false }: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    if (!groupId) throw nonRetriable(`Invalid groupId ${String(groupId)}`)
    if (!topic) throw nonRetriable(`Invalid topic ${String(topic)}`)
    await this.requireNoRunningMembers(groupId)
    await this.call((a) => a.resetOffsets({ groupId, topic, earliest }), false)
  }

  /** setOffsets commits offsets (strings; '-1' log end, '-2' log start) for a group with no running members. */
  async setOffsets({ groupId, topic, partitions }: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
    if (!groupId) throw nonRetriable(`Invalid groupId ${String(groupId)}`)
    if (!topic) throw nonRetriable(`Invalid topic ${String(topic)}`)
    if (!Array.isArray(partitions) || partitions.length === 0) throw nonRetriable('Invalid partitions')
    const wanted = partitions.map((p) => ({ partition: p.partition, offset: parseOffset(p.offset, 'offset', true) }))
    await this.requireNoRunningMembers(groupId)
    const ends = wanted.some((p) => p.offset < 0) ? await this.call((a) => a.fetchTopicOffsets(topic), true) : []
    const resolved = wanted.map(({ partition, offset }) => {
      const end = ends.find((e) => e.partition === partition)
      return { partition, offset: offset === LATEST_OFFSET ? (end?.high ?? 0) : offset === EARLIEST_OFFSET ? (end?.low ?? 0) : offset }
    })
    await this.call((a) => a.setOffsets({ groupId, topic, partitions: resolved }), false)
  }

  /** describeConfigs describes TOPIC resources in KafkaJS's shape (no synonyms); other resource types are refused. */
  async describeConfigs({
    resources,
    includeSynonyms,
  }: {
    resources: ConfigResource[]
    includeSynonyms?: boolean
  }): Promise<DescribeConfigsResult> {
    checkResources(resources, (r) => r.configNames === undefined || r.configNames === null || Array.isArray(r.configNames), 'configNames')
    // errorMessage is null without an error, as KafkaJS gives it (its declarations say string).
    return (await this.call((a) => a.describeConfigs({ resources, includeSynonyms }), false)) as DescribeConfigsResult
  }

  /**
   * alterConfigs sets TOPIC configs with the semantics of Kafka's AlterConfigs, which KafkaJS uses:
   * the given entries replace the topic's overrides, so an override not named is reset to its default.
   */
  async alterConfigs({ resources, validateOnly }: { resources: AlterResource[]; validateOnly?: boolean }) {
    checkResources(resources, (r) => Array.isArray(r.configEntries), 'configEntries')
    if (resources.some((r) => r.configEntries.some((e) => typeof e?.name !== 'string' || typeof e.value !== 'string')))
      throw nonRetriable('Invalid resource config value')
    const out = []
    for (const r of resources) {
      await this.call(async (a) => {
        if (r.type !== ConfigResourceTypes.TOPIC) return a.alterConfigs({ resources: [{ ...r, configEntries: r.configEntries }] })
        const [current] = (await a.describeConfigs({ resources: [{ type: r.type, name: r.name }] })).resources
        const named = new Set(r.configEntries.map((e) => e.name))
        const resets = (current?.configEntries ?? []).filter((e) => !e.isDefault && !named.has(e.configName))
        const entries = [...r.configEntries, ...resets.map((e) => ({ name: e.configName, value: null }))]
        return a.alterConfigs({ validateOnly, resources: [{ type: r.type, name: r.name, configEntries: entries }] })
      }, false)
      out.push({ errorCode: 0, errorMessage: null, resourceType: r.type, resourceName: r.name })
    }
    return { resources: out, throttleTime: 0 }
  }

  /** listGroups lists every group with its protocol type. */
  async listGroups(): Promise<{ groups: Array<{ groupId: string; protocolType: string }> }> {
    const { groups } = await this.call((a) => a.listGroups(), false)
    return { groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })) }
  }

  /** describeGroups describes groups as KafkaJS does (member metadata and assignment as protocol bytes). */
  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    const { groups } = await this.call((a) => a.describeGroups(groupIds), false)
    return { groups: groups.map(toKafkaGroup) }
  }

  /** deleteGroups deletes empty groups; throws KafkaJSDeleteGroupsError listing the groups that could not be deleted. */
  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    if (!Array.isArray(groupIds)) throw nonRetriable(`Invalid groupIds array ${String(groupIds)}`)
    if (groupIds.some((g) => typeof g !== 'string')) throw nonRetriable('Invalid groupId name')
    const admin = await this.ensureConnected()
    const results: DeleteGroupsResult[] = []
    for (const groupId of groupIds) {
      try {
        await admin.deleteGroups([groupId])
        results.push({ groupId, errorCode: 0 })
      } catch (error) {
        const converted = toKafkaJSError(error) as KafkaJSProtocolError
        results.push({ groupId, errorCode: converted.code ?? -1, error: converted })
      }
    }
    const failed = results.filter((r) => r.errorCode !== 0)
    if (failed.length > 0) throw new KafkaJSDeleteGroupsError('Error in DeleteGroups', failed)
    return results
  }

  /** deleteTopicRecords deletes records before each given offset ('-1': the log end); throws KafkaJSDeleteTopicRecordsError per failed partition. */
  async deleteTopicRecords({ topic, partitions }: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    if (!topic || typeof topic !== 'string') throw nonRetriable(`Invalid topic "${String(topic)}"`)
    if (!Array.isArray(partitions) || partitions.length === 0) throw nonRetriable('Invalid partitions')
    const wanted = partitions.map((p) => ({ topic, partition: p.partition, offset: parseOffset(p.offset, 'offset', true) }))
    await this.ensureConnected()
    const broker = (this.lease as ClientLease).tb.broker
    const results = await this.call(() => broker.deleteRecords(wanted), false)
    const failed = results.flatMap((r, i) =>
      r.error
        ? [{ partition: r.partition, offset: (partitions[i] as SeekEntry).offset, error: toKafkaJSError(r.error) as KafkaJSError }]
        : [],
    )
    if (failed.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: failed })
  }

  /** describeCluster names the cluster, its brokers and the controller (null when unknown). */
  async describeCluster(): Promise<{
    brokers: Array<{ nodeId: number; host: string; port: number }>
    controller: number | null
    clusterId: string
  }> {
    const d = await this.call((a) => a.describeCluster(), false)
    return { brokers: d.brokers, controller: d.controller < 0 ? null : d.controller, clusterId: d.clusterId }
  }

  /** alterPartitionReassignments moves partitions' replicas (Tributary clusters; a single node refuses). */
  async alterPartitionReassignments({
    topics,
  }: {
    topics: Array<{ topic: string; partitionAssignment: Array<{ partition: number; replicas: number[] }> }>
    timeout?: number
  }): Promise<void> {
    if (!Array.isArray(topics)) throw nonRetriable(`Invalid topics array ${String(topics)}`)
    await this.call((a) => a.alterPartitionReassignments({ topics }), false)
  }

  /**
   * listPartitionReassignments lists moves in progress, of `topics` only when given. Each partition
   * has `partition` (what KafkaJS gives at run time) and `partitionIndex` (what its types declare).
   */
  async listPartitionReassignments({
    topics = null,
  }: {
    topics?: Array<{ topic: string; partitions: number[] }> | null
    timeout?: number
  } = {}): Promise<{
    topics: Array<{
      topic: string
      partitions: Array<{
        partition: number
        partitionIndex: number
        replicas: number[]
        addingReplicas: number[]
        removingReplicas: number[]
      }>
    }>
  }> {
    const all = await this.call((a) => a.listPartitionReassignments(), false)
    const wanted = (topic: string, partition: number) =>
      topics === null || topics.some((w) => w.topic === topic && w.partitions.includes(partition))
    return {
      topics: all.topics
        .map((t) => ({
          topic: t.topic,
          partitions: t.partitions.filter((p) => wanted(t.topic, p.partition)).map((p) => ({ ...p, partitionIndex: p.partition })),
        }))
        .filter((t) => t.partitions.length > 0),
    }
  }

  /** createAcls is not supported: Tributary has no ACLs. */
  async createAcls(_options: { acl: unknown[] }): Promise<boolean> {
    throw notImplemented('createAcls: Tributary has no ACLs')
  }

  /** describeAcls is not supported: Tributary has no ACLs. */
  async describeAcls(_options: unknown): Promise<never> {
    throw notImplemented('describeAcls: Tributary has no ACLs')
  }

  /** deleteAcls is not supported: Tributary has no ACLs. */
  async deleteAcls(_options: { filters: unknown[] }): Promise<never> {
    throw notImplemented('deleteAcls: Tributary has no ACLs')
  }

  // ---- internals --------------------------------------------------------------------------------

  private ensureConnected(): Promise<Admin> {
    this.connecting ??= (async () => {
      const lease = await this.ctx.backend.open('admin', undefined)
      this.lease = lease
      this.admin = lease.tb.admin()
      return this.admin
    })().catch((error: unknown) => {
      this.connecting = null
      throw toKafkaJSError(error)
    })
    return this.connecting
  }

  /**
   * call runs `fn` on the admin, retrying retriable errors with the retry options as KafkaJS's
   * retrier does; UNKNOWN_TOPIC_OR_PARTITION is retried only where KafkaJS retries it (`unknownTopic`).
   * The error thrown is KafkaJS's (KafkaJSNumberOfRetriesExceeded once the retries are used up).
   */
  private async call<T>(fn: (admin: Admin) => Promise<T>, unknownTopic: boolean): Promise<T> {
    const admin = await this.ensureConnected()
    const retry = toTributaryRetry(this.retry)
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(admin)
      } catch (error) {
        const retriable =
          error instanceof TributaryError && error.retriable && (unknownTopic || error.code !== 'UNKNOWN_TOPIC_OR_PARTITION')
        if (!retriable) throw toKafkaJSError(error)
        if (attempt >= retry.retries) throw afterRetries(error, attempt)
        await sleep(systemClock, backoffMs(retry, attempt))
      }
    }
  }

  private async requireNoRunningMembers(groupId: string): Promise<void> {
    const { groups } = await this.call((a) => a.describeGroups([groupId]), false)
    const state = groups[0]?.state ?? 'Dead'
    if (state !== 'Empty' && state !== 'Dead') {
      throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${state}`)
    }
  }

  /** waitForLeaders polls metadata until every partition of `topics` has a leader, or throws KafkaJSTimeout. */
  private async waitForLeaders(topics: string[], timeoutMs: number): Promise<void> {
    const admin = await this.ensureConnected()
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const led = await admin
        .fetchTopicMetadata({ topics })
        .then((m) => m.topics.length === topics.length && m.topics.every((t) => t.partitions.every((p) => p.leader >= 0)))
        .catch(() => false)
      if (led) return
      if (Date.now() >= deadline) throw new KafkaJSTimeout('Timed out while waiting for topic leaders')
      await sleep(systemClock, 100)
    }
  }
}
