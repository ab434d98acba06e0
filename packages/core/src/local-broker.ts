import { EventEmitter } from 'eventemitter3'
import type {
  Broker,
  BrokerStats,
  ClusterMetadata,
  CreateTopicResult,
  CreateTopicSpec,
  FetchPartitionResult,
  FetchRequest,
  GroupAssignment,
  GroupDescription,
  GroupListing,
  GroupMemberRef,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  ListOffsetsPartitionRequest,
  ListOffsetsPartitionResult,
  MetadataRequest,
  OffsetCommitRequest,
  OffsetFetchResult,
  ProducePartitionData,
  ProducePartitionResult,
  ProduceRequest,
  ProducerIdentity,
  SyncGroupRequest,
  TopicMetadata,
} from './broker'
import { applyConfigChanges, checkCreateTopicsRequest, checkPartitionIncrease, checkTopicSpec } from './admin-rules'
import type { Clock } from './clock'
import { resolveBrokerOptions, type LocalBrokerOptions, type ResolvedBrokerOptions } from './broker-options'
import {
  FetchBudget,
  checkFetchOffset,
  checkFetchRequest,
  checkPartitionRequests,
  checkProduceRequest,
  checkProducedBatch,
  deleteRecordsTarget,
  failedDeleteRecords,
  failedFetch,
  failedListOffset,
  failedProduce,
  listOffsetFor,
  type CheckedFetch,
  checkMetadataRequest,
} from './broker-rules'
import { TributaryError } from './errors'
import { FetchWaiters, fetchHasEnough, partitionKey } from './fetch-waiters'
import { GroupCoordinator } from './group-coordinator'
import { applyRetention, compactLog, type RetentionResult } from './log-cleaner'
import type { TopicPartition } from './model'
import { ProducerStateTable } from './producer-state'
import { setLogAppendTime } from './record-batch'
import type { AppendOptions, CompactionResult, PartitionLog } from './storage'
import { describeTopicConfig, partitionLogConfig } from './topic-config'
import { TopicRegistry, type TopicEntry } from './topic-registry'
import { isInternalTopic } from './validation'

/** CRC_CHECKED tells the storage that the broker has just verified a produced batch's CRC. */
const CRC_CHECKED: AppendOptions = Object.freeze({ crcChecked: true })
/** The same, for an acks=all produce, which syncs at once. */
const CRC_CHECKED_WILL_SYNC: AppendOptions = Object.freeze({ crcChecked: true, willSync: true })

interface PartitionState {
  topic: string
  partition: number
  /** partitionKey(topic, partition), made once. */
  key: string
  log: PartitionLog
  producers: ProducerStateTable
}

/** LocalBrokerEvents are what a LocalBroker reports about its background work. */
export interface LocalBrokerEvents {
  retention: [{ topic: string; partition: number } & RetentionResult]
  compaction: [{ topic: string; partition: number } & CompactionResult]
  cleanerError: [{ topic: string; partition: number; error: unknown }]
}

/**
 * LocalBroker is one Tributary node over a `Storage`: topics and their configs, produce with
 * offset assignment, acks and idempotence, long-polling fetch, offsets by time, retention and
 * compaction on the injected clock, and the consumer-group coordinator.
 */
export class LocalBroker extends EventEmitter<LocalBrokerEvents> implements Broker {
  readonly nodeId: number
  /** Storage adapters check every batch's CRC on read (the PartitionLog contract). */
  readonly verifiesFetchedBatches = true
  /** A fetch is a call into the storage in this process. */
  readonly fetchesInProcess = true
  /** produce appends synchronously, before its first await, so this is the storage's promise. */
  readonly copiesProducedBatches: boolean
  private readonly options: ResolvedBrokerOptions
  private readonly registry: TopicRegistry
  private readonly coordinator: GroupCoordinator
  private readonly partitions = new Map<string, PartitionState>()
  private lastPartition: PartitionState | null = null
  private readonly waiters: FetchWaiters
  /** Bounds acks=all waits and long polls. */
  private readonly deadlines: Deadlines
  private cleanerTimer: { cancel(): void } | null = null
  private closed = false

