import { randomUUID } from 'node:crypto'
import {
  EARLIEST_TIMESTAMP,
  GroupCoordinator,
  LATEST_TIMESTAMP,
  TributaryError,
  checkBatchAt,
  describeTopicConfig,
  fetchHasEnough,
  isInternalTopic,
  partitionLogConfig,
  readBatchHeader,
  resolveTopicConfig,
  topicNamesCollide,
  validateConfigEntries,
  validatePartitionCount,
  validateTopicName,
  type Broker,
  type ClusterMetadata,
  type CreateTopicResult,
  type CreateTopicSpec,
  type FetchPartitionRequest,
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
  type NodeInfo,
  type MetadataRequest,
  type OngoingReassignment,
  type PartitionReassignment,
  type OffsetCommitRequest,
  type OffsetFetchResult,
  type ProducePartitionData,
  type ProducePartitionResult,
  type ProduceRequest,
  type ProducerIdentity,
  type SyncGroupRequest,
  type TopicConfig,
  type TopicPartition,
} from '@tributary/core'
import { EntryType, type Message } from '../core/types'
import { RaftHost } from '../node/raft-host'
import type { RaftNode } from '../node/raft-node'
import { TcpTransport } from '../transport/tcp'
import { MetadataState, placeReplicas, sameSet, type BrokerAddress, type ClusterTopic, type MetadataCommand, type MetadataResult, type Reassignment } from './metadata-state'
import { Reassigner } from './reassigner'
import { cleanReplica } from './replica-cleaner'
import { ObservedTransport } from './observed-transport'
import { resolveClusterNodeOptions, type ClusterNodeOptions, type ResolvedClusterNodeOptions } from './options'
import { PartitionReplica } from './partition-replica'
import { peerFetchRange } from './partition-snapshot'
import { type PeerChannel } from './peer-channel'
import { TcpPeerChannel } from './tcp-peer-channel'
import { BrokerServer } from './broker-server'

const META_GROUP = 'meta'
const EMPTY = new Uint8Array(0)
const DEFAULT_FETCH_MAX_BYTES = 52_428_800
/** How often a fetch that includes partitions served by other nodes polls them again. */
const REMOTE_FETCH_POLL_MS = 50

/**
 * ClusterNode is one node of a replicated Tributary cluster and implements the same `Broker`
 * contract as `LocalBroker`, so `Tributary.open({ broker: node })` works unchanged.
 *
 * - A metadata Raft group across every node holds topics, placement, configs, producer ids and
 *   committed offsets (`MetadataState`); reads are served from the local replica of it.
 * - Each partition is a Raft group over its replicas (`PartitionReplica`).
 * - Produce goes to the partition leader (forwarded over the peer channel when it is elsewhere);
 *   fetch is served by the local replica, which holds committed batches only.
 * - The group coordinator runs on the metadata leader; other nodes forward group calls there.
 */
export class ClusterNode implements Broker {
  readonly nodeId: number
  private readonly state = new MetadataState()
  private readonly replicas = new Map<string, PartitionReplica>()
  private readonly peerHeardAt = new Map<number, number>()
  private readonly metaResults = new Map<string, (r: MetadataResult) => void>()
  private readonly appliedWaiters = new Set<() => void>()
  private readonly dataWaiters = new Set<() => void>()
  private meta!: RaftNode
  private metaReadyTerm = -1
  private metaApplied = 0
  private coordinator: GroupCoordinator | null = null
  private reconciling: Promise<void> = Promise.resolve()
  private server: BrokerServer | null = null
  private nextRequest = 0
  private preferredTimer: { cancel(): void } | undefined
  private reassigner!: Reassigner
  private cleanerTimer: { cancel(): void } | undefined
  private lastReplicaError: { partition: string; error: TributaryError; atMs: number } | undefined
  private registering: Promise<void> | undefined
  private closed = false

  private constructor(
    private readonly options: ResolvedClusterNodeOptions,
    private readonly host: RaftHost,
    private readonly peers: PeerChannel,
    /** Where other nodes listen: the configured peers, then every node the metadata registers. */
    private readonly addresses: Map<number, BrokerAddress>,
    /** The TCP Raft transport, told about nodes that join (undefined with an injected transport). */
    private readonly tcp: TcpTransport | undefined,
  ) {
    this.nodeId = options.nodeId
  }

