import { type CreateTopicResult, type CreateTopicSpec, TributaryError } from '@tributary/core'
import { checkCreateTopicsRequest } from '@tributary/core/internal'
import { errorFromKafkaCode } from '../error-codes'
import type { KafkaContext } from './context'
import {
  alterConfigsRequest,
  createTopicsRequest,
  deleteTopicsRequest,
  describeConfigsRequest,
  incrementalAlterConfigsRequest,
  parseCreateTopics,
  parseDescribeConfigs,
} from './requests/admin'
import type { MetadataSnapshot } from './requests/metadata'
import { refusedTopic, topicSpecError } from './request-checks'

/*
 * Topic admin at the controller. Kafka applies these asynchronously: a created topic's leaders, a
 * deleted topic's absence and new partitions reach every broker's metadata a moment after the
 * answer. LocalBroker's are immediate, and an application written against it creates a topic and
 * produces to it at once, so each call here waits (up to requestTimeoutMs) until metadata shows
 * the change, as KafkaJS's admin does for createTopics (waitForLeaders).
 */

/** LoadMetadata asks a broker for metadata about `topics`. */
export type LoadMetadata = (topics: string[]) => Promise<MetadataSnapshot>

/** createTopics creates topics; one that exists already is `created: false`, other refusals are per-topic errors. */
export async function createTopics(
  ctx: KafkaContext,
  load: LoadMetadata,
  specs: CreateTopicSpec[],
  options: { validateOnly?: boolean } = {},
): Promise<CreateTopicResult[]> {
  checkCreateTopicsRequest(specs)
  if (specs.length === 0) return []
  const validateOnly = options.validateOnly === true
  // Specs the wire cannot carry are refused here, each in its own result; the rest go to the controller.
  const results: CreateTopicResult[] = new Array(specs.length)
  const sendable: CreateTopicSpec[] = []
  specs.forEach((spec, i) => {
    const refused = topicSpecError(spec)
    if (refused) results[i] = refusedTopic(spec, refused)
    else sendable.push(spec)
  })
  const answered =
    sendable.length === 0
      ? []
      : await ctx.sendController(
          19,
          (version) => createTopicsRequest(sendable, validateOnly, ctx.options.requestTimeoutMs, version),
          ({ body }) => {
            const parsed = parseCreateTopics(body, sendable)
            // Every topic refused by a broker that is no longer the controller: ask the new one.
            if (parsed.length > 0 && parsed.every((r) => r.error?.code === 'NOT_CONTROLLER')) throw parsed[0]?.error
            return parsed
          },
        )
  let next = 0
  for (let i = 0; i < results.length; i++) if (results[i] === undefined) results[i] = answered[next++] as CreateTopicResult
  const created = results.filter((r) => r.created).map((r) => r.topic)
  if (!validateOnly && created.length > 0) {
    await waitForMetadata(ctx, load, created, (s) =>
      created.every((name) => {
        const t = s.topics.find((x) => x.name === name)
        return t !== undefined && t.error === null && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)
      }),
    )
  }
  return results
}

/**
 * deleteTopics deletes topics. Unknown names are UNKNOWN_TOPIC_OR_PARTITION before anything is
 * deleted (as LocalBroker), checked against metadata first.
 */