  private constructor(options: ResolvedBrokerOptions, registry: TopicRegistry) {
    super()
    this.options = options
    this.nodeId = options.nodeId
    this.copiesProducedBatches = options.storage.copiesAppends === true
    this.registry = registry
    this.deadlines = new Deadlines(options.clock)
    this.waiters = new FetchWaiters(options.maxFetchWaiters)
    this.coordinator = new GroupCoordinator(
      { clock: options.clock, offsets: options.storage, partitionCount: (topic) => registry.get(topic)?.stored.numPartitions },
      {
        minSessionTimeoutMs: options.minSessionTimeoutMs,
        maxSessionTimeoutMs: options.maxSessionTimeoutMs,
        initialRebalanceDelayMs: options.initialRebalanceDelayMs,
      },
    )
  }

  /**
   * open starts a broker: opens the storage, loads topics and committed offsets, removes the data
   * of topics whose deletion a crash interrupted, and schedules the log cleaner.
   */
  static async open(options: LocalBrokerOptions): Promise<LocalBroker> {
    const resolved = resolveBrokerOptions(options)
    await resolved.storage.open()
    const registry = TopicRegistry.load(resolved.storage, resolved.topicDefaults, resolved.newId)
    const broker = new LocalBroker(resolved, registry)
    await broker.removeOrphanPartitions()
    await broker.coordinator.load()
    await broker.coordinator.removeOrphanOffsets((topic) => registry.get(topic) !== undefined)
    broker.scheduleCleaner()
    return broker
  }

  // ---- metadata and topic admin -------------------------------------------------------------

  async metadata(input?: MetadataRequest): Promise<ClusterMetadata> {
    this.assertOpen()
    const request = checkMetadataRequest(input)
    const names = request.topics ?? this.registry.names()
    const topics: TopicMetadata[] = []
    for (const name of names) {
      let entry = this.registry.get(name)
      if (!entry && request.allowAutoTopicCreation && this.options.autoCreateTopics) entry = await this.autoCreate(name)
      if (!entry) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${name}'`, { details: { topic: name } })
      topics.push(this.describeTopic(entry))
    }
    const { nodeId, host, port } = this.options
    return { clusterId: this.registry.clusterId, controllerId: nodeId, brokers: [{ nodeId, host, port }], topics }
  }

  async createTopics(specs: CreateTopicSpec[], options: { validateOnly?: boolean } = {}): Promise<CreateTopicResult[]> {
    this.assertOpen()
    const results: CreateTopicResult[] = []
    for (const spec of checkCreateTopicsRequest(specs)) {
      try {
        const created = await this.createTopic(spec, options.validateOnly === true)
        results.push({ topic: spec.topic, created })
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error
        results.push({ topic: spec?.topic, created: false, error })
      }
    }
    return results
  }

  async deleteTopics(topics: string[]): Promise<void> {
    this.assertOpen()
    for (const name of topics) this.registry.require(name)
    for (const name of topics) {
      const entry = this.registry.require(name)
      // Metadata first: a crash after this point leaves orphan data that open() removes.
      await this.registry.remove(name)
      for (let p = 0; p < entry.stored.numPartitions; p++) {
        this.partitions.delete(partitionKey(name, p))
        this.waiters.notify(partitionKey(name, p))
        this.waiters.forget(partitionKey(name, p))
      }
      for (const tp of this.options.storage.listPartitions()) if (tp.topic === name) await this.options.storage.deletePartition(tp)
      await this.coordinator.onTopicDeleted(name)
    }
  }

  async createPartitions(topic: string, totalCount: number, options: { validateOnly?: boolean } = {}): Promise<void> {
    this.assertOpen()
    const entry = this.registry.require(topic)
    checkPartitionIncrease(topic, entry.stored.numPartitions, totalCount, this.options.maxPartitionsPerTopic)
    if (options.validateOnly) return
    await this.registry.put({ ...entry.stored, numPartitions: totalCount })
    this.coordinator.onPartitionsChanged(topic)
  }

