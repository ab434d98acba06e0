import {
  TributaryError,
  systemClock,
  type Broker,
  type ClusterMetadata,
  type Clock,
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
  type OngoingReassignment,
  type PartitionReassignment,
  type OffsetCommitRequest,
  type OffsetFetchResult,
  type ProducePartitionResult,
  type ProduceRequest,
  type ProducerIdentity,
  type SyncGroupRequest,
  type TopicPartition,
  type BrokerMethod,
  type BrokerRpc,
  type RpcArgs,
  type RpcResult,
} from '@tributary/core'
import { type CallOptions, checkFetchRequest, checkPartitionRequests, checkProduceRequest, fetchHasEnough } from '@tributary/core/internal'
import type { NodeConnection } from './connection'
import { ConnectionPool } from './connection-pool'
import { LeaderCache } from './leader-cache'
import { resolveConnectOptions, type ConnectOptions } from './options'

type DeleteRecordsResult = { topic: string; partition: number; lowWatermark: number; error?: TributaryError }

/** Per-partition errors that say the cached leader is wrong (UNKNOWN_TOPIC_OR_PARTITION too, for a topic the cache knows). */
const STALE_LEADER = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH'])
/** Calls that change nothing, so that one lost with its connection may be asked again of another node. */
const READ_ONLY: ReadonlySet<BrokerMethod> = new Set<BrokerMethod>([
  'metadata',
  'describeConfigs',
  'fetchOffsets',
  'listGroups',
  'describeGroups',
])

/**
 * RemoteBroker implements core's `Broker` contract over TCP against a cluster's nodes (each
 * ClusterNode serves it on its `listen` address), so `Tributary.connect` gives the usual producer,
 * consumer and admin API to an application that hosts no node.
 *
 * Routing. Partition calls (`produce`, `fetch`, `listOffsets`, `deleteRecords`) are split by the
 * partitions' leaders, as metadata reports them (see LeaderCache), each part sent on the
 * connection to its leader, and the answers merged back in request order. A partition whose
 * leader is unknown, or whose leader's node refuses connections, goes to any live node, which
 * forwards it. Every other call (metadata, admin, groups, producer ids) goes to any live node
 * (see ConnectionPool); nodes forward group calls to the coordinator and admin calls to the
 * metadata leader.
 *
 * Errors. A part lost with its connection (or timed out) comes back as a retriable per-partition
 * error, not as a failure of the whole call, so the other parts' answers are kept; the producer
 * and consumer retry those partitions. Per-partition errors that show a moved leader, and lost
 * connections, refresh the leaders before the next call. Errors thrown by a node arrive as the
 * TributaryErrors it threw (same code, retriable flag and details).
 *
 * Batches cross a network, so `verifiesFetchedBatches` is false: the consumer checks CRCs.
 */
export class RemoteBroker implements Broker {
  /** nodeId is -1: a remote broker stands for the whole cluster, not one node. */
  readonly nodeId = -1
  readonly verifiesFetchedBatches = false
  private readonly pool: ConnectionPool
  private readonly leaders: LeaderCache
  private closed = false

  /** @throws TributaryError INVALID_CONFIG for bad options (no connection is made until the first call). */
  constructor(options: ConnectOptions, clock: Clock = systemClock) {
    const resolved = resolveConnectOptions(options)
    this.pool = new ConnectionPool(resolved, clock, () => this.leaders.markStale())
    this.leaders = new LeaderCache(
      (topics) => this.anyCall('metadata', [{ topics }]),
      clock,
      resolved.metadataMaxAgeMs,
      (brokers) => this.pool.setBrokers(brokers),
      (address) => this.pool.isDown(address),
    )
  }

