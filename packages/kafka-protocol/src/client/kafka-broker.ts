import {
  type Broker,
  type Clock,
  type ClusterMetadata,
  type CreateTopicResult,
  type CreateTopicSpec,
  type FetchPartitionResult,
  type FetchRequest,
  type GroupAssignment,
  type GroupDescription,
  type GroupListing,
  type GroupMemberRef,
  type JoinGroupRequest,
  type JoinGroupResult,
  type LeaveGroupRequest,
  type ListOffsetsPartitionRequest,
  type ListOffsetsPartitionResult,
  type MetadataRequest,
  type OffsetCommitRequest,
  type OffsetFetchResult,
  type ProducePartitionResult,
  type ProduceRequest,
  type ProducerIdentity,
  type SyncGroupRequest,
  type TopicPartition,
  TributaryError,
  systemClock,
} from '@tributary/core'
import {
  checkFetchRequest,
  checkPartitionRequests,
  checkProduceRequest,
  failedDeleteRecords,
  failedFetch,
  failedListOffset,
  failedProduce,
  fetchHasEnough,
} from '@tributary/core/internal'
import { errorFromKafkaCode } from '../error-codes'
import * as admin from './admin-calls'
import { ClusterConnections } from './cluster-connections'
import { KafkaContext } from './context'
import { Coordinators } from './coordinators'
import { FetchLanes } from './fetch-lanes'
import * as groups from './group-calls'
import { MetadataCache } from './metadata-cache'
import { fetchOffsetError, producedBatchError, timestampError } from './request-checks'
import { Router } from './router'
import { type KafkaClientOptions, type ResolvedKafkaClientOptions, resolveKafkaClientOptions } from './options'
import { type MetadataSnapshot, type TopicSnapshot, metadataRequest, parseMetadata, toClusterMetadata } from './requests/metadata'
import {
  type DeleteRecordsResult,
  deleteRecordsRequest,
  emptyFetch,
  listOffsetsRequest,
  parseDeleteRecords,
  parseListOffsets,
  parseProduce,
  produceRequest,
} from './requests/partitions'

/** How long metadata asks again for partitions without a leader before answering them as they are (leader -1). */
const LEADERLESS_WAIT_MS = 1_000

/** NEVER is a signal that never aborts (for fetches that do not wait). */
const NEVER = new AbortController().signal

/** Non-transactional idempotence: Java's producer sends this transaction timeout with a null transactional id. */
const NO_TRANSACTION_TIMEOUT_MS = 2_147_483_647

/**
 * KafkaBroker implements core's `Broker` contract over the Kafka wire protocol, against any Kafka
 * cluster (Apache Kafka, Redpanda, MSK, Confluent Cloud, or Tributary's own `tributary serve`), so
 * that `Tributary.connect({ kafka })` gives the usual producer, consumer and admin.
 *
 * - Cluster: bootstrapped from any listed broker, learnt through Metadata (MetadataCache);
 *   versions negotiated per connection (ApiVersions, ApiVersionTable).
 * - Routing: produce, fetch, listOffsets and deleteRecords are split by partition leader and sent
 *   to each leader in parallel, answers merged in request order; group calls go to the group's
 *   coordinator (Coordinators); topic admin to the controller. Kafka brokers do not forward.
 * - Errors: every Kafka error code becomes the TributaryError of the same name (as the embedded
 *   broker throws); per-partition errors come back in results. NOT_LEADER_OR_FOLLOWER,
 *   UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, a lost connection and the metadata age
 *   refresh the leaders; the producer and consumer retry with their own backoff.
 * - Connections (ClusterConnections, BrokerConnections): per broker one for produce and admin, one
 *   for the group, and leased ones for waits (fetch long polls, JoinGroup, SyncGroup), TLS and SASL.
 *
 * Batches cross a network: `verifiesFetchedBatches` is false, so the consumer checks their CRCs.
 */