  async describeConfigs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
    this.assertOpen()
    const entry = this.registry.require(topic)
    return describeTopicConfig(entry.stored.configs)
  }

  async alterConfigs(
    topic: string,
    entries: Array<{ name: string; value: string | null }>,
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    this.assertOpen()
    const entry = this.registry.require(topic)
    const configs = applyConfigChanges(entry.stored.configs, entries)
    this.registry.resolveConfig(configs)
    if (options.validateOnly) return
    const updated = await this.registry.put({ ...entry.stored, configs })
    for (const state of this.partitions.values()) if (state.topic === topic) state.log.setConfig(partitionLogConfig(updated.config))
  }

  // ---- produce ------------------------------------------------------------------------------

  async initProducerId(): Promise<ProducerIdentity> {
    this.assertOpen()
    return { producerId: await this.registry.allocateProducerId(this.options.producerIdBlockSize), producerEpoch: 0 }
  }

  async produce(request: ProduceRequest): Promise<ProducePartitionResult[]> {
    // Every append happens before the first await (copiesProducedBatches depends on it).
    this.assertOpen()
    const { acks, timeoutMs, partitions } = checkProduceRequest(request)
    const options = acks === -1 ? CRC_CHECKED_WILL_SYNC : CRC_CHECKED
    const results = new Array<ProducePartitionResult>(partitions.length)
    for (let i = 0; i < partitions.length; i++) results[i] = this.appendOne(partitions[i] as ProducePartitionData, options)
    if (acks === 0) return results.map((r) => ({ ...r, baseOffset: -1 }))
    if (acks === -1) await this.syncWritten(partitions, results, timeoutMs)
    return results
  }

  /** appendOne validates and appends one batch; failures become the partition's `error`. */
  private appendOne(data: ProducePartitionData, options: AppendOptions): ProducePartitionResult {
    const { topic, partition } = data
    try {
      const state = this.partitionState(topic, partition)
      const entry = this.registry.require(topic)
      const header = checkProducedBatch(topic, data.batch, entry.config)
      const idempotent = {
        producerId: header.producerId,
        producerEpoch: header.producerEpoch,
        baseSequence: header.baseSequence,
        lastOffsetDelta: header.lastOffsetDelta,
      }
      const check = state.producers.check(idempotent)
      const logStartOffset = state.log.startOffset()
      if (check.kind === 'duplicate')
        return { topic, partition, baseOffset: check.baseOffset, logAppendTime: check.logAppendTime, logStartOffset }
      let logAppendTime = -1
      if (entry.config.messageTimestampType === 'LogAppendTime') {
        logAppendTime = this.options.clock.now()
        setLogAppendTime(data.batch, logAppendTime)
      }
      // checkProducedBatch verified the CRC; setLogAppendTime verifies it again and rewrites it.
      const info = state.log.append(data.batch, options)
      state.producers.record(idempotent, info.baseOffset, logAppendTime, header.maxTimestamp)
      this.waiters.notify(state.key)
      return { topic, partition, baseOffset: info.baseOffset, logAppendTime, logStartOffset: state.log.startOffset() }
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error
      return failedProduce(data, error)
    }
  }

  /** syncWritten waits (up to timeoutMs) for every successfully appended partition to reach disk. */
  private syncWritten(partitions: readonly ProducePartitionData[], results: ProducePartitionResult[], timeoutMs: number): Promise<void> {
    // Almost every request touches one partition: no Set and no Promise.all for it.
    let first: PartitionLog | null = null
    let logs: Set<PartitionLog> | null = null
    for (let i = 0; i < partitions.length; i++) {
      if (results[i]?.error) continue
      const data = partitions[i] as ProducePartitionData
      const log = this.partitionState(data.topic, data.partition).log
      if (first === null) first = log
      else if (log !== first) (logs ??= new Set([first])).add(log)
    }
    if (first === null) return Promise.resolve()
    const synced = logs === null ? first.sync() : Promise.all([...logs].map((log) => log.sync())).then(ignore)
    return within(this.deadlines, this.options.clock, synced, timeoutMs)
  }

  // ---- fetch and offsets ----------------------------------------------------------------------

  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    this.assertOpen()
    const fetch = checkFetchRequest(request)
    let results = this.readPartitions(fetch)
    if (fetch.maxWaitMs === 0 || request.signal?.aborted || fetchHasEnough(results, fetch.minBytes)) return results
    await this.waitForData(fetch, request.signal)
    if (this.closed) throw closedError()
    results = this.readPartitions(fetch)
    return results
  }

  private readPartitions(fetch: CheckedFetch): FetchPartitionResult[] {
    const budget = new FetchBudget(fetch.maxBytes)
    return fetch.partitions.map(({ topic, partition, offset, maxBytes }) => {
      try {
        const { log } = this.partitionState(topic, partition)
        const highWatermark = log.endOffset()
        const logStartOffset = log.startOffset()
        checkFetchOffset(topic, partition, offset, logStartOffset, highWatermark)
        return { topic, partition, highWatermark, logStartOffset, batches: budget.read(log, offset, maxBytes, highWatermark) }
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error
        return failedFetch({ topic, partition }, error)
      }
    })
  }

  /**
   * waitForData sleeps until an append to a requested partition, the timeout, an abort or close.
   * With minBytes 1 (the usual) any append ends the wait, so one function serves as the wake, the
   * timer and the abort listener: a long poll ends after every message at low rates.
   */
  private waitForData(fetch: CheckedFetch, signal: AbortSignal | undefined): Promise<void> {
    const { maxWaitMs, minBytes } = fetch
    const keys = new Array<string>(fetch.partitions.length)
    for (let i = 0; i < keys.length; i++) {
      const p = fetch.partitions[i] as CheckedFetch['partitions'][number]
      keys[i] = partitionKey(p.topic, p.partition)
    }
    return new Promise<void>((resolve) => {
      let done = false
      let unregister: (() => void) | undefined
      const finish = (): void => {
        if (done) return
        done = true
        unregister?.()
        this.deadlines.remove(deadline)
        signal?.removeEventListener('abort', finish)
        resolve()
      }
      const deadline: Deadline = { deadlineMs: this.options.clock.now() + maxWaitMs, expire: finish }
      const onData =
        minBytes <= 1
          ? finish
          : (): void => {
              if (this.closed || fetchHasEnough(this.readPartitions(fetch), minBytes)) finish()
            }
      unregister = this.waiters.wait(keys, onData)
      // Too many fetches wait already: this one answers at once with what it has.
      if (unregister === undefined) return resolve()
      this.deadlines.add(deadline)
      signal?.addEventListener('abort', finish)
    })
  }

  async listOffsets(partitions: ListOffsetsPartitionRequest[]): Promise<ListOffsetsPartitionResult[]> {
    this.assertOpen()
    return checkPartitionRequests(partitions, 'listOffsets partitions').map((p) => {
      try {
        return listOffsetFor(this.partitionState(p.topic, p.partition).log, p)
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error
        return failedListOffset(p, error)
      }
    })
  }

  async deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>) {
    this.assertOpen()
    return checkPartitionRequests(partitions, 'deleteRecords partitions').map(({ topic, partition, offset }) => {
      try {
        const { log } = this.partitionState(topic, partition)
        return { topic, partition, lowWatermark: log.deleteBefore(deleteRecordsTarget(offset, log.endOffset())) }
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error
        return failedDeleteRecords({ topic, partition }, error)
      }
    })
  }

  // ---- consumer groups (delegated to the coordinator) ----------------------------------------

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    this.assertOpen()
    return this.coordinator.joinGroup(request)
  }

  syncGroup(request: SyncGroupRequest): Promise<GroupAssignment> {
    this.assertOpen()
    return this.coordinator.syncGroup(request)
  }

  heartbeat(request: GroupMemberRef): Promise<void> {
    this.assertOpen()
    return this.coordinator.heartbeat(request)
  }

  leaveGroup(request: LeaveGroupRequest): Promise<void> {
    this.assertOpen()
    return this.coordinator.leaveGroup(request)
  }

  commitOffsets(request: OffsetCommitRequest): Promise<void> {
    this.assertOpen()
    return this.coordinator.commitOffsets(request)
  }

  fetchOffsets(groupId: string, partitions?: TopicPartition[]): Promise<OffsetFetchResult[]> {
    this.assertOpen()
    return this.coordinator.fetchOffsets(groupId, partitions)
  }

  listGroups(): Promise<GroupListing[]> {
    this.assertOpen()
    return this.coordinator.listGroups()
  }

  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    this.assertOpen()
    return this.coordinator.describeGroups(groupIds)
  }

  deleteGroups(groupIds: string[]): Promise<void> {
    this.assertOpen()
    return this.coordinator.deleteGroups(groupIds)
  }

  // ---- maintenance and lifecycle --------------------------------------------------------------

  /**
   * runLogCleaner applies retention and compaction to every partition now. It runs on its own
   * every `retentionCheckIntervalMs`; tests call it directly after advancing a manual clock.
   */
  runLogCleaner(): void {
    const now = this.options.clock.now()
    for (const entry of this.registry.entries()) {
      for (let partition = 0; partition < entry.stored.numPartitions; partition++) {
        const topic = entry.stored.name
        try {
          const { log } = this.partitionState(topic, partition)
          const compacted = compactLog(log, entry.config, now)
          if (compacted && compacted.recordsRemoved > 0) this.emit('compaction', { topic, partition, ...compacted })
          const retained = applyRetention(log, entry.config, now)
          if (retained.segmentsDeleted > 0) this.emit('retention', { topic, partition, ...retained })
        } catch (error) {
          this.emit('cleanerError', { topic, partition, error })
        }
      }
    }
  }

  /** stats reports this node's storage for metrics (see Broker.stats). */
  stats(): BrokerStats {
    const storage = this.options.storage.stats?.()
    return storage === undefined ? { nodeId: this.nodeId } : { nodeId: this.nodeId, storage }
  }

  /** close stops background work, ends pending fetches and group calls, syncs and closes the storage. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.cleanerTimer?.cancel()
    this.waiters.notifyAll()
    this.deadlines.stopTimer()
    await this.coordinator.close()
    try {
      await this.options.storage.sync()
    } finally {
      await this.options.storage.close()
    }
  }

  private scheduleCleaner(): void {
    this.cleanerTimer = this.options.clock.setTimeout(() => {
      if (this.closed) return
      this.runLogCleaner()
      this.scheduleCleaner()
    }, this.options.retentionCheckIntervalMs)
  }

  private async createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<boolean> {
    const { numPartitions, maxPartitionsPerTopic } = this.options
    const checked = checkTopicSpec(
      spec,
      { numPartitions, maxPartitionsPerTopic, defaultReplicationFactor: 1, nodes: 1 },
      this.registry.names(),
    )
    this.registry.resolveConfig(checked.configs)
    if (this.registry.get(checked.topic)) return false
    if (validateOnly) return true
    await this.registry.put({
      name: checked.topic,
      topicId: this.options.newId(),
      numPartitions: checked.numPartitions,
      configs: checked.configs,
      createdAtMs: this.options.clock.now(),
    })
    return true
  }

  private async autoCreate(name: string): Promise<TopicEntry> {
    await this.createTopic({ topic: name }, false)
    return this.registry.require(name)
  }

  private describeTopic(entry: TopicEntry): TopicMetadata {
    const { nodeId } = this.options
    const partitions = Array.from({ length: entry.stored.numPartitions }, (_, partition) => ({
      partition,
      leader: nodeId,
      replicas: [nodeId],
      isr: [nodeId],
      offlineReplicas: [],
    }))
    return { name: entry.stored.name, topicId: entry.stored.topicId, isInternal: isInternalTopic(entry.stored.name), partitions }
  }

  /** partitionState opens a partition's log on first use; unknown topics and partitions are UNKNOWN_TOPIC_OR_PARTITION. */
  private partitionState(topic: string, partition: number): PartitionState {
    // The last partition used is remembered (no key string per call), while it is still the one in the map.
    const last = this.lastPartition
    if (last !== null && last.partition === partition && last.topic === topic && this.partitions.get(last.key) === last) return last
    const key = partitionKey(topic, partition)
    const existing = this.partitions.get(key)
    if (existing) {
      this.lastPartition = existing
      return existing
    }
    const entry = this.registry.require(topic)
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= entry.stored.numPartitions) {
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${topic}' has no partition ${partition}`, {
        details: { topic, partition },
      })
    }
    const log = this.options.storage.partitionLog({ topic, partition }, partitionLogConfig(entry.config))
    const state: PartitionState = { topic, partition, key, log, producers: new ProducerStateTable(this.options.producerIdExpirationMs) }
    this.partitions.set(key, state)
    return state
  }

  private async removeOrphanPartitions(): Promise<void> {
    for (const tp of this.options.storage.listPartitions()) {
      const entry = this.registry.get(tp.topic)
      if (!entry || tp.partition >= entry.stored.numPartitions) await this.options.storage.deletePartition(tp)
    }
  }

  private assertOpen(): void {
    if (this.closed) throw closedError()
  }
}

