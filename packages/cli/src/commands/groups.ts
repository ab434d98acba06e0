import { Command } from 'commander'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '@tributary/core'
import { UsageError } from '../cli/exit-codes'
import { note, printJson, printTable } from '../cli/output'
import { type ReadView, openReadView } from '../cli/read-view'
import { type TargetFlags, addTargetOptions, collect, openTarget, parseIntArg } from '../cli/target'

/*
 * `tributary groups list|describe|lag|reset-offsets|delete`, as kafka-consumer-groups.sh.
 * list, describe and lag read a locked data directory from disk (committed offsets, no members);
 * reset-offsets plans by default (--dry-run) and changes offsets only with --execute, for a group
 * with no members.
 */

/** groupsCommand is `tributary groups`. */
export function groupsCommand(): Command {
  const groups = new Command('groups').description('list, describe, show lag of, reset and delete consumer groups')
  groups.addCommand(listCommand())
  groups.addCommand(describeCommand())
  groups.addCommand(lagCommand())
  groups.addCommand(resetOffsetsCommand())
  groups.addCommand(deleteCommand())
  return groups
}

function listCommand(): Command {
  return addTargetOptions(new Command('list').description('list consumer groups with their state')).action(async (flags: TargetFlags) => {
    const view = await openReadView(flags)
    try {
      const groups = await view.groups()
      if (flags.json) return printJson(groups)
      printTable(groups, [
        { header: 'GROUP', value: (g) => g.groupId },
        { header: 'STATE', value: (g) => g.state },
        { header: 'PROTOCOL-TYPE', value: (g) => g.protocolType || '-' },
      ])
    } finally {
      await view.close()
    }
  })
}

function describeCommand(): Command {
  return addTargetOptions(new Command('describe').description('state, generation, members and their assignments'))
    .argument('<groups...>', 'the groups')
    .action(async (ids: string[], flags: TargetFlags) => {
      const view = await openReadView(flags)
      try {
        const groups = await view.describeGroups(ids)
        if (flags.json) return printJson(groups)
        for (const [i, g] of groups.entries()) {
          if (i > 0) process.stdout.write('\n')
          process.stdout.write(`Group: ${g.groupId}  state: ${g.state}  protocol: ${g.protocol || '-'}  generation: ${g.generationId}\n`)
          if (g.members.length === 0) process.stdout.write('(no members)\n')
          else
            printTable(g.members, [
              { header: 'MEMBER', value: (m) => m.memberId },
              { header: 'CLIENT', value: (m) => m.clientId },
              { header: 'HOST', value: (m) => m.clientHost || '-' },
              { header: 'ASSIGNMENT', value: (m) => m.assignment.map((a) => `${a.topic}-${a.partition}`).join(',') || '-' },
            ])
        }
      } finally {
        await view.close()
      }
    })
}

/** LagRow is one partition a group has committed to. */
interface LagRow {
  group: string
  topic: string
  partition: number
  committed: number
  end: number
  lag: number
  member: string
}

async function lagRows(view: ReadView, ids: string[]): Promise<LagRow[]> {
  const groups = ids.length ? ids : (await view.groups()).map((g) => g.groupId)
  const described = new Map((await view.describeGroups(groups)).map((g) => [g.groupId, g]))
  const rows: LagRow[] = []
  for (const group of groups) {
    const committed = await view.committed(group)
    if (committed.length === 0) continue
    const topics = await view.topics([...new Set(committed.map((c) => c.topic))])
    const owner = new Map<string, string>()
    for (const m of described.get(group)?.members ?? []) for (const a of m.assignment) owner.set(`${a.topic}-${a.partition}`, m.memberId)
    for (const c of committed) {
      const end = topics.find((t) => t.name === c.topic)?.partitions.find((p) => p.partition === c.partition)?.endOffset ?? c.offset
      rows.push({
        group,
        topic: c.topic,
        partition: c.partition,
        committed: c.offset,
        end,
        lag: Math.max(0, end - c.offset),
        member: owner.get(`${c.topic}-${c.partition}`) ?? '-',
      })
    }
  }
  return rows.sort((a, b) =>
    a.group !== b.group ? (a.group < b.group ? -1 : 1) : a.topic !== b.topic ? (a.topic < b.topic ? -1 : 1) : a.partition - b.partition,
  )
}

function lagCommand(): Command {
  return addTargetOptions(new Command('lag').description('committed offset, end offset and lag per partition'))
    .argument('[groups...]', 'the groups (default: every group)')
    .action(async (ids: string[], flags: TargetFlags) => {
      const view = await openReadView(flags)
      try {
        const rows = await lagRows(view, ids)
        if (flags.json) return printJson(rows)
        printTable(rows, [
          { header: 'GROUP', value: (r) => r.group },
          { header: 'TOPIC', value: (r) => r.topic },
          { header: 'PARTITION', value: (r) => r.partition },
          { header: 'COMMITTED', value: (r) => r.committed },
          { header: 'END', value: (r) => r.end },
          { header: 'LAG', value: (r) => r.lag },
          { header: 'MEMBER', value: (r) => r.member },
        ])
      } finally {
        await view.close()
      }
    })
}

interface ResetFlags extends TargetFlags {
  topic: string[]
  allTopics?: boolean
  toEarliest?: boolean
  toLatest?: boolean
  toOffset?: string
  toDatetime?: string
  execute?: boolean
  dryRun?: boolean
}