export class KafkaBroker implements Broker {
  /** nodeId is -1: this broker stands for the whole Kafka cluster. */
  readonly nodeId = -1
  readonly verifiesFetchedBatches = false
  /** options are the resolved options (defaults filled in). */
  readonly options: ResolvedKafkaClientOptions
  private readonly ctx: KafkaContext
  private readonly lanes: FetchLanes
  private readonly router: Router
  private readonly load = (topics: string[]): Promise<MetadataSnapshot> => this.loadMetadata(topics, false)
  private closed = false

  /** @throws TributaryError INVALID_CONFIG for bad options (no connection is made until the first call). */
  constructor(options: KafkaClientOptions, clock: Clock = systemClock) {
    this.options = resolveKafkaClientOptions(options)
    const connections = new ClusterConnections(this.options, clock, (address) => {
      cache.markStale()
      coordinators.forgetAddress(address)
    })
    const cache = new MetadataCache(this.load, clock, this.options.metadataMaxAgeMs)
    const coordinators = new Coordinators(connections, (groupId) => this.findCoordinator(groupId), this.options, clock)
    this.ctx = new KafkaContext(this.options, clock, connections, cache, coordinators)
    this.lanes = new FetchLanes(cache)
    this.router = new Router(this.ctx)
  }

  /**
   * connect bootstraps now (reads the cluster's metadata) instead of on the first call, so that
   * a wrong address, a TLS or SASL failure shows at once.
   * @throws TributaryError NETWORK_EXCEPTION when no broker can be reached; SASL_AUTHENTICATION_FAILED; …
   */
  async connect(): Promise<void> {
    this.assertOpen()
    const snapshot = await this.loadMetadata([], false)
    this.ctx.cache.update(snapshot, [])
  }

  // ---- metadata ---------------------------------------------------------------------------------