/** Deadline is a wait that ends at `deadlineMs` unless it ended before (then it is removed). */
interface Deadline {
  deadlineMs: number
  /** expire ends the wait at its deadline (it is removed from Deadlines first). */
  expire(): void
}

/**
 * Deadlines bounds waits (acks=all syncs by their timeoutMs, long-polling fetches by their
 * maxWaitMs) with one clock timer for all of them: a timer per request costs more than the rest
 * of a small produce or fetch. The timer is armed for the earliest deadline; when it fires, every
 * expired wait expires and it is re-armed for the next one. It stays armed when the last wait
 * ends (it is unref'd, and cancelling and making one per request at low rates was measurable):
 * firing with nothing expired it only re-arms for what still waits.
 */
class Deadlines {
  private readonly waits = new Set<Deadline>()
  private timer: { cancel(): void } | null = null
  private armedForMs = Infinity
  private readonly onTimer = (): void => this.expire()

  constructor(private readonly clock: Clock) {}

  /** add starts bounding `wait`. */
  add(wait: Deadline): void {
    this.waits.add(wait)
    if (wait.deadlineMs < this.armedForMs) this.arm(wait.deadlineMs)
  }

  /** remove stops bounding a wait that ended before its deadline. */
  remove(wait: Deadline): void {
    this.waits.delete(wait)
  }

