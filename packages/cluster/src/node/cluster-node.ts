import type {
  Broker,
  BrokerStats,
  ClusterMetadata,
  CreateTopicResult,
  CreateTopicSpec,
  MetadataRequest,
  ProducerIdentity,
  FetchPartitionResult,
  FetchRequest,
  ListOffsetsPartitionRequest,
  ListOffsetsPartitionResult,
  ProducePartitionResult,
  ProduceRequest,
  GroupAssignment,
  GroupDescription,
  GroupListing,
  GroupMemberRef,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetFetchResult,
  SyncGroupRequest,
  TopicPartition,
  OngoingReassignment,
  PartitionReassignment,
  NodeInfo,
} from '@tributary/core'
import { TributaryError } from '@tributary/core'
import { type Message, RaftHost, TcpTransport } from '@tributary/raft'
import { BrokerServer } from '../server/broker-server'
import { ClusterAdmin } from '../metadata/cluster-admin'
import { ClusterContext, key } from './cluster-context'
import { raftGroupStats } from './cluster-observer'
import { nodeStorage } from './node-storage'
import { FetchPath, type DeleteRecordsResult } from '../paths/fetch-path'
import { GroupRouter } from '../paths/group-router'
import { LocalReplicas, type ReplicaError } from '../replica/local-replicas'
import { MembershipAdmin, type ReassignmentResult } from '../metadata/membership-admin'
import { MetadataGroup } from '../metadata/metadata-group'
import type { BrokerAddress } from '../metadata/metadata-state'
import { ObservedTransport } from './observed-transport'
import { resolveClusterNodeOptions, type ClusterNodeOptions, type ResolvedClusterNodeOptions } from '../options'
import type { PartitionReplica } from '../replica/partition-replica'
import { servePeerRequest } from '../server/peer-requests'
import { ProducePath } from '../paths/produce-path'
import { Reassigner } from '../replica/reassigner'
import { type PeerConnectionLimits, TcpPeerChannel } from '../server/tcp-peer-channel'
import type { PeerCallContext } from '../server/peer-channel'
import { isSecured } from '../security'
import { type Acl, CredentialStore, isLoopbackHost } from '@tributary/core/net'

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
 *
 * The class wires its parts together and owns the node's lifecycle; each Broker method
 * delegates to the part of that area (see the files imported above).
 */
export class ClusterNode implements Broker {
  readonly nodeId: number
  /** @internal The node's shared state (its parts, and the Raft transport's peer check). */
  readonly ctx: ClusterContext
  /** replicas are the partition replicas this node hosts (`ctx.replicas`; tests inspect them). */
  private readonly replicas: Map<string, PartitionReplica>
  private readonly meta: MetadataGroup
  private readonly local: LocalReplicas
  private readonly groups: GroupRouter
  private readonly admin: ClusterAdmin
  private readonly membership: MembershipAdmin
  private readonly producer: ProducePath
  private readonly reader: FetchPath
  private reassigner: Reassigner | undefined
  private preferredTimer: { cancel(): void } | undefined
  private cleanerTimer: { cancel(): void } | undefined

  private constructor(ctx: ClusterContext) {
    this.ctx = ctx
    this.nodeId = ctx.nodeId
    this.replicas = ctx.replicas
    this.local = new LocalReplicas(ctx)
    this.meta = new MetadataGroup(ctx, { changed: () => this.local.reconcile() })
    this.groups = new GroupRouter(ctx, this.meta)
    this.admin = new ClusterAdmin(ctx, this.meta, this.groups)
    this.membership = new MembershipAdmin(ctx, this.meta)
    this.producer = new ProducePath(ctx)
    this.reader = new FetchPath(ctx)
  }

