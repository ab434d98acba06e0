import { Command } from 'commander'
import { type ConfigEntry, TributaryError, isTributaryError } from '@tributary/core'
import { UsageError } from '../cli/exit-codes'
import { note, printJson, printTable } from '../cli/output'
import { type TopicView, openReadView } from '../cli/read-view'
import { type TargetFlags, addTargetOptions, collect, openTarget, parseIntArg, parseKeyValue } from '../cli/target'

/*
 * `tributary topics list|describe|create|delete|alter-config`, as kafka-topics.sh and rpk topic.
 * list and describe read a locked data directory from disk; the others need the storage lock or
 * a running node.
 */

/** topicsCommand is `tributary topics`. */
export function topicsCommand(): Command {
  const topics = new Command('topics').description('list, describe, create, delete topics and change their configs')
  topics.addCommand(listCommand())
  topics.addCommand(describeCommand())
  topics.addCommand(createCommand())
  topics.addCommand(deleteCommand())
  topics.addCommand(alterConfigCommand())
  return topics
}

function listCommand(): Command {
  return addTargetOptions(new Command('list').description('list topics with their partition count and message count'))
    .option('--internal', 'include internal topics (__consumer_offsets, …)')
    .action(async (flags: TargetFlags & { internal?: boolean }) => {
      const view = await openReadView(flags)
      try {
        const all = (await view.topics()).filter((t) => flags.internal || !t.internal)
        const rows = all.map((t) => ({
          topic: t.name,
          partitions: t.partitions.length,
          replicationFactor: Math.max(1, ...t.partitions.map((p) => p.replicas.length)),
          messages: t.partitions.reduce((n, p) => n + (p.endOffset - p.startOffset), 0),
          endOffsets: t.partitions.reduce((n, p) => n + p.endOffset, 0),
        }))
        if (flags.json) return printJson(rows)
        printTable(rows, [
          { header: 'TOPIC', value: (r) => r.topic },
          { header: 'PARTITIONS', value: (r) => r.partitions },
          { header: 'REPLICAS', value: (r) => r.replicationFactor },
          { header: 'MESSAGES', value: (r) => r.messages },
        ])
      } finally {
        await view.close()
      }
    })
}

function describeCommand(): Command {
  return addTargetOptions(new Command('describe').description('partitions (leader, replicas, ISR, offsets) and configs of topics'))
    .argument('[topics...]', 'topics to describe (default: every topic)')
    .option('--all-configs', 'show every config, not only those set on the topic')
    .action(async (names: string[], flags: TargetFlags & { allConfigs?: boolean }) => {
      const view = await openReadView(flags)
      try {
        const found = await view.topics(names.length ? names : undefined)
        const out: Array<TopicView & { configs: Array<{ name: string; value: string; isDefault: boolean }> }> = []
        for (const t of found) out.push({ ...t, configs: await view.configs(t.name) })
        if (flags.json) return printJson(out)
        for (const [i, t] of out.entries()) {
          if (i > 0) process.stdout.write('\n')
          process.stdout.write(`Topic: ${t.name}  id: ${t.topicId}  partitions: ${t.partitions.length}\n`)
          printTable(t.partitions, [
            { header: 'PARTITION', value: (p) => p.partition },
            { header: 'LEADER', value: (p) => (p.leader < 0 ? '-' : p.leader) },
            { header: 'REPLICAS', value: (p) => p.replicas.join(',') || '-' },
            { header: 'ISR', value: (p) => p.isr.join(',') || '-' },
            { header: 'START', value: (p) => p.startOffset },
            { header: 'END', value: (p) => p.endOffset },
            { header: 'MESSAGES', value: (p) => p.endOffset - p.startOffset },
          ])
          const configs = t.configs.filter((c) => flags.allConfigs || !c.isDefault)
          if (configs.length > 0) {
            process.stdout.write('Configs:\n')
            for (const c of configs) process.stdout.write(`  ${c.name}=${c.value}${c.isDefault ? ' (default)' : ''}\n`)
          }
        }
      } finally {
        await view.close()
      }
    })
}

