/*
 * Produce (key 0), advertised v0-11, served v3-11.
 *
 * Advertised from v0 as Kafka 4 does: librdkafka keeps a codec on only if Produce's range overlaps
 * 0 (and 0-7 for zstd), KAFKA-18659. Versions 0-2 carry legacy message sets (magic 0/1), which
 * Kafka 4 refuses by closing the connection; so does this server (no client sends them once v3+ is
 * advertised, and no legacy set is ever written). From v3 each partition carries exactly one magic-2
 * batch (else INVALID_RECORD, 87), zstd needs v7 (else UNSUPPORTED_COMPRESSION_TYPE, 76), and
 * transactional batches are refused (INVALID_TXN_STATE, 48: transactions are not supported).
 *
 * Batches go to the Broker as the client wrote them (views of the request frame, not re-encoded);
 * the broker assigns offsets, checks CRCs, sizes (MESSAGE_TOO_LARGE, 10), keys on compacted topics
 * (INVALID_RECORD) and idempotent sequences (OUT_OF_ORDER_SEQUENCE_NUMBER 45, INVALID_PRODUCER_EPOCH
 * 47; a retried batch gets its original offsets). Produce never creates topics
 * (UNKNOWN_TOPIC_OR_PARTITION). A topic the principal may not produce to is
 * TOPIC_AUTHORIZATION_FAILED (29) and nothing of it is written. `forward: false`: in a cluster a non-leader answers
 * NOT_LEADER_OR_FOLLOWER (6), and the client refreshes its metadata.
 *
 * The handler issues the broker call synchronously (before returning): when the broker copies the
 * batches out by then (Broker.copiesProducedBatches), the connection reuses the request's memory
 * for the next one (see JoinBuffers), so nothing here may keep a view of the records afterwards.
 *
 * acks=0 gets no response; an error under acks=0 closes the connection so the client notices, as
 * Kafka does. Pipelined: the broker call is issued when the request starts, so a connection's
 * produces keep their order while the acks waits overlap.
 */
import { type Acks, type ProducePartitionData, type ProducePartitionResult, TributaryError } from '@tributary/core'
import { Produce } from '../../messages'
import type { ProduceResponse } from '../../messages/00-produce'
import { type RequestContext, errorCodeFor, errorMessageOf } from '../context'
import { checkProducedRecords } from '../record-checks'
import { NO_RESPONSE, type RequestOf, serveApi } from '../served-api'

type PartitionOut = Partial<ProduceResponse['responses'][number]['partitionResponses'][number]>

/** produceApi answers Produce. */
export const produceApi = serveApi({
  api: Produce,
  minVersion: 0,
  maxVersion: 11,
  refusedBelow: 3,
  pipelined: true,
  handle(req, ctx) {
    const { acks, timeoutMs } = req.body
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      const error = new TributaryError('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, got ${acks}`)
      return Promise.resolve(answerAll(req, ctx, error))
    }
    // Validate each partition, then hand every valid batch to the broker in one call, synchronously.
    const outcomes: Array<PartitionOut | number> = []
    const batches: ProducePartitionData[] = []
    for (const topic of req.body.topicData) {
      const refused = ctx.refusal('produce', topic.name)
      for (const p of topic.partitionData) {
        if (refused !== null) {
          outcomes.push(failed(ctx, p.index, refused))
          continue
        }
        try {
          const batch = checkProducedRecords(p.records, req.apiVersion)
          outcomes.push(batches.length)
          batches.push({ topic: topic.name, partition: p.index, batch })
        } catch (error) {
          outcomes.push(failed(ctx, p.index, error))
        }
      }
    }
    const produced =
      batches.length === 0
        ? Promise.resolve([] as ProducePartitionResult[])
        : ctx.broker.produce({ acks: acks as Acks, timeoutMs: Math.max(0, timeoutMs), partitions: batches, forward: false })
    return produced.then(
      (results) => respond(req, outcomes, (i) => fromResult(ctx, results[i])),
      (error: unknown) => respond(req, outcomes, (i) => failed(ctx, batches[i]?.partition ?? -1, error)),
    )
  },
})

function respond(req: RequestOf<0>, outcomes: Array<PartitionOut | number>, fromBroker: (i: number) => PartitionOut) {
  let k = 0
  let anyError = false
  const responses = req.body.topicData.map((topic) => ({
    name: topic.name,
    partitionResponses: topic.partitionData.map(() => {
      const outcome = outcomes[k++] as PartitionOut | number
      const out = typeof outcome === 'number' ? fromBroker(outcome) : outcome
      if (out.errorCode !== 0) anyError = true
      return out
    }),
  }))
  if (req.body.acks === 0) {
    // Kafka closes the connection: with no response, that is the only way a client learns of it.
    if (anyError) throw new TributaryError('INVALID_REQUEST', `a Produce request with acks=0 failed (${firstErrors(responses).join('; ')})`)
    return NO_RESPONSE
  }
  return { responses, throttleTimeMs: 0 }
}

function answerAll(req: RequestOf<0>, ctx: RequestContext, error: TributaryError) {
  return respond(
    req,
    req.body.topicData.flatMap((t) => t.partitionData.map((p) => failed(ctx, p.index, error))),
    () => ({}),
  )
}

function fromResult(ctx: RequestContext, r: ProducePartitionResult | undefined): PartitionOut {
  if (r === undefined) return failed(ctx, -1, new Error('the broker answered fewer partitions than it was sent'))
  if (r.error) return failed(ctx, r.partition, r.error)
  return { index: r.partition, errorCode: 0, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset }
}

function failed(ctx: RequestContext, partition: number, error: unknown): PartitionOut {
  return {
    index: partition,
    errorCode: errorCodeFor(ctx, error, 'Produce'),
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    errorMessage: errorMessageOf(error),
  }
}

function firstErrors(responses: Array<{ name: string; partitionResponses: PartitionOut[] }>): string[] {
  const out: string[] = []
  for (const t of responses)
    for (const p of t.partitionResponses)
      if (p.errorCode !== 0 && out.length < 3) out.push(`${t.name}-${p.index}: ${p.errorMessage ?? p.errorCode}`)
  return out
}