  /**
   * start opens the storage, joins the metadata group and serves peers (and clients, over TCP
   * on `listen`, unless a memory transport was injected).
   * @throws TributaryError INVALID_CONFIG for bad options.
   */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const o = resolveClusterNodeOptions(options)
    const disk = nodeStorage(o)
    await disk.storage.open()
    let node: ClusterNode | undefined
    const observe = (groupId: string, m: Message): void => node?.local.observe(groupId, m)
    const tcpPeers = Object.fromEntries([...o.peers].map(([id, a]) => [id, { host: a.host, port: a.raftPort ?? a.port + 1 }]))
    const { security } = o
    // Raft messages are accepted from the configured peers and every node the metadata registers.
    const isKnownPeer = (id: number): boolean =>
      o.peers.has(id) || (node?.ctx.addresses.has(id) ?? false) || (node?.ctx.state.brokers.has(id) ?? false)
    const tcp =
      o.transport === undefined
        ? await TcpTransport.listen({
            id: o.nodeId,
            host: o.raftListen.host,
            port: o.raftListen.port,
            peers: tcpPeers,
            tls: security.tls,
            secret: security.clusterSecret,
            limits: security.limits,
            isKnownPeer,
            logger: o.logger,
          })
        : undefined
    const inner = o.transport ?? (tcp as TcpTransport)
    const host = new RaftHost({
      id: o.nodeId,
      transport: new ObservedTransport(inner, observe),
      clock: o.clock,
      tickMs: o.tickMs,
      seed: o.seed,
    })
    const addresses = new Map(o.peers)
    const peers =
      o.peerChannel ??
      new TcpPeerChannel(addresses, peerLimits(o), { nodeId: o.nodeId, tls: security.tls?.client, secret: security.clusterSecret })
    const ctx = new ClusterContext(o, disk, host, peers, addresses, tcp)
    node = new ClusterNode(ctx)
    peers.serve((method, args, from) => node.handlePeer(method, args, from))
    // A joining node starts with no metadata membership: the leader adds it as a learner.
    await node.meta.start(o.join ? [] : [o.nodeId, ...o.peers.keys()].sort((a, b) => a - b))
    node.meta.raft.on('role', (s) => {
      ctx.observer.roleChanged('metadata', 'meta', s, node.meta.status().term)
      ctx.wake(ctx.appliedWaiters)
      if (s.role !== 'leader') void node.groups.dropCoordinator()
    })
    node.schedulePreferredLeaders()
    if (o.transport === undefined) {
      const credentials = security.sasl === undefined ? null : await CredentialStore.load(security.sasl)
      ctx.server = await BrokerServer.listen(
        o.clientBroker?.(node) ?? node,
        (m, a, from) => node.handlePeer(m, a, from),
        o.host,
        o.port,
        security,
        credentials,
        o.logger,
      )
      node.logSecurity()
    }
    node.reassigner = new Reassigner({
      nodeId: o.nodeId,
      clock: o.clock,
      intervalMs: o.tickMs * 5,
      state: ctx.state,
      replica: (topic, partition) => ctx.replicas.get(key(topic, partition)),
      complete: (r) => node.completeReassignment(r.topic, r.partition, r.target),
    })
    node.reassigner.start()
    node.scheduleCleaner()
    if (o.join) await node.joinCluster()
    return node
  }

  /** address is where this node serves clients, as advertised ('host:port'; the real port when 0 was asked). */
  get address(): string {
    const a = this.ctx.myAddress()
    return `${a.host}:${a.port}`
  }

  /** raftPort is the port this node serves Raft messages on (0 with an injected transport). */
  get raftPort(): number {
    return this.ctx.tcp?.port ?? 0
  }

  /** logSecurity says at start how the node's ports are protected: loopback only, secured, or insecure (a warning). */
  private logSecurity(): void {
    const { options: o } = this.ctx
    const s = o.security
    const fields = {
      nodeId: o.nodeId,
      listen: `${o.host}:${this.ctx.server?.port}`,
      raftListen: `${o.raftListen.host}:${this.ctx.tcp?.port}`,
      tls: s.tls !== undefined,
      clusterSecret: s.clusterSecret !== undefined,
      sasl: s.sasl !== undefined,
      acl: s.acl !== undefined,
    }
    const routable = [o.host, o.raftListen.host].some((h) => !isLoopbackHost(h))
    if (routable && !isSecured(s))
      o.logger.warn(
        'cluster node reachable from the network without full security (insecure: true): anyone who reaches its ports may use it',
        fields,
      )
    else if (!routable && !isSecured(s))
      o.logger.info('cluster node bound to loopback only (no security options: not reachable from other hosts)', fields)
    else o.logger.info('cluster node listening with TLS, a cluster secret and SASL', fields)
  }

  // ---- metadata and admin (cluster-admin.ts) -------------------------------------------------

  metadata(request: MetadataRequest = {}): Promise<ClusterMetadata> {
    return this.admin.metadata(request)
  }

  createTopics(specs: CreateTopicSpec[], options: { validateOnly?: boolean } = {}): Promise<CreateTopicResult[]> {
    return this.admin.createTopics(specs, options)
  }

  deleteTopics(topics: string[]): Promise<void> {
    return this.admin.deleteTopics(topics)
  }

  createPartitions(topic: string, totalCount: number, options: { validateOnly?: boolean } = {}): Promise<void> {
    return this.admin.createPartitions(topic, totalCount, options)
  }

  describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    return this.admin.describeConfigs(topic)
  }

  alterConfigs(
    topic: string,
    entries: Array<{ name: string; value: string | null }>,
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    return this.admin.alterConfigs(topic, entries, options)
  }

  initProducerId(): Promise<ProducerIdentity> {
    return this.admin.initProducerId()
  }

  // ---- produce and fetch (produce-path.ts, fetch-path.ts) ------------------------------------

  produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    return this.producer.produce(request)
  }

  fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    return this.reader.fetch(request)
  }

  listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    return this.reader.listOffsets(partitions)
  }

  deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>): Promise<DeleteRecordsResult[]> {
    return this.reader.deleteRecords(partitions)
  }

  // ---- cluster membership and partition moves (membership-admin.ts) --------------------------

  /**
   * alterPartitionReassignments records partition moves; the leader of each partition then runs
   * it (learner, promote, remove: see `nextReassignmentStep`). `replicas: null` cancels a move.
   */
  alterPartitionReassignments(reassignments: PartitionReassignment[]): Promise<ReassignmentResult[]> {
    return this.membership.alterPartitionReassignments(reassignments)
  }

  listPartitionReassignments(): Promise<OngoingReassignment[]> {
    return this.membership.listPartitionReassignments()
  }

  /**
   * unregisterBroker removes a node that hosts no replica: from the registered nodes and from
   * the metadata group (a learner takes its vote when one exists). Close that node afterwards.
   * @throws TributaryError BROKER_NOT_AVAILABLE (unknown node), INVALID_REQUEST (it still hosts replicas).
   */
  unregisterBroker(nodeId: number): Promise<void> {
    return this.membership.unregisterBroker(nodeId)
  }

  /** completeReassignment records a finished move (called by the partition's leader). */
  completeReassignment(topic: string, partition: number, target: number[]): Promise<void> {
    return this.membership.completeReassignment(topic, partition, target)
  }

  // ---- the Kafka protocol (a KafkaServer over this node) -----------------------------------

  /**
   * acl is this node's ACL (`security.acl`, resolved; undefined without one), for the Kafka
   * listener over it to apply the same rules as the client port:
   * `KafkaServer.start({ broker: node, acl: node.acl, sasl, topology: node.kafkaTopology() })`.
   */
  get acl(): Acl | undefined {
    return this.ctx.options.security.acl
  }

  /**
   * setKafkaAddress records where this node serves the Kafka protocol (a KafkaServer over it), as
   * Kafka clients dial it, in the cluster metadata beside its client address: every node then
   * lists it in Metadata and FindCoordinator. Resolves once this node's metadata holds it.
   * @throws TributaryError INVALID_REQUEST for an address that is not { host, port }; a retriable
   * error while the metadata has no leader (the node keeps the address and registers it later).
   */
  async setKafkaAddress(address: { host: string; port: number }): Promise<void> {
    const { ctx } = this
    if (typeof address?.host !== 'string' || address.host === '' || !Number.isSafeInteger(address.port) || address.port <= 0)
      throw new TributaryError('INVALID_REQUEST', `a Kafka listener address must be { host, port }, got ${JSON.stringify(address)}`)
    ctx.kafkaAddress = { host: address.host, port: address.port }
    await this.membership.registerSelf()
    await ctx.waitFor(() => ctx.state.brokers.get(ctx.nodeId)?.kafka?.port === address.port, ctx.options.requestTimeoutMs)
  }

  /**
   * kafkaTopology is what a KafkaServer over this node needs to know of the cluster (structurally
   * @tributary/kafka-protocol's ServerTopology, which this package does not depend on): every
   * node's Kafka listener, from the metadata, and the node that runs the group coordinator (the
   * metadata leader; this node, which forwards group calls there, while the leader's listener is
   * not known).
   */
  kafkaTopology(): { brokers(metadata: ClusterMetadata): NodeInfo[]; coordinator(groupId: string): Promise<NodeInfo> } {
    const { ctx } = this
    const listener = (nodeId: number): NodeInfo | undefined => {
      const kafka = ctx.state.brokers.get(nodeId)?.kafka ?? (nodeId === ctx.nodeId ? ctx.kafkaAddress : null)
      return kafka ? { nodeId, host: kafka.host, port: kafka.port } : undefined
    }
    return {
      brokers: (metadata) => metadata.brokers.map((b) => listener(b.nodeId)).filter((b): b is NodeInfo => b !== undefined),
      coordinator: async () => {
        const leader = this.meta.status().leader
        const node = (leader > 0 ? listener(leader) : undefined) ?? listener(ctx.nodeId)
        if (node === undefined) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', `node ${ctx.nodeId} has no Kafka listener`)
        return node
      },
    }
  }

  /** registerBroker records a node's address and makes it a learner of the metadata group. */
  registerBroker(nodeId: number, address: BrokerAddress): Promise<void> {
    return this.membership.registerBroker(nodeId, address)
  }

  /** joinCluster asks the configured peers to admit this new node; the node closes when none does. */
  private async joinCluster(): Promise<void> {
    try {
      await this.membership.joinCluster()
    } catch (error) {
      await this.close()
      throw error
    }
  }

  // ---- consumer groups: on the metadata leader (group-router.ts) -----------------------------

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    return this.groups.call('joinGroup', [request])
  }

  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment> {
    return this.groups.call('syncGroup', [request])
  }

  heartbeat(request: GroupMemberRef): Promise<void> {
    return this.groups.call('heartbeat', [request])
  }

  leaveGroup(request: LeaveGroupRequest): Promise<void> {
    return this.groups.call('leaveGroup', [request])
  }

  commitOffsets(request: OffsetCommitRequest): Promise<void> {
    return this.groups.call('commitOffsets', [request])
  }

  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    return this.groups.call('fetchOffsets', [groupId, partitions])
  }

  listGroups(): Promise<GroupListing[]> {
    return this.groups.call('listGroups', [])
  }

  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return this.groups.call('describeGroups', [groupIds])
  }

  deleteGroups(groupIds: string[]): Promise<void> {
    return this.groups.call('deleteGroups', [groupIds])
  }

  // ---- peers --------------------------------------------------------------------------------

  /** handlePeer serves a request forwarded by another node (see servePeerRequest). */
  private handlePeer(method: string, args: unknown[], from?: PeerCallContext): Promise<unknown> {
    const { ctx, meta, groups, producer: produce, reader: fetch } = this
    return servePeerRequest({ node: this, ctx, meta, groups, produce, fetch }, method, args, from)
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * schedulePreferredLeaders hands each partition this node leads back to its preferred leader
   * every 30 ticks (see `LocalReplicas.handBackLeadership`), and re-registers this node when the
   * metadata holds an old address for it.
   */
  private schedulePreferredLeaders(): void {
    this.preferredTimer = this.ctx.options.clock.setTimeout(() => {
      if (this.ctx.closed) return
      this.local.handBackLeadership()
      this.membership.ensureRegistered()
      this.schedulePreferredLeaders()
    }, this.ctx.options.tickMs * 30)
  }

  /**
   * runLogCleaner applies compaction to every local replica and retention to those this node
   * leads (replicated as a log-start move). It runs every `retentionCheckIntervalMs`; tests call it.
   */
  runLogCleaner(): Promise<void> {
    return this.local.runLogCleaner()
  }

  private scheduleCleaner(): void {
    this.cleanerTimer = this.ctx.options.clock.setTimeout(() => {
      if (this.ctx.closed) return
      void this.runLogCleaner().finally(() => this.scheduleCleaner())
    }, this.ctx.options.retentionCheckIntervalMs)
  }

  /** status reports this node's view: metadata role and the partitions it leads. */
  status(): { nodeId: number; metaLeader: number; leaderOf: string[]; lastReplicaError?: ReplicaError } {
    const leaderOf = [...this.replicas].filter(([, r]) => r.isReady()).map(([k]) => k)
    const lastReplicaError = this.local.lastReplicaError
    return { nodeId: this.nodeId, metaLeader: this.meta.status().leader, leaderOf, ...(lastReplicaError ? { lastReplicaError } : {}) }
  }

  /** stats reports this node's storage, Raft groups, replica lag and registered nodes (see Broker.stats). */
  stats(): BrokerStats {
    const { ctx } = this
    const now = ctx.options.clock.now()
    const partitions = [...this.replicas.values()].map((r) => ({
      topic: r.topic,
      partition: r.partition,
      raft: raftGroupStats(r.raft.status()),
      followers: r.followerLag(),
    }))
    const nodes = [...ctx.state.brokers].map(([nodeId, a]) => {
      const heard = ctx.peerHeardAt.get(nodeId)
      return {
        nodeId,
        host: a.host,
        port: a.port,
        kafka: a.kafka ? { ...a.kafka } : null,
        lastHeardMsAgo: nodeId === this.nodeId || heard === undefined ? -1 : now - heard,
      }
    })
    const storage = ctx.disk.storage.stats?.()
    return {
      nodeId: this.nodeId,
      ...(storage === undefined ? {} : { storage }),
      cluster: {
        metadata: raftGroupStats(this.meta.status()),
        partitions,
        leaderChanges: ctx.observer.leaderChanges,
        raftCommitLatencySeconds: ctx.observer.commitLatencySeconds(),
        nodes,
      },
    }
  }

  /** partitionLeader is the leader of a partition as this node knows it (0: unknown). */
  partitionLeader(topic: string, partition: number): number {
    return this.replicas.get(key(topic, partition))?.leader() ?? 0
  }

  /** close stops serving, leaves every group and closes the storage. Later calls throw CLIENT_CLOSED. */
  async close(): Promise<void> {
    const { ctx } = this
    if (ctx.closed) return
    ctx.closed = true
    this.preferredTimer?.cancel()
    this.reassigner?.stop()
    this.cleanerTimer?.cancel()
    await ctx.server?.close()
    await this.groups.dropCoordinator()
    ctx.wake(ctx.dataWaiters)
    ctx.wake(ctx.appliedWaiters)
    await this.local.settled()
    await ctx.host.close()
    for (const r of this.replicas.values()) await r.close()
    await ctx.peers.close()
    await ctx.disk.storage.close()
  }
}

/**
 * peerLimits bound each peer connection as the remote client's are bounded by default: a
 * forwarded request may take `requestTimeoutMs` plus the wait it asks for.
 */
function peerLimits(o: ResolvedClusterNodeOptions): PeerConnectionLimits {
  return {
    clock: o.clock,
    requestTimeoutMs: o.requestTimeoutMs,
    connectTimeoutMs: o.requestTimeoutMs,
    maxInFlightRequests: 1024,
    maxQueuedRequests: 10_000,
  }
}