function resetOffsetsCommand(): Command {
  return addTargetOptions(
    new Command('reset-offsets').description("plan (default, --dry-run) or --execute moving an empty group's committed offsets"),
  )
    .argument('<group>', 'the group (it must have no members to --execute)')
    .option('--topic <topic[:partitions]>', 'a topic, optionally with partitions: orders or orders:0,2 (repeatable)', collect, [])
    .option('--all-topics', 'every topic the group has committed offsets for')
    .option('--to-earliest', 'to each partition’s log start')
    .option('--to-latest', 'to each partition’s log end')
    .option('--to-offset <n>', 'to offset N (clamped to the log’s range)')
    .option('--to-datetime <iso>', 'to the first offset at or after an ISO-8601 time, e.g. 2024-05-01T10:00:00Z')
    .option('--dry-run', 'show the plan and change nothing (the default)')
    .option('--execute', 'apply the plan')
    .action(async (group: string, flags: ResetFlags) => {
      const modes = (['toEarliest', 'toLatest', 'toOffset', 'toDatetime'] as const).filter((m) => flags[m] !== undefined)
      if (modes.length !== 1)
        throw new UsageError('reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO')
      if (flags.execute && flags.dryRun) throw new UsageError('--dry-run and --execute cannot be combined')
      if (flags.topic.length === 0 && !flags.allTopics) throw new UsageError('name the topics: --topic TOPIC[:PARTITIONS] or --all-topics')
      const toOffset = flags.toOffset !== undefined ? parseIntArg('--to-offset', flags.toOffset) : undefined
      const toTime = flags.toDatetime !== undefined ? Date.parse(flags.toDatetime) : undefined
      if (toTime !== undefined && Number.isNaN(toTime))
        throw new UsageError(`--to-datetime must be an ISO-8601 time, got ${flags.toDatetime}`)
      const target = await openTarget(flags)
      try {
        const broker = target.tb.broker
        const committed = (await broker.fetchOffsets(group)).filter((o) => o.offset >= 0)
        const wanted = flags.allTopics
          ? [...new Set(committed.map((c) => c.topic))].map((t) => ({ topic: t, partitions: null }))
          : flags.topic.map(parseTopicPartitions)
        const metadata = await broker.metadata({ topics: wanted.map((w) => w.topic) })
        const tps = wanted.flatMap((w) => {
          const all = metadata.topics.find((t) => t.name === w.topic)?.partitions.map((p) => p.partition) ?? []
          return (w.partitions ?? all).map((partition) => ({ topic: w.topic, partition }))
        })
        const ask = (timestamp: number) => (tps.length ? broker.listOffsets(tps.map((tp) => ({ ...tp, timestamp }))) : Promise.resolve([]))
        const [starts, ends, atTime] = await Promise.all([
          ask(EARLIEST_TIMESTAMP),
          ask(LATEST_TIMESTAMP),
          toTime !== undefined ? ask(toTime) : [],
        ])
        const pick = (list: Array<{ topic: string; partition: number; offset: number }>, tp: { topic: string; partition: number }) =>
          list.find((r) => r.topic === tp.topic && r.partition === tp.partition)?.offset ?? -1
        const plan = tps.map((tp) => {
          const start = Math.max(0, pick(starts, tp))
          const end = Math.max(0, pick(ends, tp))
          let next = end
          if (flags.toEarliest) next = start
          else if (toOffset !== undefined) next = Math.min(Math.max(toOffset, start), end)
          else if (toTime !== undefined) next = pick(atTime, tp) < 0 ? end : pick(atTime, tp)
          const current = committed.find((c) => c.topic === tp.topic && c.partition === tp.partition)?.offset ?? -1
          return { group, topic: tp.topic, partition: tp.partition, current, next }
        })
        if (flags.execute) {
          const byTopic = new Map<string, Array<{ partition: number; offset: number }>>()
          for (const p of plan) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition, offset: p.next }])
          const admin = target.tb.admin()
          for (const [topic, partitions] of byTopic) await admin.setOffsets({ groupId: group, topic, partitions })
        }
        if (flags.json) return printJson({ executed: flags.execute === true, plan })
        printTable(plan, [
          { header: 'GROUP', value: (p) => p.group },
          { header: 'TOPIC', value: (p) => p.topic },
          { header: 'PARTITION', value: (p) => p.partition },
          { header: 'CURRENT', value: (p) => (p.current < 0 ? '-' : p.current) },
          { header: 'NEW', value: (p) => p.next },
        ])
        note(flags.execute ? `reset ${plan.length} partitions of group ${group}` : 'dry run: nothing changed (add --execute to apply)')
      } finally {
        await target.close()
      }
    })
}

function parseTopicPartitions(value: string): { topic: string; partitions: number[] | null } {
  const at = value.lastIndexOf(':')
  if (at < 0) return { topic: value, partitions: null }
  const partitions = value
    .slice(at + 1)
    .split(',')
    .map((p) => parseIntArg('--topic partition', p.trim()))
  return { topic: value.slice(0, at), partitions }
}

function deleteCommand(): Command {
  return addTargetOptions(new Command('delete').description('delete groups that have no members, with their committed offsets'))
    .argument('<groups...>', 'the groups')
    .action(async (ids: string[], flags: TargetFlags) => {
      const target = await openTarget(flags)
      try {
        await target.tb.broker.deleteGroups(ids)
        if (flags.json) return printJson({ deleted: ids })
        for (const id of ids) note(`deleted group ${id}`)
      } finally {
        await target.close()
      }
    })
}