  async metadata(request?: MetadataRequest): Promise<ClusterMetadata> {
    const metadata = await this.anyCall('metadata', [request])
    this.leaders.update(metadata, request?.topics)
    return metadata
  }
  createTopics(topics: CreateTopicSpec[], options?: { validateOnly?: boolean }): Promise<CreateTopicResult[]> {
    return this.adminCall('createTopics', [topics, options])
  }
  deleteTopics(topics: string[]): Promise<void> {
    return this.adminCall('deleteTopics', [topics])
  }
  createPartitions(topic: string, totalCount: number, options?: { validateOnly?: boolean }): Promise<void> {
    return this.adminCall('createPartitions', [topic, totalCount, options])
  }
  describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    return this.anyCall('describeConfigs', [topic])
  }
  alterConfigs(topic: string, entries: Array<{ name: string; value: string | null }>, options?: { validateOnly?: boolean }): Promise<void> {
    return this.anyCall('alterConfigs', [topic, entries, options])
  }
  initProducerId(): Promise<ProducerIdentity> {
    return this.anyCall('initProducerId', [])
  }

  async produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    // The request is checked here first (as a node would), so that a malformed one fails as it
    // would in process, before any routing or timer depends on it.
    checkProduceRequest(request)
    // Nothing to route: the node still checks the request (acks, timeout) and answers.
    if (request.partitions.length === 0) return this.anyCall('produce', [request], { extraWaitMs: request.timeoutMs })
    return this.routed(
      request.partitions,
      // To a leader's own connection, a node that no longer leads answers NOT_LEADER_OR_FOLLOWER
      // (and the leaders are asked again) instead of forwarding for ever after a leader change.
      (c, partitions, direct) => c.call('produce', [{ ...request, partitions, forward: !direct }], { extraWaitMs: request.timeoutMs }),
      ({ topic, partition }, error) => ({ topic, partition, baseOffset: -1, logAppendTime: -1, logStartOffset: -1, error }),
    )
  }

  /**
   * fetch long-polls every leader at once, each for its own partitions. The first part that has
   * enough data (or an error) cancels the others' waits, which then answer at once with what they
   * have, so data on one node never waits for `maxWaitMs` on another. `maxBytes` is shared out
   * by partition count. The signal is not sent (it cannot cross); aborting sends a `$cancel`.
   */
  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    checkFetchRequest(request)
    const { signal, ...rest } = request
    if (rest.partitions.length === 0) return this.anyCall('fetch', [rest], { extraWaitMs: rest.maxWaitMs, signal })
    // Once cancelled, a part that starts late (it was still connecting) does not wait either.
    const waits = new Set<AbortController>()
    let cancelled = signal?.aborted === true
    const cancelAll = (): void => {
      cancelled = true
      waits.forEach((w) => w.abort())
    }
    signal?.addEventListener('abort', cancelAll, { once: true })
    try {
      return await this.routed(
        rest.partitions,
        async (c, partitions) => {
          const wait = new AbortController()
          waits.add(wait)
          if (cancelled) wait.abort()
          const maxBytes =
            rest.maxBytes === undefined ? undefined : Math.max(1, Math.floor((rest.maxBytes * partitions.length) / rest.partitions.length))
          try {
            const results = await c.call('fetch', [{ ...rest, partitions, maxBytes }], { extraWaitMs: rest.maxWaitMs, signal: wait.signal })
            if (fetchHasEnough(results, rest.minBytes ?? 1)) cancelAll()
            return results
          } catch (error) {
            cancelAll()
            throw error
          }
        },
        ({ topic, partition }, error) => ({ topic, partition, highWatermark: -1, logStartOffset: -1, batches: [], error }),
      )
    } finally {
      signal?.removeEventListener('abort', cancelAll)
    }
  }

  async listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    if (checkPartitionRequests(partitions, 'listOffsets partitions').length === 0) return []
    return this.routed(
      partitions,
      (c, part) => c.call('listOffsets', [part]),
      ({ topic, partition }, error) => ({ topic, partition, offset: -1, timestamp: -1, error }),
    )
  }
  async deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>): Promise<DeleteRecordsResult[]> {
    if (checkPartitionRequests(partitions, 'deleteRecords partitions').length === 0) return []
    return this.routed(
      partitions,
      (c, part) => c.call('deleteRecords', [part]),
      ({ topic, partition }, error) => ({ topic, partition, lowWatermark: -1, error }),
    )
  }

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    // A join is held until the rebalance completes.
    return this.anyCall('joinGroup', [request], { extraWaitMs: request.rebalanceTimeoutMs })
  }
  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment> {
    return this.anyCall('syncGroup', [request])
  }
  heartbeat(request: GroupMemberRef): Promise<void> {
    return this.anyCall('heartbeat', [request])
  }
  leaveGroup(request: LeaveGroupRequest): Promise<void> {
    return this.anyCall('leaveGroup', [request])
  }
  commitOffsets(request: OffsetCommitRequest): Promise<void> {
    return this.anyCall('commitOffsets', [request])
  }
  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    return this.anyCall('fetchOffsets', [groupId, partitions])
  }
  listGroups(): Promise<GroupListing[]> {
    return this.anyCall('listGroups', [])
  }
  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return this.anyCall('describeGroups', [groupIds])
  }
  deleteGroups(groupIds: string[]): Promise<void> {
    return this.anyCall('deleteGroups', [groupIds])
  }

  alterPartitionReassignments(
    reassignments: PartitionReassignment[],
  ): Promise<Array<{ topic: string; partition: number; error?: TributaryError }>> {
    return this.adminCall('alterPartitionReassignments', [reassignments])
  }
  listPartitionReassignments(): Promise<OngoingReassignment[]> {
    return this.anyCall('listPartitionReassignments', [])
  }
  unregisterBroker(nodeId: number): Promise<void> {
    return this.adminCall('unregisterBroker', [nodeId])
  }

  /** close drops every connection; pending and later calls fail with CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.closed = true
    this.pool.close()
  }

  /**
   * anyCall sends one request to any live node. A read-only call whose connection is lost before
   * the answer is asked once more of the next node.
   */
  private async anyCall<K extends BrokerMethod>(
    method: K,
    args: RpcArgs<BrokerRpc, K>,
    options: CallOptions = {},
  ): Promise<RpcResult<BrokerRpc, K>> {
    this.assertOpen()
    // JSON turns an undefined argument into null, which would defeat the server's defaults.
    const sent = [...args]
    while (sent.length > 0 && sent[sent.length - 1] === undefined) sent.pop()
    for (let attempt = 0; ; attempt++) {
      const c = await this.pool.any()
      try {
        return await c.call(method, sent as RpcArgs<BrokerRpc, K>, options)
      } catch (error) {
        const lost = error instanceof TributaryError && error.code === 'LEADER_NOT_AVAILABLE' && error.details.broker === c.address
        if (attempt > 0 || !lost || !READ_ONLY.has(method)) throw error
      }
    }
  }

  /** adminCall is anyCall for calls that change topics: the cached leaders are refreshed afterwards. */
  private async adminCall<K extends BrokerMethod>(method: K, args: RpcArgs<BrokerRpc, K>): Promise<RpcResult<BrokerRpc, K>> {
    try {
      return await this.anyCall(method, args)
    } finally {
      this.leaders.markStale()
    }
  }

  /**
   * routed splits `items` by their leaders' addresses, sends each part with `send` on that
   * leader's connection (or any node's), and merges the answers in request order. A part that
   * fails retriably (connection lost, timed out) becomes `failed` results for its partitions;
   * anything else (CLIENT_CLOSED, a request the node rejects whole) is thrown.
   */
  private async routed<P extends TopicPartition, R extends { error?: TributaryError }>(
    items: readonly P[],
    send: (connection: NodeConnection, part: P[], direct: boolean) => Promise<R[]>,
    failed: (item: P, error: TributaryError) => R,
  ): Promise<R[]> {
    this.assertOpen()
    await this.leaders.ensure(items)
    const parts = new Map<string | undefined, number[]>()
    items.forEach((p, i) => {
      const address = this.leaders.leaderAddress(p.topic, p.partition)
      const indexes = parts.get(address)
      if (indexes === undefined) parts.set(address, [i])
      else indexes.push(i)
    })
    const out = new Array<R>(items.length)
    await Promise.all(
      [...parts].map(async ([address, indexes]) => {
        const part = indexes.map((i) => items[i] as P)
        let results: R[]
        try {
          const { connection, direct } = await this.connectionFor(address)
          results = await send(connection, part, direct)
        } catch (error) {
          if (!(error instanceof TributaryError) || !error.retriable) throw error
          this.leaders.markStale()
          results = part.map((p) => failed(p, error))
        }
        indexes.forEach((i, j) => {
          out[i] =
            results[j] ??
            failed(
              items[i] as P,
              new TributaryError(
                'UNKNOWN_SERVER_ERROR',
                `the broker at ${address ?? 'any node'} answered ${results.length} of ${part.length} partitions`,
              ),
            )
        })
      }),
    )
    this.noteErrors(items, out)
    return out
  }

  /**
   * connectionFor is the connection to a leader (`direct`), or to any live node when it is
   * unknown or unreachable (that node forwards).
   */
  private async connectionFor(address: string | undefined): Promise<{ connection: NodeConnection; direct: boolean }> {
    if (address !== undefined && !this.pool.isDown(address)) {
      try {
        return { connection: await this.pool.reach(address), direct: true }
      } catch (error) {
        if (error instanceof TributaryError && error.code === 'CLIENT_CLOSED') throw error
        // The leader's node is gone or moving: another node forwards, and the leaders are asked again.
        this.leaders.markStale()
      }
    }
    return { connection: await this.pool.any(), direct: false }
  }

  /** noteErrors marks the leaders stale when an answer shows one has moved. */
  private noteErrors(items: readonly TopicPartition[], results: ReadonlyArray<{ error?: TributaryError }>): void {
    for (let i = 0; i < results.length; i++) {
      const code = results[i]?.error?.code
      if (code === undefined) continue
      const topic = (items[i] as TopicPartition).topic
      if (STALE_LEADER.has(code) || (code === 'UNKNOWN_TOPIC_OR_PARTITION' && this.leaders.isKnownTopic(topic))) {
        this.leaders.markStale()
        return
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the connection to the cluster is closed')
  }
}
