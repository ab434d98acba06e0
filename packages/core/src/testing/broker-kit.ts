import type {
  Broker,
  ClusterMetadata,
  CreateTopicSpec,
  FetchPartitionResult,
  GroupAssignment,
  JoinGroupRequest,
  JoinGroupResult,
  ProducePartitionResult,
} from '../broker'
import { type ErrorCode, TributaryError } from '../errors'
import { decodeRecordBatch, iterateBatches } from '../record-batch'
import { makeBatch, makeRecords, type MakeBatchOptions, type TestRecord } from './make-batch'

/**
 * Helpers of the Broker conformance suite (broker-conformance*.ts). A broker under test may be a
 * replicated cluster: right after a topic is created its partitions may still be electing
 * leaders, so the helpers that must succeed retry retriable errors for a bounded time, as a
 * client would; every check of a bad input expects one exact code.
 */

/** BrokerHandle is one running broker of a conformance run. */
export interface BrokerHandle {
  readonly broker: Broker
  /** cleanup closes the broker and everything that runs it (nodes, sockets, directories). */
  cleanup(): Promise<void>
}

/** BrokerFactory starts the broker a conformance run tests (once per run: the tests share it, each with its own topics and groups). */
export interface BrokerFactory {
  create(): Promise<BrokerHandle>
}

/**
 * BrokerConformanceOptions describe the broker under test. Its group coordinator must accept a
 * 10 s session timeout and refuse 1 ms and anything above 30 min (Kafka's bounds are 6 s and
 * 30 min), and rebalance without an initial delay.
 */
export interface BrokerConformanceOptions {
  /** nodes: how many nodes the broker's cluster has, i.e. the largest replication factor a topic may ask for. Default 1. */
  readonly nodes?: number
  /** testTimeoutMs: the bound of each test. Default 30,000 ms. */
  readonly testTimeoutMs?: number
}

/** BrokerCtx is what the suite's sections share. */
export interface BrokerCtx {
  broker: Broker
  nodes: number
}

/** RETRY_LIMIT_MS bounds how long a helper retries retriable errors (leader elections after a create). */
const RETRY_LIMIT_MS = 15_000

let counter = 0
/** uniqueName makes a topic or group name no other test of the run uses. */
export function uniqueName(prefix: string): string {
  counter++
  return `${prefix}-${process.pid}-${counter}`
}

/** retrying runs `f` until it resolves without a retriable TributaryError, for up to RETRY_LIMIT_MS. */
export async function retrying<T>(f: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRY_LIMIT_MS
  for (;;) {
    try {
      return await f()
    } catch (error) {
      if (!(error instanceof TributaryError) || !error.retriable || Date.now() > deadline) throw error
      await sleep(20)
    }
  }
}

/** ROUTING_CODES say "ask again, maybe elsewhere": a leader moving, or a client's stale leader. */
const ROUTING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE'])

/**
 * settled runs a call whose results carry per-partition errors again while one of them is a
 * routing error, as a client would, and returns the first answer without one: checks of bad
 * inputs then see the input's own code, never a routing one.
 */
export async function settled<R extends { error?: TributaryError }>(f: () => Promise<R[]>): Promise<R[]> {
  const deadline = Date.now() + RETRY_LIMIT_MS
  for (;;) {
    const results = await f()
    if (!results.some((r) => r.error !== undefined && ROUTING_CODES.has(r.error.code)) || Date.now() > deadline) return results
    await sleep(20)
  }
}

/** throwFirstError throws the first error of `results`, so that `retrying` retries a retriable one. */
function throwFirstError(results: ReadonlyArray<{ error?: TributaryError }>): void {
  const failed = results.find((r) => r.error !== undefined && r.error !== null)
  if (failed?.error) throw failed.error
}

/**
 * createTopic creates a topic (a unique name from `prefix`) and waits until every partition
 * answers listOffsets without an error, i.e. has a leader that serves it.
 */
export async function createTopic(ctx: BrokerCtx, prefix: string, spec: Omit<CreateTopicSpec, 'topic'> = {}): Promise<string> {
  const topic = uniqueName(prefix)
  const [result] = await retrying(() => ctx.broker.createTopics([{ topic, ...spec }]))
  if (result?.error) throw result.error
  const partitions = spec.numPartitions ?? 1
  await preferredLeaders(ctx, topic)
  await retrying(async () => {
    const answers = await ctx.broker.listOffsets(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition, timestamp: -1 })),
    )
    throwFirstError(answers)
  })
  return topic
}

/**
 * metadataUntil asks for `topic`'s metadata until `settled` holds for every one of its
 * partitions, for at most the retry limit (retriable errors are asked again), and returns the
 * last answer (null if every ask failed).
 */
async function metadataUntil(
  ctx: BrokerCtx,
  topic: string,
  settled: (p: ClusterMetadata['topics'][number]['partitions'][number]) => boolean,
): Promise<ClusterMetadata | null> {
  const deadline = Date.now() + RETRY_LIMIT_MS
  let meta: ClusterMetadata | null = null
  for (;;) {
    try {
      meta = await ctx.broker.metadata({ topics: [topic] })
      if (meta.topics.every((t) => t.partitions.every(settled))) return meta
    } catch (error) {
      if (!(error instanceof TributaryError) || !error.retriable) throw error
    }
    if (Date.now() > deadline) return meta
    await sleep(20)
  }
}