function createCommand(): Command {
  return addTargetOptions(new Command('create').description('create a topic'))
    .argument('<topic>', 'the topic name')
    .option('-p, --partitions <n>', 'number of partitions (default: the broker’s num.partitions)')
    .option('-r, --replication-factor <n>', 'replicas per partition (default: the broker’s)')
    .option('-c, --config <key=value>', 'a topic config, e.g. retention.ms=604800000 (repeatable)', collect, [])
    .option('--if-not-exists', 'succeed when the topic already exists')
    .action(
      async (
        topic: string,
        flags: TargetFlags & { partitions?: string; replicationFactor?: string; config: string[]; ifNotExists?: boolean },
      ) => {
        const configEntries: ConfigEntry[] = flags.config.map((c) => {
          const [name, value] = parseKeyValue('--config', c)
          return { name, value }
        })
        const spec = {
          topic,
          ...(flags.partitions !== undefined ? { numPartitions: parseIntArg('--partitions', flags.partitions, 1) } : {}),
          ...(flags.replicationFactor !== undefined
            ? { replicationFactor: parseIntArg('--replication-factor', flags.replicationFactor, 1) }
            : {}),
          configEntries,
        }
        const target = await openTarget(flags)
        try {
          const [result] = await target.tb.broker.createTopics([spec])
          if (result?.error) throw result.error
          const created = result?.created === true
          if (!created && !flags.ifNotExists)
            throw new TributaryError('TOPIC_ALREADY_EXISTS', `topic '${topic}' already exists (--if-not-exists to accept that)`)
          if (flags.json) return printJson({ topic, created })
          note(created ? `created topic ${topic}` : `topic ${topic} already exists`)
        } finally {
          await target.close()
        }
      },
    )
}

function deleteCommand(): Command {
  return addTargetOptions(new Command('delete').description('delete topics and their data'))
    .argument('<topics...>', 'the topics')
    .option('--if-exists', 'succeed for topics that do not exist')
    .action(async (names: string[], flags: TargetFlags & { ifExists?: boolean }) => {
      const target = await openTarget(flags)
      const deleted: string[] = []
      try {
        for (const name of names) {
          try {
            await target.tb.broker.deleteTopics([name])
            deleted.push(name)
          } catch (error) {
            if (!(flags.ifExists && isTributaryError(error, 'UNKNOWN_TOPIC_OR_PARTITION'))) throw error
          }
        }
        if (flags.json) return printJson({ deleted })
        for (const name of deleted) note(`deleted topic ${name}`)
      } finally {
        await target.close()
      }
    })
}

function alterConfigCommand(): Command {
  return addTargetOptions(new Command('alter-config').description("set or reset a topic's configs"))
    .argument('<topic>', 'the topic')
    .option('--set <key=value>', 'set a config (repeatable)', collect, [])
    .option('--delete <key>', 'reset a config to its default (repeatable)', collect, [])
    .option('--dry-run', 'validate only, change nothing')
    .action(async (topic: string, flags: TargetFlags & { set: string[]; delete: string[]; dryRun?: boolean }) => {
      const entries = [
        ...flags.set.map((s) => {
          const [name, value] = parseKeyValue('--set', s)
          return { name, value: value as string | null }
        }),
        ...flags.delete.map((name) => ({ name, value: null })),
      ]
      if (entries.length === 0) throw new UsageError('alter-config needs --set KEY=VALUE or --delete KEY')
      const target = await openTarget(flags)
      try {
        await target.tb.broker.alterConfigs(topic, entries, { validateOnly: flags.dryRun === true })
        const configs = (await target.tb.broker.describeConfigs(topic)).filter((c) => entries.some((e) => e.name === c.name))
        if (flags.json) return printJson({ topic, dryRun: flags.dryRun === true, configs })
        note(
          `${flags.dryRun ? 'validated' : 'altered'} ${topic}: ${entries.map((e) => (e.value === null ? `${e.name} reset` : `${e.name}=${e.value}`)).join(', ')}`,
        )
      } finally {
        await target.close()
      }
    })
}
