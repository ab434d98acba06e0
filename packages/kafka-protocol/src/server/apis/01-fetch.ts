/*
 * Fetch (key 1), served v4-12 (magic-2 batches only, as Kafka 4: v0-3 would need down-conversion
 * to legacy message sets; v13+ name topics by id).
 *
 * A long poll on the Broker's append wakeups: the broker answers once `minBytes` are available or
 * `maxWaitMs` has passed (capped at MAX_WAIT_MS; a closing connection ends the wait). Budgets: the
 * request's maxBytes for the response and partitionMaxBytes per partition, except that the first
 * batch found is always returned whole even over them (KIP-74), so a large batch cannot stall a
 * consumer. Batches are served as stored, whole, and the first is the one that contains the fetch
 * offset (it may start before it; clients skip the records below their offset).
 *
 * Per partition: highWatermark (what consumers may read), lastStableOffset = highWatermark (no
 * transactions, so READ_COMMITTED reads the same), logStartOffset, no aborted transactions,
 * preferredReadReplica -1. An offset outside [logStart, highWatermark] is OFFSET_OUT_OF_RANGE (1);
 * exactly at the end is an empty answer. zstd batches are refused below v10
 * (UNSUPPORTED_COMPRESSION_TYPE, 76), as Kafka does. In a cluster a node answers
 * NOT_LEADER_OR_FOLLOWER (6) for partitions it does not lead (`forward: false`), and the client
 * refreshes its metadata. A topic the principal may not fetch is TOPIC_AUTHORIZATION_FAILED (29).
 * A negative MaxBytes or PartitionMaxBytes is answered as Kafka answers it: its log read refuses a
 * negative size (IllegalArgumentException), so each partition is UNKNOWN_SERVER_ERROR (-1) and
 * nothing is read; here a line is logged once per request. 0 is valid (the first batch comes whole).
 *
 * Sessions (KIP-227): none are kept. Clients that ask for one (epoch 0) get session id 0, which
 * means "no session": they send full fetches, as librdkafka, KafkaJS and kafka-python always do.
 * An incremental fetch of a session (id ≠ 0) is FETCH_SESSION_ID_NOT_FOUND (70), after which
 * clients start over with a full fetch.
 */
import { type FetchPartitionRequest, type FetchPartitionResult, TributaryError } from '@tributary/core'
import { Fetch } from '../../messages'
import type { FetchResponse } from '../../messages/01-fetch'
import { type RequestContext, errorCodeFor } from '../context'
import { ZSTD, compressionIdOf } from '../record-checks'
import { serveApi } from '../served-api'

type PartitionOut = Partial<FetchResponse['responses'][number]['partitions'][number]>

/** The longest a fetch waits for data, in ms, whatever the client asks (clients ask 500-5000). */
const MAX_WAIT_MS = 60_000
const FETCH_SESSION_ID_NOT_FOUND = 70
const UNSUPPORTED_COMPRESSION_TYPE = 76
const EMPTY = Buffer.alloc(0)

/** fetchApi answers Fetch. */
export const fetchApi = serveApi({
  api: Fetch,
  minVersion: 4,
  maxVersion: 12,
  pipelined: true,
  handle(req, ctx) {
    const body = req.body
    if (body.sessionId !== 0)
      return Promise.resolve({ throttleTimeMs: 0, errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] })
    const partitions: FetchPartitionRequest[] = []
    // Per asked partition: its index in `partitions`, or why it is refused (TOPIC_AUTHORIZATION_FAILED).
    const slots: Array<number | { partition: number; error: TributaryError }> = []
    let negative: TributaryError | null = null
    for (const t of body.topics) {
      const refused = ctx.refusal('fetch', t.topic)
      for (const p of t.partitions) {
        if (refused !== null) {
          slots.push({ partition: p.partition, error: refused })
          continue
        }
        if (body.maxBytes < 0 || p.partitionMaxBytes < 0) {
          negative ??= new TributaryError(
            'UNKNOWN_SERVER_ERROR',
            `Fetch with a negative size (MaxBytes ${body.maxBytes}, PartitionMaxBytes ${p.partitionMaxBytes}): invalid max size for a log read`,
          )
          slots.push({ partition: p.partition, error: negative })
          continue
        }
        slots.push(partitions.length)
        partitions.push({ topic: t.topic, partition: p.partition, offset: p.fetchOffset, maxBytes: p.partitionMaxBytes })
      }
    }
    const fetched =
      // Every partition refused: nothing to ask (a fetch of no partitions still waits, as before).
      partitions.length === 0 && slots.length > 0
        ? Promise.resolve([] as FetchPartitionResult[])
        : ctx.broker.fetch({
            partitions,
            maxWaitMs: Math.min(Math.max(0, body.maxWaitMs), MAX_WAIT_MS),
            minBytes: Math.max(0, body.minBytes),
            maxBytes: body.maxBytes,
            signal: ctx.connection.signal,
            forward: false,
          })
    if (negative !== null)
      ctx.connection.log.warn('answered a Fetch with a negative size UNKNOWN_SERVER_ERROR, as Kafka does', { error: negative.message })
    const version = req.apiVersion
    // As Kafka: READ_COMMITTED answers list their (no) aborted transactions, READ_UNCOMMITTED ones send null.
    const aborted = body.isolationLevel === 1 ? [] : null
    const refusedOr = (i: number, out: (k: number) => PartitionOut): PartitionOut => {
      const slot = slots[i]
      if (slot === undefined) return failed(ctx, -1, new Error('a fetch slot is missing'))
      return typeof slot === 'number' ? out(slot) : failed(ctx, slot.partition, slot.error)
    }
    return fetched.then(
      (results) =>
        answer(body.topics, (i) => ({ ...refusedOr(i, (k) => fromResult(ctx, results[k], version)), abortedTransactions: aborted })),
      (error: unknown) => answer(body.topics, (i) => refusedOr(i, (k) => failed(ctx, partitions[k]?.partition ?? -1, error))),
    )
  },
})

function answer(topics: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<unknown> }>, partitionOut: (i: number) => PartitionOut) {
  let i = 0
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map(() => partitionOut(i++)) })),
  }
}

function fromResult(ctx: RequestContext, r: FetchPartitionResult | undefined, version: number): PartitionOut {
  if (r === undefined) return failed(ctx, -1, new Error('the broker answered fewer partitions than it was asked'))
  if (r.error) return failed(ctx, r.partition, r.error)
  const { batches } = r
  if (version < 10 && batches.some((b) => compressionIdOf(b) === ZSTD)) {
    return { ...failed(ctx, r.partition, null), errorCode: UNSUPPORTED_COMPRESSION_TYPE, highWatermark: r.highWatermark }
  }
  return {
    partitionIndex: r.partition,
    errorCode: 0,
    highWatermark: r.highWatermark,
    lastStableOffset: r.highWatermark,
    logStartOffset: r.logStartOffset,
    preferredReadReplica: -1,
    records: batches.length === 0 ? EMPTY : batches.length === 1 ? (batches[0] as Buffer) : Buffer.concat(batches),
  }
}

function failed(ctx: RequestContext, partition: number, error: unknown): PartitionOut {
  return {
    partitionIndex: partition,
    errorCode: error === null ? 0 : errorCodeFor(ctx, error, 'Fetch'),
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    preferredReadReplica: -1,
    records: EMPTY,
  }
}