export async function deleteTopics(ctx: KafkaContext, load: LoadMetadata, topics: string[]): Promise<void> {
  if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string'))
    throw new TributaryError('INVALID_REQUEST', 'deleteTopics takes an array of topic names')
  if (topics.length === 0) return
  const before = await load(topics)
  for (const name of topics) {
    const t = before.topics.find((x) => x.name === name)
    if (t === undefined || t.error?.code === 'UNKNOWN_TOPIC_OR_PARTITION')
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic '${name}'`, { details: { topic: name } })
  }
  await ctx.sendController(20, deleteTopicsRequest(topics, ctx.options.requestTimeoutMs), ({ body }) => {
    for (const r of body.responses) {
      const error = errorFromKafkaCode(r.errorCode, r.errorMessage, { topic: r.name })
      if (error) throw error
    }
  })
  for (const t of topics) ctx.cache.forget(t)
  ctx.cache.markStale()
  await waitForMetadata(ctx, load, topics, (s) =>
    topics.every((name) => {
      const t = s.topics.find((x) => x.name === name)
      return t === undefined || t.error?.code === 'UNKNOWN_TOPIC_OR_PARTITION'
    }),
  )
}

/** createPartitions raises a topic's partition count to `totalCount` (INVALID_PARTITIONS when not larger). */
export async function createPartitions(
  ctx: KafkaContext,
  load: LoadMetadata,
  topic: string,
  totalCount: number,
  options: { validateOnly?: boolean } = {},
): Promise<void> {
  if (typeof topic !== 'string') throw new TributaryError('INVALID_REQUEST', 'createPartitions takes a topic name')
  if (typeof totalCount !== 'number' || !Number.isInteger(totalCount) || totalCount < 1 || totalCount > 2_147_483_647)
    throw new TributaryError('INVALID_PARTITIONS', `The new partition count must be a positive integer, got ${String(totalCount)}`)
  const validateOnly = options.validateOnly === true
  await ctx.sendController(
    37,
    { topics: [{ name: topic, count: totalCount, assignments: null }], timeoutMs: ctx.options.requestTimeoutMs, validateOnly },
    ({ body }) => {
      const r = body.results.find((x) => x.name === topic) ?? body.results[0]
      const error = r ? errorFromKafkaCode(r.errorCode, r.errorMessage, { topic }) : null
      if (error) throw error
    },
  )
  if (validateOnly) return
  ctx.cache.markStale()
  await waitForMetadata(ctx, load, [topic], (s) => {
    const t = s.topics.find((x) => x.name === topic)
    return t !== undefined && t.partitions.length >= totalCount && t.partitions.every((p) => p.leader >= 0)
  })
}

/** describeConfigs lists a topic's configs (any broker answers for topics). */
export async function describeConfigs(
  ctx: KafkaContext,
  topic: string,
): Promise<Array<{ name: string; value: string; isDefault: boolean }>> {
  if (typeof topic !== 'string') throw new TributaryError('INVALID_REQUEST', 'describeConfigs takes a topic name')
  const { body, version } = await ctx.sendAny(32, describeConfigsRequest(topic))
  return parseDescribeConfigs(body, version, topic)
}

/**
 * alterConfigs sets (a value) or resets (null) a topic's config overrides, leaving the others as
 * they are: IncrementalAlterConfigs where the controller has it (Kafka 2.3+), else the legacy
 * AlterConfigs with the topic's current overrides merged in (it replaces them all).
 */
export async function alterConfigs(
  ctx: KafkaContext,
  topic: string,
  entries: Array<{ name: string; value: string | null }>,
  options: { validateOnly?: boolean } = {},
): Promise<void> {
  if (typeof topic !== 'string' || !Array.isArray(entries))
    throw new TributaryError('INVALID_REQUEST', 'alterConfigs takes a topic and entries')
  const validateOnly = options.validateOnly === true
  const check = ({ body }: { body: { responses: Array<{ errorCode: number; errorMessage: string | null }> } }): void => {
    const r = body.responses[0]
    const error = r ? errorFromKafkaCode(r.errorCode, r.errorMessage, { topic }) : null
    if (error) throw error
  }
  let incremental = true
  await ctx
    .sendController(
      44,
      () => incrementalAlterConfigsRequest(topic, entries, validateOnly),
      (response) => check(response),
    )
    .catch((error: unknown) => {
      if (!(error instanceof TributaryError && error.code === 'UNSUPPORTED_VERSION' && error.details.apiKey === 44)) throw error
      incremental = false
    })
  if (!incremental) {
    const overrides = (await describeConfigs(ctx, topic)).filter((c) => !c.isDefault)
    await ctx.sendController(33, alterConfigsRequest(topic, overrides, entries, validateOnly), check)
  }
  if (!validateOnly) await waitForConfigs(ctx, topic, entries)
}

/**
 * waitForConfigs asks for the topic's configs until every entry set shows as an override and every
 * entry reset as a default (the broker answering describeConfigs may apply the change a moment
 * after the controller did), up to requestTimeoutMs; then it gives up quietly.
 */
async function waitForConfigs(
  ctx: KafkaContext,
  topic: string,
  entries: ReadonlyArray<{ name: string; value: string | null }>,
): Promise<void> {
  const deadline = ctx.deadline()
  for (let attempt = 0; ctx.clock.now() < deadline; attempt++) {
    const configs = new Map((await describeConfigs(ctx, topic)).map((c) => [c.name, c]))
    if (entries.every((e) => configs.get(e.name)?.isDefault !== (e.value !== null))) return
    await ctx.backoff(Math.min(attempt, 3))
  }
}

/** waitForMetadata asks for `topics` until `done` holds or requestTimeoutMs passes (then it gives up quietly). */
async function waitForMetadata(
  ctx: KafkaContext,
  load: LoadMetadata,
  topics: string[],
  done: (s: MetadataSnapshot) => boolean,
): Promise<void> {
  const deadline = ctx.deadline()
  for (let attempt = 0; ctx.clock.now() < deadline; attempt++) {
    try {
      const snapshot = await load(topics)
      ctx.cache.update(snapshot, topics)
      if (done(snapshot)) return
    } catch (error) {
      if (!(error instanceof TributaryError) || !error.retriable) throw error
    }
    await ctx.backoff(Math.min(attempt, 3))
  }
}