/**
 * preferredLeaders waits (at most the retry limit, then goes on) until every partition of `topic`
 * is led by its preferred replica, the first of its replicas. On a cluster a first election won
 * by another replica is handed back to the preferred one, and a call made during the handover is
 * refused as "leadership is moving": a test acts once that is over.
 */
async function preferredLeaders(ctx: BrokerCtx, topic: string): Promise<void> {
  await metadataUntil(ctx, topic, (p) => p.replicas.length === 0 || p.leader === p.replicas[0])
}

/**
 * metadataWithLeaders asks for `topic`'s metadata again while one of its partitions shows no
 * leader (-1: an election under way, which a Kafka client meets as LEADER_NOT_AVAILABLE and
 * retries), for at most the retry limit, and returns the last answer.
 */
export async function metadataWithLeaders(ctx: BrokerCtx, topic: string): Promise<ClusterMetadata> {
  return (await metadataUntil(ctx, topic, (p) => p.leader >= 0)) ?? ctx.broker.metadata({ topics: [topic] })
}

/** produce appends `records` as one batch with acks=all, retrying retriable errors, and returns the result. */
export async function produce(
  ctx: BrokerCtx,
  topic: string,
  partition: number,
  records: readonly TestRecord[],
  options?: MakeBatchOptions,
): Promise<ProducePartitionResult> {
  return retrying(async () => {
    const [r] = await ctx.broker.produce({
      acks: -1,
      timeoutMs: 10_000,
      partitions: [{ topic, partition, batch: makeBatch(records, options) }],
    })
    throwFirstError(r ? [r] : [])
    return r as ProducePartitionResult
  })
}

/** produceOnce sends one batch (again only while the answer is a retriable routing error) and returns the partition's result, for checks of errors. */
export async function produceOnce(ctx: BrokerCtx, topic: string, partition: number, batch: Buffer, acks: -1 | 0 | 1 = -1) {
  const [r] = await settled(() => ctx.broker.produce({ acks, timeoutMs: 10_000, partitions: [{ topic, partition, batch }] }))
  return r as ProducePartitionResult
}

/** fetchOnce fetches one partition from `offset` without waiting (again only while the answer is a retriable routing error). */
export async function fetchOnce(
  ctx: BrokerCtx,
  topic: string,
  partition: number,
  offset: number,
  maxBytes = 1 << 20,
): Promise<FetchPartitionResult> {
  const [r] = await settled(() => ctx.broker.fetch({ partitions: [{ topic, partition, offset, maxBytes }], maxWaitMs: 0 }))
  return r as FetchPartitionResult
}

/** ReadBack is one record as read back: its offset, key and value as strings. */
export interface ReadBack {
  offset: number
  key: string | null
  value: string | null
}

/** readPartition reads a partition from `from` to its high watermark. */
export async function readPartition(ctx: BrokerCtx, topic: string, partition: number, from = 0): Promise<ReadBack[]> {
  const out: ReadBack[] = []
  for (let offset = from; ; ) {
    const r = await retrying(async () => {
      const answer = await fetchOnce(ctx, topic, partition, offset)
      throwFirstError([answer])
      return answer
    })
    if (r.batches.length === 0) return out
    for (const batch of iterateBatches(r.batches)) {
      for (const rec of batch.records())
        if (rec.offset >= offset) out.push({ offset: rec.offset, key: rec.key?.toString() ?? null, value: rec.value?.toString() ?? null })
      offset = batch.lastOffset + 1
    }
  }
}

/** valuesOf decodes the values of fetched batches. */
export function valuesOf(batches: readonly Buffer[]): Array<string | null> {
  return batches.flatMap((b) => decodeRecordBatch(b).map((r) => r.value?.toString() ?? null))
}

/** records builds `count` keyed records named after `prefix`. */
export function records(prefix: string, count: number): TestRecord[] {
  return makeRecords(prefix, count)
}

/** expectCode awaits `p` and expects it to reject with a TributaryError of `code`. */
export async function expectRejects(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  let error: unknown
  try {
    await p
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(TributaryError)
  expect((error as TributaryError).code).toBe(code)
}

/** expectError expects a per-partition result to carry `code`. */
export function expectError(result: { error?: TributaryError } | undefined, code: ErrorCode): void {
  expect(result?.error).toBeInstanceOf(TributaryError)
  expect(result?.error?.code).toBe(code)
}

/** joinRequest is a consumer's JoinGroup request for `topics` with a 10 s session. */
export function joinRequest(groupId: string, topics: string[], memberId = ''): JoinGroupRequest {
  return {
    groupId,
    memberId,
    clientId: 'conformance',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', subscription: { topics } }],
  }
}

/** joinAlone joins a group as its only member and syncs `assignment`, retrying while the coordinator moves. */
export async function joinAlone(
  ctx: BrokerCtx,
  groupId: string,
  topics: string[],
  assignment: Record<string, number[]>,
): Promise<{ join: JoinGroupResult; assigned: GroupAssignment }> {
  const join = await retrying(() => ctx.broker.joinGroup(joinRequest(groupId, topics)))
  const assigned = await retrying(() =>
    ctx.broker.syncGroup({
      groupId,
      generationId: join.generationId,
      memberId: join.memberId,
      assignments: [{ memberId: join.memberId, assignment: { assignment } }],
    }),
  )
  return { join, assigned }
}

/** sleep waits `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
