import { Command, Option } from 'commander'
import type { Tributary } from '@tributary/client'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TributaryError, iterateBatches, type RecordHeader } from '@tributary/core'
import { UsageError } from '../cli/exit-codes'
import { DEFAULT_FORMAT, ENCODINGS, type Encoding, type ShownMessage, compileFormat, toJson } from '../cli/message-format'
import { Progress } from '../cli/output'
import { type TargetFlags, addTargetOptions, openTarget, parseIntArg } from '../cli/target'

/*
 * `tributary consume TOPIC`: print messages as they arrive (as kcat -C and
 * kafka-console-consumer). Without --group it reads partitions directly and commits nothing;
 * with --group it is a member of that consumer group and commits what it printed. It stops at
 * --max-messages, at the end offsets of when it started (--exit-at-end), after --timeout-ms
 * without a message, or on Ctrl-C.
 */

interface ConsumeFlags extends TargetFlags {
  fromBeginning?: boolean
  group?: string
  partition?: string
  offset?: string
  maxMessages?: string
  exitAtEnd?: boolean
  timeoutMs?: string
  format?: string
  encoding: Encoding
}

/** Bytes asked per partition per fetch. */
const FETCH_PARTITION_BYTES = 1_048_576

/** consumeCommand is `tributary consume`. */
export function consumeCommand(): Command {
  return addTargetOptions(new Command('consume').description('print the messages of a topic'))
    .argument('<topic>', 'the topic')
    .option('-b, --from-beginning', 'start at the log start (default: only new messages) where no committed offset says otherwise')
    .option('-g, --group <group>', 'consume as a member of this consumer group and commit what was printed')
    .option('-p, --partition <n>', 'read only this partition (not with --group)')
    .option('-o, --offset <n>', 'start at this offset (with --partition)')
    .option('-n, --max-messages <n>', 'exit after printing N messages')
    .option('-e, --exit-at-end', 'exit once every partition is read up to its end offset at start')
    .option('--timeout-ms <ms>', 'exit after this long without a new message')
    .option('-f, --format <format>', `how to print each message, with %t %p %o %T %k %v %h %K %V placeholders (default ${DEFAULT_FORMAT})`)
    .addOption(new Option('--encoding <encoding>', 'how keys, values and headers are shown').choices([...ENCODINGS]).default('text'))
    .addHelpText(
      'after',
      `
Placeholders (kcat style): %t topic, %p partition, %o offset, %T timestamp in ms, %k key,
%v (or %s) value, %h headers as k=v,…, %K and %V key and value length (-1 for null), %% a
percent sign; \\n and \\t are newline and tab. --json prints one JSON object per line instead:
{"topic","partition","offset","timestamp","key","value","headers"}.`,
    )
    .action(async (topic: string, flags: ConsumeFlags) => {
      const max = flags.maxMessages !== undefined ? parseIntArg('--max-messages', flags.maxMessages, 1) : Number.POSITIVE_INFINITY
      const timeoutMs = flags.timeoutMs !== undefined ? parseIntArg('--timeout-ms', flags.timeoutMs, 1) : undefined
      if (flags.group !== undefined && (flags.partition !== undefined || flags.offset !== undefined))
        throw new UsageError('--partition and --offset read partitions directly: not with --group')
      if (flags.offset !== undefined && flags.partition === undefined) throw new UsageError('--offset needs --partition')
      const print = flags.json
        ? (m: ShownMessage) => `${JSON.stringify(toJson(m, flags.encoding))}\n`
        : compileFormat(flags.format ?? DEFAULT_FORMAT, flags.encoding)
      const target = await openTarget(flags)
      const progress = new Progress(`consuming ${topic}`)
      const run = new ConsumeRun(max, timeoutMs, (m) => {
        process.stdout.write(print(m))
        progress.update(`${run.count} messages`)
      })
      const onSignal = () => run.stop()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        if (flags.group !== undefined) await consumeInGroup(target.tb, topic, flags.group, flags, run)
        else await consumeDirectly(target.tb, topic, flags, run)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        progress.done()
        await target.close()
      }
    })
}

/** ConsumeRun counts what was printed and knows when to stop. */
class ConsumeRun {
  count = 0
  private readonly controller = new AbortController()
  private idleTimer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly max: number,
    private readonly timeoutMs: number | undefined,
    private readonly print: (m: ShownMessage) => void,
  ) {
    this.armIdle()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  get stopped(): boolean {
    return this.controller.signal.aborted
  }

  /** show prints one message unless the run is over; returns false once it is. */
  show(m: ShownMessage): boolean {
    if (this.stopped) return false
    this.print(m)
    this.count++
    this.armIdle()
    if (this.count >= this.max) this.stop()
    return !this.stopped
  }

  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.controller.abort()
  }

  whenStopped(): Promise<void> {
    return this.stopped
      ? Promise.resolve()
      : new Promise((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }))
  }

  private armIdle(): void {
    if (this.timeoutMs === undefined) return
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => this.stop(), this.timeoutMs)
  }
}