  /**
   * metadata describes the cluster and topics (all when `topics` is omitted). An unknown topic is
   * UNKNOWN_TOPIC_OR_PARTITION, unless `allowAutoTopicCreation` and the cluster creates it
   * (auto.create.topics.enable): then it waits for the new topic's partitions.
   */
  async metadata(request: MetadataRequest = {}): Promise<ClusterMetadata> {
    this.assertOpen()
    const topics = request.topics
    if (topics !== undefined && (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string')))
      throw new TributaryError('INVALID_REQUEST', 'metadata topics must be an array of topic names')
    const deadline = this.ctx.deadline()
    const leaderlessUntil = this.ctx.clock.now() + LEADERLESS_WAIT_MS
    for (let attempt = 0; ; attempt++) {
      const snapshot = await this.loadMetadata(topics, request.allowAutoTopicCreation === true)
      this.ctx.cache.update(snapshot, topics)
      const selected: TopicSnapshot[] = []
      let waitFor: string | null = null
      if (topics === undefined) selected.push(...snapshot.topics.filter((t) => t.error === null))
      for (const name of topics ?? []) {
        const t = snapshot.topics.find((x) => x.name === name)
        const code = t === undefined ? 'UNKNOWN_TOPIC_OR_PARTITION' : t.error?.code
        if (t !== undefined && code === undefined && t.partitions.length > 0) selected.push(t)
        else if (code === 'LEADER_NOT_AVAILABLE' || (t !== undefined && code === undefined)) waitFor ??= name
        else if (code === 'UNKNOWN_TOPIC_OR_PARTITION') throw unknownTopic(name)
        else if (t?.error) throw t.error
      }
      // A broker may not know a new leader yet (the answering broker's metadata lags an election or
      // a creation): asked again for a moment, then answered as it is (leader -1).
      const leaderless = selected.some((t) => t.partitions.some((p) => p.leader < 0))
      if (waitFor === null && (!leaderless || this.ctx.clock.now() >= leaderlessUntil)) return toClusterMetadata(snapshot, selected)
      // A topic being created (auto-creation answers LEADER_NOT_AVAILABLE until it has partitions).
      if (waitFor !== null && this.ctx.clock.now() >= deadline)
        throw new TributaryError('LEADER_NOT_AVAILABLE', `topic '${waitFor}' has no partitions yet`, { details: { topic: waitFor } })
      await this.ctx.backoff(Math.min(attempt, 3))
    }
  }

  // ---- producer ids and produce ------------------------------------------------------------------

  /** initProducerId hands out an idempotent producer identity (InitProducerId with no transactional id). */
  async initProducerId(): Promise<ProducerIdentity> {
    this.assertOpen()
    const { body } = await this.ctx.sendAny(22, {
      transactionalId: null,
      transactionTimeoutMs: NO_TRANSACTION_TIMEOUT_MS,
      producerId: -1,
      producerEpoch: -1,
    })
    const error = errorFromKafkaCode(body.errorCode, null)
    if (error) throw error
    return { producerId: body.producerId, producerEpoch: body.producerEpoch }
  }

  /**
   * produce sends each batch to its partition's leader as the producer encoded it (idempotence
   * fields, compression and all). With acks=0 Kafka sends no answer: results carry offset -1. A
   * partition named twice is sent twice, in order (Kafka's requests name a partition once).
   */
  async produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    this.assertOpen()
    const { acks, timeoutMs } = checkProduceRequest(request)
    if (request.partitions.length === 0) return []
    return this.router.routed(
      request.partitions,
      async (broker, part): Promise<ProducePartitionResult[]> => {
        const response = await this.ctx.send(broker, 'data', 0, produceRequest(acks, timeoutMs, part), {
          extraWaitMs: timeoutMs,
          noResponse: acks === 0,
        })
        if (acks === 0)
          return part.map((p) => ({ topic: p.topic, partition: p.partition, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 }))
        return parseProduce(response.body, part)
      },
      failedProduce,
      { check: (p) => producedBatchError(p.batch) },
    )
  }

  // ---- fetch and offsets ------------------------------------------------------------------------

  /**
   * fetch long-polls every leader at once, each for its own partitions, each on a connection of
   * its own. The first part that has `minBytes` (or an error) ends the others' waits: they answer
   * with no data at once, and their requests stay at the broker for the next fetch to join (see
   * FetchLanes). Aborting `signal` ends every wait the same way. `maxBytes` is shared out by
   * partition count.
   */
  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    this.assertOpen()
    const { maxWaitMs, minBytes, maxBytes } = checkFetchRequest(request)
    const { partitions, signal } = request
    if (partitions.length === 0) return []
    // cancel ends the other parts' waits once one part has enough (or fails), or `signal` aborts.
    const cancel = new AbortController()
    const onAbort = (): void => cancel.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    // Already aborted, or a partition refused before sending: no part waits (what is there now is answered).
    let noWait = signal?.aborted === true
    try {
      return await this.router.routed(
        partitions,
        async (broker, part) => {
          const share = Math.max(1, Math.floor((maxBytes * part.length) / partitions.length))
          const limits = { maxWaitMs: noWait ? 0 : maxWaitMs, minBytes, maxBytes: share }
          try {
            const results = await this.lanes.fetch(broker, part, limits, noWait ? NEVER : cancel.signal)
            if (results === null) return part.map(emptyFetch)
            if (fetchHasEnough(results, minBytes) || results.some((r) => r.error)) cancel.abort()
            return results
          } catch (error) {
            cancel.abort()
            throw error
          }
        },
        failedFetch,
        {
          check: (p) => fetchOffsetError(p.topic, p.partition, p.offset),
          parallelRounds: true,
          onEarlyError: () => {
            noWait = true
          },
        },
      )
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** listOffsets asks each leader for offsets by timestamp; a moved leader is found again and asked once more. */
  async listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    this.assertOpen()
    checkPartitionRequests(partitions, 'listOffsets partitions')
    return this.router.routedWithRetry(
      partitions,
      async (broker, part) => {
        const { body, version } = await this.ctx.send(broker, 'data', 2, listOffsetsRequest(part, this.options.requestTimeoutMs))
        return parseListOffsets(body, version, part)
      },
      failedListOffset,
      { check: (p) => timestampError(p.timestamp) },
    )
  }

  /** deleteRecords moves partitions' log start offsets forward at their leaders (-1: to the high watermark). */
  async deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>): Promise<DeleteRecordsResult[]> {
    this.assertOpen()
    checkPartitionRequests(partitions, 'deleteRecords partitions')
    return this.router.routedWithRetry(
      partitions,
      async (broker, part) => {
        const { body } = await this.ctx.send(broker, 'data', 21, deleteRecordsRequest(part, this.options.requestTimeoutMs), {
          extraWaitMs: this.options.requestTimeoutMs,
        })
        return parseDeleteRecords(body, part)
      },
      failedDeleteRecords,
      { check: (p) => (p.offset === -1 ? null : fetchOffsetError(p.topic, p.partition, p.offset)) },
    )
  }