  /**
   * start opens the storage, joins the metadata group and serves peers (and clients, over TCP
   * on `listen`, unless a memory transport was injected).
   * @throws TributaryError INVALID_CONFIG for bad options.
   */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const o = resolveClusterNodeOptions(options)
    await o.storage.open()
    let node: ClusterNode | undefined
    const observe = (groupId: string, m: Message): void => node?.observe(groupId, m)
    const tcpPeers = Object.fromEntries([...o.peers].map(([id, a]) => [id, { host: a.host, port: a.port + 1 }]))
    const tcp = o.transport === undefined ? await TcpTransport.listen({ id: o.nodeId, host: o.host, port: o.port === 0 ? 0 : o.port + 1, peers: tcpPeers }) : undefined
    const inner = o.transport ?? (tcp as TcpTransport)
    const host = new RaftHost({ id: o.nodeId, transport: new ObservedTransport(inner, observe), clock: o.clock, tickMs: o.tickMs, seed: o.seed })
    const addresses = new Map(o.peers)
    const peers = o.peerChannel ?? new TcpPeerChannel(addresses)
    node = new ClusterNode(o, host, peers, addresses, tcp)
    peers.serve((method, args) => node.handlePeer(method, args))
    // A joining node starts with no metadata membership: the leader adds it as a learner.
    const voters = o.join ? [] : [o.nodeId, ...o.peers.keys()].sort((a, b) => a - b)
    node.meta = await host.startGroup({
      groupId: META_GROUP,
      voters,
      storage: o.raftStorage?.(META_GROUP),
      // Membership entries carry no metadata command (the Raft core applies them itself).
      stateMachine: { apply: (e) => node.applyMeta(e.index, e.term, e.type === EntryType.Normal ? e.data : EMPTY), snapshot: () => node.state.snapshot(), restore: (d, i) => node.restoreMeta(d, i) },
    })
    node.meta.on('role', (s) => {
      node.wake(node.appliedWaiters)
      if (s.role !== 'leader') void node.dropCoordinator()
    })
    node.schedulePreferredLeaders()
    if (o.transport === undefined) node.server = await BrokerServer.listen(node, (m, a) => node.handlePeer(m, a), o.host, o.port)
    node.reassigner = new Reassigner({
      nodeId: o.nodeId,
      clock: o.clock,
      intervalMs: o.tickMs * 5,
      state: node.state,
      replica: (topic, partition) => node.replicas.get(key(topic, partition)),
      complete: (r) => node.completeReassignment(r.topic, r.partition, r.target),
    })
    node.reassigner.start()
    node.scheduleCleaner()
    if (o.join) await node.joinCluster()
    return node
  }

  /** myAddress is this node's client and peer address as other nodes should dial it. */
  private myAddress(): BrokerAddress {
    const port = this.server?.port ?? this.options.port
    const raftPort = this.tcp?.port
    return raftPort === undefined || raftPort === port + 1 ? { host: this.options.host, port } : { host: this.options.host, port, raftPort }
  }

  /** address is where this node serves clients ('host:port'; the real port when 0 was asked). */
  get address(): string {
    return `${this.options.host}:${this.server?.port ?? this.options.port}`
  }

  // ---- metadata and admin -------------------------------------------------------------------

  async metadata(request: MetadataRequest = {}): Promise<ClusterMetadata> {
    this.assertOpen()
    const names = request.topics ?? [...this.state.topics.keys()].sort()
    const missing = names.filter((n) => !this.state.topics.has(n))
    if (missing.length > 0 && request.allowAutoTopicCreation && this.options.autoCreateTopics) {
      await this.createTopics(missing.map((topic) => ({ topic })))
    }
    const topics = names.map((name) => {
      const t = this.state.topics.get(name)
      if (!t) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${name}'`, { details: { topic: name } })
      return {
        name,
        topicId: t.topicId,
        isInternal: false,
        partitions: t.replicas.map((current, partition) => {
          const local = this.replicas.get(key(name, partition))
          // A partition hosted elsewhere: its preferred replica, which leads it unless it failed over.
          const leader = (local === undefined ? this.guessLeader(name, partition) : local.leader()) || -1
          const replicas = this.state.hostsOf(name, partition)
          return { partition, leader, replicas, isr: local?.isReady() ? local.inSyncReplicas() : current, offlineReplicas: [] }
        }),
      }
    })
    const brokers = this.brokerList()
    return { clusterId: this.state.clusterId, controllerId: this.meta.status().leader || -1, brokers, topics }
  }

  async createTopics(specs: CreateTopicSpec[], options: { validateOnly?: boolean } = {}): Promise<CreateTopicResult[]> {
    this.assertOpen()
    const results = await this.onMetaLeader('createTopics', [specs, options], async () => {
      const out: CreateTopicResult[] = []
      for (const spec of specs) {
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
    await this.waitFor(() => specs.every((s) => this.topicLeadersKnown(s.topic)), 3000)
    return results
  }

  async deleteTopics(topics: string[]): Promise<void> {
    this.assertOpen()
    await this.onMetaLeader('deleteTopics', [topics], async () => {
      for (const name of topics) this.requireTopic(name)
      for (const name of topics) {
        await this.proposeMeta({ op: 'deleteTopic', name })
        await this.coordinator?.onTopicDeleted(name)
      }
    })
  }

  async createPartitions(topic: string, totalCount: number, options: { validateOnly?: boolean } = {}): Promise<void> {
    this.assertOpen()
    await this.onMetaLeader('createPartitions', [topic, totalCount, options], async () => {
      const t = this.requireTopic(topic)
      validatePartitionCount(totalCount, 10_000)
      if (totalCount <= t.replicas.length) throw new TributaryError('INVALID_PARTITIONS', `Topic '${topic}' already has ${t.replicas.length} partitions; the new count must be larger`)
      if (options.validateOnly) return
      const rf = t.replicas[0]?.length ?? 1
      await this.proposeMeta({ op: 'addPartitions', name: topic, replicas: placeReplicas(this.nodeIds(), t.replicas.length, totalCount - t.replicas.length, rf, hash(t.topicId)) })
      this.coordinator?.onPartitionsChanged(topic)
    })
  }

  async describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    this.assertOpen()
    return describeTopicConfig(this.requireTopic(topic).configs)
  }

  async alterConfigs(topic: string, entries: Array<{ name: string; value: string | null }>, options: { validateOnly?: boolean } = {}): Promise<void> {
    this.assertOpen()
    await this.onMetaLeader('alterConfigs', [topic, entries, options], async () => {
      const configs = { ...this.requireTopic(topic).configs }
      for (const { name, value } of entries) {
        if (value === null) delete configs[name]
        else Object.assign(configs, validateConfigEntries([{ name, value }]))
      }
      resolveTopicConfig(configs)
      if (!options.validateOnly) await this.proposeMeta({ op: 'setConfigs', name: topic, configs })
    })
  }

  async initProducerId(): Promise<ProducerIdentity> {
    this.assertOpen()
    return this.onMetaLeader('initProducerId', [], async () => {
      const { result } = await this.proposeMeta({ op: 'allocateProducerId' })
      return { producerId: result?.producerId ?? -1, producerEpoch: 0 }
    })
  }

  private async createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<boolean> {
    validateTopicName(spec.topic)
    if (isInternalTopic(spec.topic)) throw new TributaryError('INVALID_TOPIC_EXCEPTION', `'${spec.topic}' is an internal topic name`)
    const numPartitions = spec.numPartitions === undefined || spec.numPartitions === -1 ? this.options.numPartitions : spec.numPartitions
    validatePartitionCount(numPartitions, 10_000)
    const nodes = this.nodeIds()
    const rf = spec.replicationFactor === undefined || spec.replicationFactor === -1 ? this.options.defaultReplicationFactor : spec.replicationFactor
    if (!Number.isSafeInteger(rf) || rf < 1 || rf > nodes.length) throw new TributaryError('INVALID_REPLICATION_FACTOR', `Replication factor ${rf} must be between 1 and the ${nodes.length} nodes`)
    const configs = validateConfigEntries(spec.configEntries ?? [])
    const config = resolveTopicConfig(configs)
    if (config.minInsyncReplicas > rf) throw new TributaryError('INVALID_CONFIG', `min.insync.replicas ${config.minInsyncReplicas} exceeds the replication factor ${rf}`)
    if (this.state.topics.has(spec.topic)) return false
    const clash = [...this.state.topics.keys()].find((n) => topicNamesCollide(n, spec.topic))
    if (clash) throw new TributaryError('INVALID_TOPIC_EXCEPTION', `Topic '${spec.topic}' collides with existing topic '${clash}'`)
    if (validateOnly) return true
    const topicId = randomUUID()
    const topic: ClusterTopic = { name: spec.topic, topicId, replicas: placeReplicas(nodes, 0, numPartitions, rf, hash(topicId)), configs, createdAtMs: this.options.clock.now() }
    const { result } = await this.proposeMeta({ op: 'createTopic', topic })
    return result?.created === true
  }

  // ---- produce --------------------------------------------------------------------------------

  async produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    this.assertOpen()
    const { acks, timeoutMs } = request
    if (acks !== 0 && acks !== 1 && acks !== -1) throw new TributaryError('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, got ${String(acks)}`)
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) throw new TributaryError('INVALID_REQUEST', 'timeoutMs must be a non-negative integer')
    const results: Array<Promise<ProducePartitionResult>> = []
    const remote = new Map<number, number[]>()
    request.partitions.forEach((data, i) => {
      const replica = this.replicas.get(key(data.topic, data.partition))
      // A replica knows its leader (0 while none: answered here, e.g. NOT_ENOUGH_REPLICAS); others guess the preferred one.
      const leader = replica === undefined ? this.guessLeader(data.topic, data.partition) : replica.isReady() ? this.nodeId : replica.leader()
      if (leader === this.nodeId || leader === 0) results[i] = this.produceLocal(data, acks, timeoutMs)
      else if (request.forward === false) results[i] = Promise.resolve(failedProduce(data, replica?.notLeader() ?? notLeaderHere(this.nodeId, data, leader)))
      else remote.set(leader, [...(remote.get(leader) ?? []), i])
    })
    for (const [leader, indexes] of remote) {
      const sub = { acks, timeoutMs, partitions: indexes.map((i) => request.partitions[i] as ProducePartitionData) }
      const call = this.peers.call(leader, 'produce', [sub]) as Promise<ProducePartitionResult[]>
      indexes.forEach((i, j) => {
        const data = request.partitions[i] as ProducePartitionData
        results[i] = call.then(
          (r) => r[j] as ProducePartitionResult,
          (error: unknown) => failedProduce(data, error),
        )
      })
    }
    const out = await Promise.all(results)
    return acks === 0 ? out.map((r) => ({ ...r, baseOffset: -1 })) : out
  }

  /** produceLocal appends one batch on this node, which must lead the partition. */
  private async produceLocal(data: ProducePartitionData, acks: number, timeoutMs: number): Promise<ProducePartitionResult> {
    const { topic, partition } = data
    try {
      const t = this.requireTopic(topic)
      if (!Number.isSafeInteger(partition) || partition < 0 || partition >= t.replicas.length) throw unknownPartition(topic, partition)
      const config = resolveTopicConfig(t.configs)
      validateBatch(data.batch, config)
      const replica = this.replicas.get(key(topic, partition))
      if (replica === undefined || !replica.isReady()) {
        if (acks === -1 && this.liveReplicas(t.replicas[partition] ?? []) < config.minInsyncReplicas) throw notEnoughReplicas(topic, partition, this.liveReplicas(t.replicas[partition] ?? []), config)
        throw replica?.notLeader() ?? new TributaryError('LEADER_NOT_AVAILABLE', `${topic}-${partition} has no known leader`)
      }
      if (acks === -1) {
        const isr = replica.inSyncReplicas().length
        if (isr < config.minInsyncReplicas) throw notEnoughReplicas(topic, partition, isr, config)
      }
      const r = await replica.append(data.batch, acks, timeoutMs, config.messageTimestampType === 'LogAppendTime')
      return { topic, partition, baseOffset: r.baseOffset, logAppendTime: r.logAppendTime, logStartOffset: replica.log.startOffset() }
    } catch (error) {
      return failedProduce(data, error)
    }
  }

  /** liveReplicas counts this node (if a replica) and the replicas heard from within the lag time. */
  private liveReplicas(replicas: readonly number[]): number {
    const now = this.options.clock.now()
    return replicas.filter((id) => id === this.nodeId || now - (this.peerHeardAt.get(id) ?? -Infinity) <= this.options.replicaLagTimeMaxMs).length
  }

  // ---- fetch and offsets --------------------------------------------------------------------

  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    this.assertOpen()
    const minBytes = request.minBytes ?? 1
    const deadline = this.options.clock.now() + Math.max(0, request.maxWaitMs ?? 0)
    for (;;) {
      const { results, remote } = await this.readPartitions(request)
      const left = deadline - this.options.clock.now()
      if (left <= 0 || request.signal?.aborted || this.closed || fetchHasEnough(results, minBytes)) return results
      await this.waitForData(remote ? Math.min(left, REMOTE_FETCH_POLL_MS) : left, request.signal)
    }
  }

  private async readPartitions(request: FetchRequest): Promise<{ results: FetchPartitionResult[]; remote: boolean }> {
    let budget = request.maxBytes ?? DEFAULT_FETCH_MAX_BYTES
    const forwards = new Map<number, number[]>()
    const results = request.partitions.map((p, i) => {
      const replica = this.replicas.get(key(p.topic, p.partition))
      const leader = replica?.leader() || this.guessLeader(p.topic, p.partition)
      // A lagging follower forwards reads past its end to the leader, which may have them.
      if ((replica === undefined || p.offset > replica.log.endOffset()) && leader !== 0 && leader !== this.nodeId) {
        forwards.set(leader, [...(forwards.get(leader) ?? []), i])
        return undefined
      }
      const r = this.readLocal(p, budget)
      for (const b of r.batches) budget -= b.length
      return r
    })
    for (const [leader, indexes] of forwards) {
      const parts = indexes.map((i) => request.partitions[i] as FetchPartitionRequest)
      let remote: FetchPartitionResult[]
      try {
        remote = (await this.peers.call(leader, 'fetch', [{ partitions: parts, maxWaitMs: 0, maxBytes: budget }])) as FetchPartitionResult[]
      } catch (error) {
        remote = parts.map((p) => ({ topic: p.topic, partition: p.partition, highWatermark: -1, logStartOffset: -1, batches: [], error: asError(error) }))
      }
      indexes.forEach((i, j) => (results[i] = remote[j]))
    }
    return { results: results as FetchPartitionResult[], remote: forwards.size > 0 }
  }

  private readLocal({ topic, partition, offset, maxBytes }: FetchPartitionRequest, budget: number): FetchPartitionResult {
    try {
      const replica = this.replicas.get(key(topic, partition))
      if (replica === undefined) throw this.state.topics.has(topic) ? new TributaryError('LEADER_NOT_AVAILABLE', `${topic}-${partition} is not available on node ${this.nodeId}`) : unknownPartition(topic, partition)
      const { log } = replica
      // The local log holds committed batches only: its end is the high watermark.
      const highWatermark = log.endOffset()
      const logStartOffset = log.startOffset()
      if (!Number.isSafeInteger(offset) || offset < logStartOffset || offset > highWatermark) {
        throw new TributaryError('OFFSET_OUT_OF_RANGE', `Offset ${offset} is outside [${logStartOffset}, ${highWatermark}] of ${topic}-${partition}`, { details: { topic, partition, offset, logStartOffset, highWatermark } })
      }
      const batches = budget > 0 && offset < highWatermark ? log.read(offset, Math.min(maxBytes, budget)) : []
      return { topic, partition, highWatermark, logStartOffset, batches }
    } catch (error) {
      return { topic, partition, highWatermark: -1, logStartOffset: -1, batches: [], error: asError(error) }
    }
  }

  private waitForData(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        this.dataWaiters.delete(finish)
        timer.cancel()
        signal?.removeEventListener('abort', finish)
        resolve()
      }
      const timer = this.options.clock.setTimeout(finish, ms)
      this.dataWaiters.add(finish)
      signal?.addEventListener('abort', finish)
    })
  }

  async listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    this.assertOpen()
    return Promise.all(
      partitions.map(async ({ topic, partition, timestamp }) => {
        try {
          const replica = this.replicas.get(key(topic, partition))
          if (replica === undefined) {
            const leader = this.guessLeader(topic, partition)
            if (leader === 0 || leader === this.nodeId) throw unknownPartition(topic, partition)
            return ((await this.peers.call(leader, 'listOffsets', [[{ topic, partition, timestamp }]])) as ListOffsetsPartitionResult[])[0] as ListOffsetsPartitionResult
          }
          const { log } = replica
          if (timestamp === LATEST_TIMESTAMP) return { topic, partition, offset: log.endOffset(), timestamp: -1 }
          if (timestamp === EARLIEST_TIMESTAMP) return { topic, partition, offset: log.startOffset(), timestamp: -1 }
          if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TributaryError('INVALID_TIMESTAMP', `Invalid timestamp ${timestamp}`)
          return { topic, partition, offset: log.offsetForTimestamp(timestamp) ?? -1, timestamp }
        } catch (error) {
          return { topic, partition, offset: -1, timestamp: -1, error: asError(error) }
        }
      }),
    )
  }

  async deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>) {
    this.assertOpen()
    return Promise.all(
      partitions.map(async ({ topic, partition, offset }) => {
        try {
          const replica = this.replicas.get(key(topic, partition))
          if (!replica?.isReady()) {
            const leader = replica?.leader() || this.guessLeader(topic, partition)
            if (leader === 0 || leader === this.nodeId) throw replica?.notLeader() ?? unknownPartition(topic, partition)
            const r = (await this.peers.call(leader, 'deleteRecords', [[{ topic, partition, offset }]])) as Array<{ topic: string; partition: number; lowWatermark: number; error?: TributaryError }>
            return r[0] as { topic: string; partition: number; lowWatermark: number; error?: TributaryError }
          }
          const target = offset === -1 ? replica.log.endOffset() : offset
          if (!Number.isSafeInteger(target) || target < 0 || target > replica.log.endOffset()) throw new TributaryError('OFFSET_OUT_OF_RANGE', `Cannot delete records before ${offset}: the log ends at ${replica.log.endOffset()}`)
          return { topic, partition, lowWatermark: await replica.deleteBefore(target, this.options.requestTimeoutMs) }
        } catch (error) {
          return { topic, partition, lowWatermark: -1, error: asError(error) }
        }
      }),
    )
  }

  // ---- cluster membership and partition moves ------------------------------------------------

  /**
   * alterPartitionReassignments records partition moves; the leader of each partition then runs
   * it (learner, promote, remove: see `nextReassignmentStep`). `replicas: null` cancels a move.
   */
  async alterPartitionReassignments(reassignments: PartitionReassignment[]): Promise<Array<{ topic: string; partition: number; error?: TributaryError }>> {
    this.assertOpen()
    if (!Array.isArray(reassignments)) throw new TributaryError('INVALID_REQUEST', 'reassignments must be an array')
    return this.onMetaLeader('alterPartitionReassignments', [reassignments], async () => {
      const out: Array<{ topic: string; partition: number; error?: TributaryError }> = []
      for (const r of reassignments) {
        try {
          const target = this.checkReassignment(r)
          await this.proposeMeta({ op: 'reassign', topic: r.topic, partition: r.partition, target })
          out.push({ topic: r.topic, partition: r.partition })
        } catch (error) {
          if (!(error instanceof TributaryError)) throw error
          out.push({ topic: r?.topic, partition: r?.partition, error })
        }
      }
      return out
    })
  }

  async listPartitionReassignments(): Promise<OngoingReassignment[]> {
    this.assertOpen()
    return [...this.state.reassignments.values()].map((r) => ({
      topic: r.topic,
      partition: r.partition,
      replicas: this.state.hostsOf(r.topic, r.partition),
      addingReplicas: r.target.filter((id) => !r.original.includes(id)),
      removingReplicas: r.original.filter((id) => !r.target.includes(id)),
    }))
  }

  /**
   * unregisterBroker removes a node that hosts no replica: from the registered nodes and from
   * the metadata group (a learner takes its vote when one exists). Close that node afterwards.
   * @throws TributaryError BROKER_NOT_AVAILABLE (unknown node), INVALID_REQUEST (it still hosts replicas).
   */
  async unregisterBroker(nodeId: number): Promise<void> {
    this.assertOpen()
    await this.onMetaLeader('unregisterBroker', [nodeId], async () => {
      if (!this.nodeIds().includes(nodeId)) throw new TributaryError('BROKER_NOT_AVAILABLE', `node ${String(nodeId)} is not registered`, { details: { nodeId } })
      const hosted = [...this.state.topics.values()].flatMap((t) => t.replicas.map((_, p) => `${t.name}-${p}`).filter((_, p) => this.state.hostsOf(t.name, p).includes(nodeId)))
      if (hosted.length > 0) {
        throw new TributaryError('INVALID_REQUEST', `node ${nodeId} still hosts ${hosted.length} replicas (e.g. ${hosted.slice(0, 3).join(', ')}): move them with alterPartitionReassignments first`, { details: { nodeId, partitions: hosted.slice(0, 100) } })
      }
      await this.proposeMeta({ op: 'unregisterBroker', nodeId })
      const m = this.meta.status().membership
      if (m.voters.includes(nodeId)) {
        const successor = m.learners.find((id) => this.state.brokers.has(id))
        if (successor !== undefined) await this.meta.changeMembership({ type: 'promote', nodeId: successor })
      }
      if (m.voters.includes(nodeId) || m.learners.includes(nodeId)) await this.meta.changeMembership({ type: 'remove', nodeId })
    })
  }

  /** completeReassignment records a finished move (called by the partition's leader). */
  async completeReassignment(topic: string, partition: number, target: number[]): Promise<void> {
    await this.onMetaLeader('completeReassignment', [topic, partition, target], async () => void (await this.proposeMeta({ op: 'completeReassignment', topic, partition, target })))
  }

  /** registerBroker records a node's address and makes it a learner of the metadata group. */
  async registerBroker(nodeId: number, address: BrokerAddress): Promise<void> {
    if (!Number.isSafeInteger(nodeId) || nodeId <= 0 || typeof address?.host !== 'string' || !Number.isSafeInteger(address.port)) {
      throw new TributaryError('INVALID_REQUEST', `cannot register node ${String(nodeId)} at ${JSON.stringify(address)}`)
    }
    await this.onMetaLeader('registerBroker', [nodeId, address], async () => {
      if (!sameAddress(this.state.brokers.get(nodeId), address)) await this.proposeMeta({ op: 'registerBroker', nodeId, address })
      const m = this.meta.status().membership
      if (!m.voters.includes(nodeId) && !m.learners.includes(nodeId)) await this.meta.changeMembership({ type: 'add-learner', nodeId })
    })
  }

  private checkReassignment(r: PartitionReassignment): number[] {
    const t = this.requireTopic(r?.topic)
    if (!Number.isSafeInteger(r.partition) || r.partition < 0 || r.partition >= t.replicas.length) throw unknownPartition(r.topic, r.partition)
    const pending = this.state.reassignments.get(key(r.topic, r.partition))
    if (r.replicas === null) {
      if (pending === undefined) throw new TributaryError('NO_REASSIGNMENT_IN_PROGRESS', `${r.topic}-${r.partition} is not being moved`)
      return pending.original
    }
    const nodes = this.nodeIds()
    const ok = Array.isArray(r.replicas) && r.replicas.length > 0 && new Set(r.replicas).size === r.replicas.length && r.replicas.every((id) => nodes.includes(id))
    if (!ok) throw new TributaryError('INVALID_REPLICA_ASSIGNMENT', `replicas for ${r.topic}-${r.partition} must be distinct registered node ids, got ${JSON.stringify(r.replicas)}`, { details: { nodes } })
    return [...r.replicas]
  }

  /** joinCluster asks the configured peers to admit this new node, then waits to hold the metadata. */
  private async joinCluster(): Promise<void> {
    const deadline = this.options.clock.now() + this.options.requestTimeoutMs * 3
    let lastError: unknown
    while (!this.closed && this.options.clock.now() < deadline) {
      for (const id of this.options.peers.keys()) {
        try {
          await this.peers.call(id, 'join', [this.nodeId, this.myAddress()])
          await this.waitFor(() => this.state.brokers.has(this.nodeId), this.options.requestTimeoutMs)
          if (this.state.brokers.has(this.nodeId)) return
        } catch (error) {
          lastError = error
        }
      }
      await new Promise<void>((resolve) => this.options.clock.setTimeout(resolve, this.options.tickMs * 10))
    }
    await this.close()
    throw new TributaryError('BROKER_NOT_AVAILABLE', `node ${this.nodeId} could not join the cluster through its peers`, { cause: lastError })
  }

  /** ensureRegistered re-registers this node when the metadata holds an old address for it (e.g. port 0). */
  private ensureRegistered(): void {
    const mine = this.state.brokers.get(this.nodeId)
    if (this.registering !== undefined || mine === undefined || sameAddress(mine, this.myAddress())) return
    this.registering = this.registerBroker(this.nodeId, this.myAddress())
      .catch(() => undefined)
      .finally(() => (this.registering = undefined))
  }

  /** learnAddresses points the Raft transport and peer channel at every registered node. */
  private learnAddresses(): void {
    for (const [id, a] of this.state.brokers) {
      if (id === this.nodeId || sameAddress(this.addresses.get(id), a)) continue
      this.addresses.set(id, a)
      this.tcp?.setPeer(id, { host: a.host, port: a.raftPort ?? a.port + 1 })
    }
  }

  private configuredBrokers(): Record<number, BrokerAddress> {
    return Object.fromEntries([[this.nodeId, this.myAddress()], ...this.options.peers])
  }

  private brokerList(): NodeInfo[] {
    const others = this.nodeIds().filter((id) => id !== this.nodeId).sort((a, b) => a - b)
    const info = (nodeId: number, a: BrokerAddress | undefined): NodeInfo => ({ nodeId, host: a?.host ?? '', port: a?.port ?? 0 })
    return [info(this.nodeId, this.myAddress()), ...others.map((id) => info(id, this.addresses.get(id) ?? this.state.brokers.get(id)))]
  }

  // ---- consumer groups: on the metadata leader ------------------------------------------------

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    return this.onCoordinator('joinGroup', [request], (c) => c.joinGroup(request))
  }

  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment> {
    return this.onCoordinator('syncGroup', [request], (c) => c.syncGroup(request))
  }

  heartbeat(request: GroupMemberRef): Promise<void> {
    return this.onCoordinator('heartbeat', [request], (c) => c.heartbeat(request))
  }

  leaveGroup(request: LeaveGroupRequest): Promise<void> {
    return this.onCoordinator('leaveGroup', [request], (c) => c.leaveGroup(request))
  }

  commitOffsets(request: OffsetCommitRequest): Promise<void> {
    return this.onCoordinator('commitOffsets', [request], (c) => c.commitOffsets(request))
  }

  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    return this.onCoordinator('fetchOffsets', [groupId, partitions], (c) => c.fetchOffsets(groupId, partitions))
  }

  listGroups(): Promise<GroupListing[]> {
    return this.onCoordinator('listGroups', [], (c) => c.listGroups())
  }

  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return this.onCoordinator('describeGroups', [groupIds], (c) => c.describeGroups(groupIds))
  }

  deleteGroups(groupIds: string[]): Promise<void> {
    return this.onCoordinator('deleteGroups', [groupIds], (c) => c.deleteGroups(groupIds))
  }

  private async onCoordinator<T>(method: string, args: unknown[], run: (c: GroupCoordinator) => Promise<T>): Promise<T> {
    this.assertOpen()
    await this.waitForMetaLeader()
    if (this.isMetaLeader()) return run(this.ensureCoordinator())
    const leader = this.meta.status().leader
    if (leader === 0 || leader === this.nodeId) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is moving (no metadata leader yet)')
    try {
      return (await this.peers.call(leader, `group:${method}`, args)) as T
    } catch (error) {
      // An unreachable coordinator is a coordinator that is moving: the client retries.
      if (error instanceof TributaryError && error.code === 'LEADER_NOT_AVAILABLE') throw new TributaryError('COORDINATOR_NOT_AVAILABLE', error.message)
      throw error
    }
  }

  private ensureCoordinator(): GroupCoordinator {
    this.coordinator ??= new GroupCoordinator({
      clock: this.options.clock,
      partitionCount: (topic) => this.state.topics.get(topic)?.replicas.length,
      offsets: {
        loadCommittedOffsets: () => this.state.committedOffsets(),
        commitOffsets: async (offsets) => void (await this.proposeMeta({ op: 'commitOffsets', offsets: [...offsets] })),
        deleteCommittedOffsets: async (groupId, partitions) => void (await this.proposeMeta({ op: 'deleteOffsets', groupId, partitions: partitions ? [...partitions] : undefined })),
      },
    }, this.options.groupCoordinator)
    return this.coordinator
  }

  /** dropCoordinator closes the coordinator when this node stops leading metadata: members re-join the next one. */
  private async dropCoordinator(): Promise<void> {
    const c = this.coordinator
    this.coordinator = null
    await c?.close()
  }

  // ---- the metadata group -------------------------------------------------------------------

  private isMetaLeader(): boolean {
    const s = this.meta.status()
    return s.role === 'leader' && s.term === this.metaReadyTerm
  }

  /** onMetaLeader runs `local` on the metadata leader: here, or forwarded, then waits until this node applied the change. */
  private async onMetaLeader<T>(method: string, args: unknown[], local: () => Promise<T>): Promise<T> {
    await this.waitForMetaLeader()
    if (this.isMetaLeader()) return local()
    const leader = this.meta.status().leader
    if (leader === 0 || leader === this.nodeId) throw new TributaryError('LEADER_NOT_AVAILABLE', 'the metadata group has no leader yet')
    const { value, index } = (await this.peers.call(leader, `meta:${method}`, args)) as { value: T; index: number }
    await this.waitFor(() => this.metaApplied >= index, this.options.requestTimeoutMs)
    return value
  }

  /** waitForMetaLeader waits (bounded by an election or two) until the metadata group has a usable leader. */
  private waitForMetaLeader(): Promise<void> {
    return this.waitFor(() => {
      const leader = this.meta.status().leader
      return this.isMetaLeader() || (leader !== 0 && leader !== this.nodeId)
    }, this.options.tickMs * 60)
  }

  private async proposeMeta(cmd: MetadataCommand): Promise<{ index: number; result: MetadataResult }> {
    const reqId = `${this.nodeId}-${this.nextRequest++}`
    let result: MetadataResult
    this.metaResults.set(reqId, (r) => (result = r))
    try {
      const index = await this.meta.propose(Buffer.from(JSON.stringify({ ...cmd, reqId })))
      return { index, result }
    } finally {
      this.metaResults.delete(reqId)
    }
  }

  private applyMeta(index: number, term: number, data: Uint8Array): void {
    // RaftNode counts an entry applied only after this returns: waiters read metaApplied instead.
    this.metaApplied = index
    if (data.length > 0) {
      const cmd = JSON.parse(Buffer.from(data).toString('utf8')) as MetadataCommand & { reqId?: string }
      const result = this.state.apply(cmd)
      if (cmd.reqId !== undefined) this.metaResults.get(cmd.reqId)?.(result)
      if (cmd.op === 'bootstrap' || cmd.op === 'registerBroker') this.learnAddresses()
      this.reconcile()
    }
    if (term !== this.metaReadyTerm) {
      const s = this.meta.status()
      if (s.role === 'leader' && s.term === term) {
        this.metaReadyTerm = term
        if (this.state.clusterId === '') void this.proposeMeta({ op: 'bootstrap', clusterId: randomUUID(), brokers: this.configuredBrokers() }).catch(() => undefined)
      }
    }
    this.wake(this.appliedWaiters)
  }

  private restoreMeta(data: Uint8Array, index: number): void {
    this.metaApplied = index
    this.state.restore(data)
    this.learnAddresses()
    this.reconcile()
  }

  /** reconcile starts the replicas this node should host and stops those of deleted topics, one pass at a time. */
  private reconcile(): void {
    this.reconciling = this.reconciling.then(() => this.reconcileOnce()).catch(() => undefined)
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return
    const wanted = new Map<string, { topic: ClusterTopic; partition: number }>()
    for (const topic of this.state.topics.values()) {
      topic.replicas.forEach((_, partition) => {
        if (this.state.hostsOf(topic.name, partition).includes(this.nodeId)) wanted.set(key(topic.name, partition), { topic, partition })
      })
    }
    for (const [k, replica] of [...this.replicas]) {
      const w = wanted.get(k)
      if (w !== undefined && replica.groupId === groupIdOf(w.topic, w.partition)) continue
      this.replicas.delete(k)
      await this.host.stopGroup(replica.groupId)
      await this.options.storage.deletePartition({ topic: replica.topic, partition: replica.partition })
    }
    for (const [k, { topic, partition }] of wanted) {
      if (this.replicas.has(k) || this.closed) continue
      const config = resolveTopicConfig(topic.configs)
      const log = this.options.storage.partitionLog({ topic: topic.name, partition }, partitionLogConfig(config))
      const groupId = groupIdOf(topic, partition)
      const replica = await PartitionReplica.start(
        this.host,
        // A replica that a move adds (not among the partition's replicas yet) joins the group as a learner.
        { topic: topic.name, partition, groupId, replicas: topic.replicas[partition] ?? [], log, storage: this.options.raftStorage?.(groupId), electionTicks: 10, join: !(topic.replicas[partition] ?? []).includes(this.nodeId), snapshots: this.options.partitionSnapshots },
        { nodeId: this.nodeId, clock: this.options.clock, replicaLagTimeMaxMs: this.options.replicaLagTimeMaxMs, onData: () => this.wake(this.dataWaiters), fetchRange: peerFetchRange(this.peers, () => this.closed) },
      )
      this.replicas.set(k, replica)
      replica.raft.on('error', (error: TributaryError) => this.replicaFailed(k, replica, error))
    }
  }

  /**
   * replicaFailed handles a partition group that stopped on an error (its storage failed, or a
   * restore found no peer holding the data it lacks): the replica is dropped and started again
   * after a pause, from what its storage holds. `lastReplicaError` keeps the error for operators.
   */
  private replicaFailed(k: string, replica: PartitionReplica, error: TributaryError): void {
    if (this.closed || this.replicas.get(k) !== replica) return
    this.lastReplicaError = { partition: k, error, atMs: this.options.clock.now() }
    this.replicas.delete(k)
    this.reconciling = this.reconciling.then(async () => {
      await this.host.stopGroup(replica.groupId)
      await replica.close()
    }).catch(() => undefined)
    this.options.clock.setTimeout(() => this.reconcile(), this.options.tickMs * 20)
  }

  // ---- peers --------------------------------------------------------------------------------

  private observe(groupId: string, m: Message): void {
    this.peerHeardAt.set(m.from, this.options.clock.now())
    if (groupId === META_GROUP) return
    for (const r of this.replicas.values()) {
      if (r.groupId === groupId) {
        r.observe(m)
        return
      }
    }
  }

  /** handlePeer serves a request forwarded by another node; it never forwards again (no loops). */
  private async handlePeer(method: string, args: unknown[]): Promise<unknown> {
    this.assertOpen()
    if (method.startsWith('meta:')) {
      if (!this.isMetaLeader()) throw new TributaryError('LEADER_NOT_AVAILABLE', `node ${this.nodeId} no longer leads the metadata group`)
      const value = await (this as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method.slice(5)]!.apply(this, args)
      return { value, index: this.metaApplied }
    }
    if (method.startsWith('group:')) {
      if (!this.isMetaLeader()) throw new TributaryError('NOT_COORDINATOR', `node ${this.nodeId} is not the group coordinator`)
      const name = method.slice(6) as keyof GroupCoordinator
      return (this.ensureCoordinator()[name] as (...a: unknown[]) => Promise<unknown>).apply(this.coordinator, args)
    }
    const req = args[0] as never
    switch (method) {
      case 'join':
        return this.registerBroker(args[0] as number, args[1] as BrokerAddress)
      case 'produce': {
        const { acks, timeoutMs, partitions } = req as ProduceRequest
        return Promise.all(partitions.map((p) => this.produceLocal(p, acks, timeoutMs)))
      }
      case 'fetch':
        return (req as FetchRequest).partitions.map((p) => this.readLocal(p, (req as FetchRequest).maxBytes ?? DEFAULT_FETCH_MAX_BYTES))
      case 'listOffsets':
      case 'deleteRecords':
        return (this[method] as (a: unknown) => Promise<unknown>)(req)
      default:
        throw new TributaryError('INVALID_REQUEST', `unknown peer method ${method}`)
    }
  }

  // ---- lifecycle and helpers ----------------------------------------------------------------

  /**
   * schedulePreferredLeaders hands each partition this node leads back to its preferred leader
   * (its first replica) once that replica is in sync, so leadership stays spread over the nodes
   * after failovers and after racy first elections (Kafka's auto.leader.rebalance).
   */
  private schedulePreferredLeaders(): void {
    this.preferredTimer = this.options.clock.setTimeout(() => {
      if (this.closed) return
      for (const r of this.replicas.values()) {
        const preferred = this.state.topics.get(r.topic)?.replicas[r.partition]?.[0]
        if (preferred !== undefined && preferred !== this.nodeId && r.isReady() && r.inSyncReplicas().includes(preferred)) r.raft.transferLeadership(preferred)
      }
      this.ensureRegistered()
      this.schedulePreferredLeaders()
    }, this.options.tickMs * 30)
  }

  /**
   * runLogCleaner applies compaction to every local replica and retention to those this node
   * leads (replicated as a log-start move). It runs every `retentionCheckIntervalMs`; tests call it.
   */
  async runLogCleaner(): Promise<void> {
    const now = this.options.clock.now()
    for (const replica of [...this.replicas.values()]) {
      const topic = this.state.topics.get(replica.topic)
      if (topic === undefined || this.closed) continue
      await cleanReplica(replica, resolveTopicConfig(topic.configs), now, this.options.requestTimeoutMs).catch(() => undefined) // retried next pass
    }
  }

  private scheduleCleaner(): void {
    this.cleanerTimer = this.options.clock.setTimeout(() => {
      if (this.closed) return
      void this.runLogCleaner().finally(() => this.scheduleCleaner())
    }, this.options.retentionCheckIntervalMs)
  }

  /** status reports this node's view: metadata role and the partitions it leads. */
  status(): { nodeId: number; metaLeader: number; leaderOf: string[]; lastReplicaError?: { partition: string; error: TributaryError; atMs: number } } {
    const leaderOf = [...this.replicas].filter(([, r]) => r.isReady()).map(([k]) => k)
    return { nodeId: this.nodeId, metaLeader: this.meta.status().leader, leaderOf, ...(this.lastReplicaError ? { lastReplicaError: this.lastReplicaError } : {}) }
  }

  /** partitionLeader is the leader of a partition as this node knows it (0: unknown). */
  partitionLeader(topic: string, partition: number): number {
    return this.replicas.get(key(topic, partition))?.leader() ?? 0
  }

  /** close stops serving, leaves every group and closes the storage. Later calls throw CLIENT_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.preferredTimer?.cancel()
    this.reassigner?.stop()
    this.cleanerTimer?.cancel()
    await this.server?.close()
    await this.dropCoordinator()
    this.wake(this.dataWaiters)
    this.wake(this.appliedWaiters)
    await this.reconciling
    await this.host.close()
    for (const r of this.replicas.values()) await r.close()
    await this.peers.close()
    await this.options.storage.close()
  }

  private wake(set: Set<() => void>): void {
    for (const w of [...set]) w()
  }

  private waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
    if (cond()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (!cond() && !this.closed) return
        this.appliedWaiters.delete(check)
        this.dataWaiters.delete(check)
        timer.cancel()
        resolve()
      }
      const timer = this.options.clock.setTimeout(() => {
        this.appliedWaiters.delete(check)
        this.dataWaiters.delete(check)
        resolve()
      }, timeoutMs)
      this.appliedWaiters.add(check)
      this.dataWaiters.add(check)
    })
  }

  private topicLeadersKnown(topic: string): boolean {
    const t = this.state.topics.get(topic)
    if (t === undefined) return true
    return t.replicas.every((_, p) => {
      const r = this.replicas.get(key(topic, p))
      return r === undefined ? !t.replicas[p]?.includes(this.nodeId) : r.leader() !== 0
    })
  }

  private guessLeader(topic: string, partition: number): number {
    return this.state.topics.get(topic)?.replicas[partition]?.[0] ?? 0
  }

  private nodeIds(): number[] {
    return this.state.brokers.size > 0 ? [...this.state.brokers.keys()] : [this.nodeId, ...this.options.peers.keys()]
  }

  private requireTopic(name: string): ClusterTopic {
    const t = this.state.topics.get(name)
    if (!t) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${name}'`, { details: { topic: name } })
    return t
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'The cluster node is closed')
  }
}

function sameAddress(a: BrokerAddress | undefined, b: BrokerAddress | undefined): boolean {
  return a !== undefined && b !== undefined && a.host === b.host && a.port === b.port && a.raftPort === b.raftPort
}

function key(topic: string, partition: number): string {
  return `${topic}/${partition}`
}

function groupIdOf(topic: ClusterTopic, partition: number): string {
  return `p/${topic.topicId}/${partition}`
}

function hash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0
  return h
}


function validateBatch(batch: Buffer, config: TopicConfig): void {
  if (!Buffer.isBuffer(batch)) throw new TributaryError('CORRUPT_MESSAGE', 'A produced batch must be a Buffer')
  if (batch.length > config.maxMessageBytes) throw new TributaryError('MESSAGE_TOO_LARGE', `Batch of ${batch.length} bytes exceeds max.message.bytes ${config.maxMessageBytes}`)
  if (checkBatchAt(batch) !== batch.length) throw new TributaryError('CORRUPT_MESSAGE', 'A produced request must hold exactly one record batch')
  const h = readBatchHeader(batch)
  if (h.recordsCount < 1 || h.lastOffsetDelta !== h.recordsCount - 1) throw new TributaryError('CORRUPT_MESSAGE', `Batch record count ${h.recordsCount} does not match its last offset delta ${h.lastOffsetDelta}`)
}

function notEnoughReplicas(topic: string, partition: number, inSync: number, config: TopicConfig): TributaryError {
  return new TributaryError('NOT_ENOUGH_REPLICAS', `${topic}-${partition}: ${inSync} in-sync replicas, min.insync.replicas is ${config.minInsyncReplicas}`, { details: { topic, partition, inSync, minInsyncReplicas: config.minInsyncReplicas } })
}

function notLeaderHere(nodeId: number, { topic, partition }: TopicPartition, leaderId: number): TributaryError {
  return new TributaryError('NOT_LEADER_OR_FOLLOWER', `node ${nodeId} holds no replica of ${topic}-${partition}`, { details: { topic, partition, leaderId } })
}

function unknownPartition(topic: string, partition: number): TributaryError {
  return new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown partition ${topic}-${partition}`, { details: { topic, partition } })
}

function asError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error
  return new TributaryError('UNKNOWN_SERVER_ERROR', String(error), { cause: error })
}

function failedProduce(data: ProducePartitionData, error: unknown): ProducePartitionResult {
  return { topic: data.topic, partition: data.partition, baseOffset: -1, logAppendTime: -1, logStartOffset: -1, error: asError(error) }
}