async function partitionsAndEnds(tb: Tributary, topic: string, only: number | undefined) {
  const metadata = await tb.broker.metadata({ topics: [topic] })
  const all = metadata.topics[0]?.partitions.map((p) => p.partition).sort((a, b) => a - b) ?? []
  if (only !== undefined && !all.includes(only))
    throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `${topic} has no partition ${only}`, { details: { topic, partition: only } })
  const partitions = only !== undefined ? [only] : all
  const ask = (timestamp: number) => tb.broker.listOffsets(partitions.map((partition) => ({ topic, partition, timestamp })))
  const [starts, ends] = await Promise.all([ask(EARLIEST_TIMESTAMP), ask(LATEST_TIMESTAMP)])
  const at = (list: typeof starts, p: number) => Math.max(0, list.find((r) => r.partition === p)?.offset ?? 0)
  return { partitions, start: (p: number) => at(starts, p), end: (p: number) => at(ends, p) }
}

/** consumeDirectly reads partitions with fetch requests, from positions it keeps itself (no group, no commits). */
async function consumeDirectly(tb: Tributary, topic: string, flags: ConsumeFlags, run: ConsumeRun): Promise<void> {
  const only = flags.partition !== undefined ? parseIntArg('--partition', flags.partition) : undefined
  const { partitions, start, end } = await partitionsAndEnds(tb, topic, only)
  const position = new Map<number, number>()
  for (const p of partitions) {
    const asked = flags.offset !== undefined ? parseIntArg('--offset', flags.offset) : undefined
    position.set(p, asked ?? (flags.fromBeginning ? start(p) : end(p)))
  }
  const endAtStart = new Map(partitions.map((p) => [p, end(p)]))
  while (!run.stopped) {
    const active = partitions.filter((p) => !flags.exitAtEnd || (position.get(p) as number) < (endAtStart.get(p) as number))
    if (active.length === 0) return run.stop()
    const results = await tb.broker.fetch({
      partitions: active.map((partition) => ({
        topic,
        partition,
        offset: position.get(partition) as number,
        maxBytes: FETCH_PARTITION_BYTES,
      })),
      maxWaitMs: 500,
      maxBytes: 4 * FETCH_PARTITION_BYTES,
      signal: run.signal,
    })
    for (const r of results) {
      if (r.error?.code === 'OFFSET_OUT_OF_RANGE') {
        position.set(r.partition, r.logStartOffset)
        continue
      }
      if (r.error) throw r.error
      let next = position.get(r.partition) as number
      for (const batch of iterateBatches(r.batches)) {
        for (const record of batch.records()) {
          if (record.offset < next) continue
          if (!run.show({ topic, partition: r.partition, ...record })) return
          next = record.offset + 1
        }
        next = Math.max(next, batch.lastOffset + 1)
      }
      position.set(r.partition, next)
    }
  }
}

/** consumeInGroup is a consumer group member: it prints what it is assigned and commits what it printed. */
async function consumeInGroup(tb: Tributary, topic: string, group: string, flags: ConsumeFlags, run: ConsumeRun): Promise<void> {
  const { end } = await partitionsAndEnds(tb, topic, undefined)
  const committed = new Map(
    (await tb.broker.fetchOffsets(group)).filter((o) => o.topic === topic && o.offset >= 0).map((o) => [o.partition, o.offset]),
  )
  const consumer = tb.consumer({ groupId: group, allowAutoTopicCreation: false, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 })
  const position = new Map<number, number>()
  let assigned: number[] | null = null
  const atEnd = () =>
    flags.exitAtEnd === true &&
    assigned !== null &&
    assigned.every((p) => (position.get(p) ?? committed.get(p) ?? (flags.fromBeginning ? 0 : end(p))) >= end(p))
  consumer.on<{ memberAssignment: Record<string, number[]> }>(consumer.events.GROUP_JOIN, (e) => {
    assigned = e.payload.memberAssignment[topic] ?? []
    if (atEnd()) run.stop()
  })
  await consumer.subscribe({ topics: [topic], fromBeginning: flags.fromBeginning === true })
  // Only printed messages are resolved (and so committed): what a stop leaves unprinted stays for the group.
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, isStale }) => {
      for (const message of batch.messages) {
        if (run.stopped || isStale()) return
        const headers: RecordHeader[] = Object.entries(message.headers).flatMap(([key, v]) =>
          (Array.isArray(v) ? v : [v]).map((value) => ({ key, value })),
        )
        const m = {
          topic,
          partition: batch.partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
        }
        run.show({ ...m, headers })
        resolveOffset(message.offset)
        position.set(batch.partition, message.offset + 1)
        if (atEnd()) run.stop()
      }
    },
  })
  await run.whenStopped()
  await consumer.disconnect()
}
