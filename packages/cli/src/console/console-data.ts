import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TributaryError, iterateBatches, validateTopicName, type Broker } from '@tributary/core'
import { topicsWithOffsets } from '../topic-offsets'

/*
 * The console's JSON API answers, read from any Broker: topics with placement and offsets,
 * groups with members, assignments and lag, messages from a partition at an offset or a time,
 * and the node's own stats (storage, Raft). Each answer is a few broker requests; nothing is
 * cached except the offset history the sampler keeps for rates and sparklines.
 */

/** OffsetHistory keeps each topic's summed end offset over the last samples, for rates and sparklines. */
export class OffsetHistory {
  private readonly samples: Array<{ atMs: number; ends: Map<string, number> }> = []

  constructor(
    /** Samples kept (120 at 5 s: the last ten minutes). */
    private readonly maxSamples: number,
    /** Topics tracked per sample at most. */
    private readonly maxTopics = 1000,
  ) {}

  /** add records one sample of per-topic end offsets. */
  add(atMs: number, ends: Map<string, number>): void {
    const bounded = ends.size > this.maxTopics ? new Map([...ends].slice(0, this.maxTopics)) : ends
    this.samples.push({ atMs, ends: bounded })
    if (this.samples.length > this.maxSamples) this.samples.shift()
  }

  /** series is a topic's message rate per sample interval (messages/s), oldest first, and the latest rate. */
  series(topic: string): { rates: number[]; ratePerSec: number } {
    const rates: number[] = []
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1] as { atMs: number; ends: Map<string, number> }
      const b = this.samples[i] as { atMs: number; ends: Map<string, number> }
      const before = a.ends.get(topic)
      const after = b.ends.get(topic)
      const seconds = (b.atMs - a.atMs) / 1000
      rates.push(before === undefined || after === undefined || seconds <= 0 ? 0 : Math.max(0, (after - before) / seconds))
    }
    return { rates, ratePerSec: rates[rates.length - 1] ?? 0 }
  }
}

/** groupsWithLag describes every group: state, members and assignments, committed offsets and lag per partition. */
export async function groupsWithLag(broker: Broker, maxGroups: number) {
  const listed = (await broker.listGroups()).slice(0, maxGroups)
  const described = listed.length ? await broker.describeGroups(listed.map((g) => g.groupId)) : []
  const topics = await topicsWithOffsets(broker)
  const endOf = (topic: string, partition: number) =>
    topics.find((t) => t.name === topic)?.partitions.find((p) => p.partition === partition)?.endOffset
  const out = []
  for (const g of described) {
    const owner = new Map<string, string>()
    const members = g.members.map((m) => {
      const assignment = Object.entries(m.assignment?.assignment ?? {}).flatMap(([topic, ps]) =>
        ps.map((partition) => ({ topic, partition })),
      )
      for (const a of assignment) owner.set(`${a.topic}\u0000${a.partition}`, m.memberId)
      return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost ?? '', groupInstanceId: m.groupInstanceId, assignment }
    })
    const partitions = (await broker.fetchOffsets(g.groupId))
      .filter((c) => c.offset >= 0 && endOf(c.topic, c.partition) !== undefined)
      .map((c) => {
        const end = endOf(c.topic, c.partition) as number
        return {
          topic: c.topic,
          partition: c.partition,
          committedOffset: c.offset,
          endOffset: end,
          lag: Math.max(0, end - c.offset),
          owner: owner.get(`${c.topic}\u0000${c.partition}`) ?? null,
        }
      })
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    out.push({
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      protocol: g.protocol,
      generationId: g.generationId,
      members,
      partitions,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
    })
  }
  return out.sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
}

/** MAX_BROWSE_MESSAGES bounds one page of the message browser. */
export const MAX_BROWSE_MESSAGES = 200
/** MAX_BROWSE_BYTES bounds the bytes one page of the message browser fetches. */
const MAX_BROWSE_BYTES = 4 * 1024 * 1024

/**
 * browseMessages reads up to `limit` messages of one partition from `offset`, or from the first
 * offset at or after `timestampMs`. Keys, values and header values come back base64 (the page
 * shows them as text, JSON or hex).
 * @throws TributaryError INVALID_REQUEST for bad parameters, UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function browseMessages(
  broker: Broker,
  q: { topic: string; partition: number; offset?: number; timestampMs?: number; limit: number },
) {
  validateTopicName(q.topic)
  if (!Number.isSafeInteger(q.partition) || q.partition < 0) throw badRequest('partition must be a whole number ≥ 0')
  if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_BROWSE_MESSAGES)
    throw badRequest(`limit must be 1..${MAX_BROWSE_MESSAGES}`)
  if (q.offset !== undefined && (!Number.isSafeInteger(q.offset) || q.offset < 0)) throw badRequest('offset must be a whole number ≥ 0')
  if (q.timestampMs !== undefined && (!Number.isSafeInteger(q.timestampMs) || q.timestampMs < 0))
    throw badRequest('timestamp must be milliseconds since the epoch')
  const tp = { topic: q.topic, partition: q.partition }
  const offsetAt = async (timestamp: number): Promise<number> => {
    const [r] = await broker.listOffsets([{ ...tp, timestamp }])
    if (r?.error) throw r.error
    return Math.max(0, r?.offset ?? 0)
  }
  const [start, end] = await Promise.all([offsetAt(EARLIEST_TIMESTAMP), offsetAt(LATEST_TIMESTAMP)])
  let from = q.offset ?? start
  if (q.timestampMs !== undefined) {
    const [r] = await broker.listOffsets([{ ...tp, timestamp: q.timestampMs }])
    from = r === undefined || r.offset < 0 ? end : r.offset
  }
  from = Math.min(Math.max(from, start), end)
  const messages: Array<Record<string, unknown>> = []
  let next = from
  while (messages.length < q.limit && next < end) {
    const [r] = await broker.fetch({
      partitions: [{ ...tp, offset: next, maxBytes: MAX_BROWSE_BYTES }],
      maxWaitMs: 0,
      maxBytes: MAX_BROWSE_BYTES,
    })
    if (r?.error) throw r.error
    if (!r || r.batches.length === 0) break
    const before = next
    for (const batch of iterateBatches(r.batches)) {
      for (const rec of batch.records()) {
        if (rec.offset < next || messages.length >= q.limit) continue
        messages.push({
          offset: rec.offset,
          timestamp: rec.timestamp,
          key: rec.key?.toString('base64') ?? null,
          value: rec.value?.toString('base64') ?? null,
          headers: rec.headers.map((h) => ({ key: h.key, value: h.value?.toString('base64') ?? null })),
        })
        next = rec.offset + 1
      }
      if (messages.length < q.limit) next = Math.max(next, batch.lastOffset + 1)
    }
    if (next === before) break
  }
  return { ...tp, startOffset: start, endOffset: end, from, messages }
}

function badRequest(message: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', message)
}