  // ---- topic admin (at the controller) -----------------------------------------------------------

  createTopics(topics: CreateTopicSpec[], options?: { validateOnly?: boolean }): Promise<CreateTopicResult[]> {
    this.assertOpen()
    return admin.createTopics(this.ctx, this.load, topics, options)
  }
  deleteTopics(topics: string[]): Promise<void> {
    this.assertOpen()
    return admin.deleteTopics(this.ctx, this.load, topics)
  }
  createPartitions(topic: string, totalCount: number, options?: { validateOnly?: boolean }): Promise<void> {
    this.assertOpen()
    return admin.createPartitions(this.ctx, this.load, topic, totalCount, options)
  }
  describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    this.assertOpen()
    return admin.describeConfigs(this.ctx, topic)
  }
  alterConfigs(topic: string, entries: Array<{ name: string; value: string | null }>, options?: { validateOnly?: boolean }): Promise<void> {
    this.assertOpen()
    return admin.alterConfigs(this.ctx, topic, entries, options)
  }

  // ---- consumer groups (at the coordinator) -------------------------------------------------------

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    this.assertOpen()
    return groups.joinGroup(this.ctx, request)
  }
  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment> {
    this.assertOpen()
    return groups.syncGroup(this.ctx, request)
  }
  heartbeat(request: GroupMemberRef): Promise<void> {
    this.assertOpen()
    return groups.heartbeat(this.ctx, request)
  }
  leaveGroup(request: LeaveGroupRequest): Promise<void> {
    this.assertOpen()
    return groups.leaveGroup(this.ctx, request)
  }
  commitOffsets(request: OffsetCommitRequest): Promise<void> {
    this.assertOpen()
    return groups.commitOffsets(this.ctx, request)
  }
  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    this.assertOpen()
    return groups.fetchOffsets(this.ctx, groupId, partitions)
  }
  listGroups(): Promise<GroupListing[]> {
    this.assertOpen()
    return groups.listGroups(this.ctx)
  }
  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    this.assertOpen()
    return groups.describeGroups(this.ctx, groupIds)
  }
  deleteGroups(groupIds: string[]): Promise<void> {
    this.assertOpen()
    return groups.deleteGroups(this.ctx, groupIds)
  }

  /** close closes every connection; pending and later calls fail with CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.closed = true
    this.lanes.close()
    this.ctx.connections.close()
  }

  // ---- routing ------------------------------------------------------------------------------------

  /** loadMetadata asks any broker for `topics` (undefined: all) and learns the broker list from the answer. */
  private async loadMetadata(topics: readonly string[] | undefined, allowAutoTopicCreation: boolean): Promise<MetadataSnapshot> {
    const { body } = await this.ctx.sendAny(3, (version) => metadataRequest(topics, allowAutoTopicCreation, version))
    const snapshot = parseMetadata(body)
    this.ctx.connections.setBrokers(snapshot.brokers)
    return snapshot
  }

  /** findCoordinator asks any broker where `groupId`'s coordinator is ('host:port'). */
  private async findCoordinator(groupId: string): Promise<string> {
    const { body, version } = await this.ctx.sendAny(10, { key: groupId, keyType: 0, coordinatorKeys: [groupId] })
    const c = version >= 4 ? body.coordinators[0] : { ...body, key: groupId }
    if (c === undefined) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', `no coordinator for group '${groupId}'`)
    const error = errorFromKafkaCode(c.errorCode, c.errorMessage, { groupId })
    if (error) throw error
    return `${c.host}:${c.port}`
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the Kafka client is closed')
  }
}

function unknownTopic(topic: string): TributaryError {
  return new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${topic}'`, { details: { topic } })
}