  /** stopTimer cancels the timer (on close); waits still pending end otherwise. */
  stopTimer(): void {
    this.timer?.cancel()
    this.timer = null
    this.armedForMs = Infinity
  }

  private arm(deadlineMs: number): void {
    this.timer?.cancel()
    this.armedForMs = deadlineMs
    this.timer = this.clock.setTimeout(this.onTimer, deadlineMs - this.clock.now())
  }

  private expire(): void {
    this.timer = null
    this.armedForMs = Infinity
    const now = this.clock.now()
    let next = Infinity
    // Deleting visited entries while iterating a Set is safe.
    for (const wait of this.waits) {
      if (wait.deadlineMs <= now) {
        this.waits.delete(wait)
        wait.expire()
      } else if (wait.deadlineMs < next) {
        next = wait.deadlineMs
      }
    }
    if (next !== Infinity) this.arm(next)
  }
}

/** within resolves or rejects as `synced` does, or rejects with REQUEST_TIMED_OUT after timeoutMs. */
function within(deadlines: Deadlines, clock: Clock, synced: Promise<void>, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const wait: Deadline = {
      deadlineMs: clock.now() + timeoutMs,
      expire: () => reject(new TributaryError('REQUEST_TIMED_OUT', `acks=all not reached within ${timeoutMs} ms`)),
    }
    deadlines.add(wait)
    synced.then(
      () => {
        deadlines.remove(wait)
        resolve()
      },
      (error: unknown) => {
        deadlines.remove(wait)
        reject(error)
      },
    )
  })
}

function ignore(): void {}

function closedError(): TributaryError {
  return new TributaryError('CLIENT_CLOSED', 'The broker is closed')
}
