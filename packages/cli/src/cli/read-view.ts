import { type Broker, type StorageInspection, describeTopicConfig } from '@tributary/core'
import { inspectDirectory } from '@tributary/storage-file'
import { type PartitionOffsets, type TopicOffsets, topicsWithOffsets } from '../topic-offsets'
import { note } from './output'
import { type Target, type TargetFlags, isLocked, openTarget } from './target'

/*
 * ReadView is what the read-only commands (topics list/describe, groups list/describe/lag) look
 * at: a live broker, or — when a data directory is locked by the live process that owns it —
 * what is on disk, read without the lock (topics, end offsets, committed offsets; no members).
 */

/** PartitionView is one partition's placement and offsets. */
export type PartitionView = PartitionOffsets

/** TopicView is one topic. */
export type TopicView = TopicOffsets

/** GroupMemberView is one member of a group. */
export interface GroupMemberView {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  assignment: Array<{ topic: string; partition: number }>
}

/** GroupView is one group. */
export interface GroupView {
  groupId: string
  /** Kafka's state names; 'Unknown' when read from disk. */
  state: string
  protocolType: string
  protocol: string
  generationId: number
  members: GroupMemberView[]
}

/** ReadView answers the read-only commands. */
export interface ReadView {
  /** 'live': a broker answers; 'disk': read from a locked directory's files. */
  readonly source: 'live' | 'disk'
  topics(names?: string[]): Promise<TopicView[]>
  configs(topic: string): Promise<Array<{ name: string; value: string; isDefault: boolean }>>
  groups(): Promise<Array<{ groupId: string; state: string; protocolType: string }>>
  describeGroups(groupIds: string[]): Promise<GroupView[]>
  committed(groupId: string): Promise<Array<{ topic: string; partition: number; offset: number }>>
  close(): Promise<void>
}

/**
 * openReadView opens the target; a data directory that a live process holds is read from disk
 * instead (with a note on stderr saying so).
 */
export async function openReadView(flags: TargetFlags): Promise<ReadView> {
  let target: Target
  try {
    target = await openTarget(flags)
  } catch (error) {
    if (!isLocked(error) || flags.dir === undefined) throw error
    const inspection = inspectDirectory(flags.dir)
    note(`note: ${flags.dir} is in use by process ${inspection.lockedBy ?? '?'}; showing what is on disk (read-only, no group members)`)
    return diskView(inspection)
  }
  return liveView(target)
}

function liveView(target: Target): ReadView {
  const broker: Broker = target.tb.broker
  return {
    source: 'live',
    topics: (names) => topicsWithOffsets(broker, names),
    configs: (topic) => broker.describeConfigs(topic),
    async groups() {
      return (await broker.listGroups()).sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
    },
    async describeGroups(ids) {
      return (await broker.describeGroups(ids)).map((g) => ({
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocol: g.protocol,
        generationId: g.generationId,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost ?? '',
          assignment: Object.entries(m.assignment?.assignment ?? {}).flatMap(([topic, ps]) =>
            ps.map((partition) => ({ topic, partition })),
          ),
        })),
      }))
    },
    async committed(groupId) {
      return (await broker.fetchOffsets(groupId)).filter((o) => o.offset >= 0)
    },
    close: () => target.close(),
  }
}

function diskView(inspection: StorageInspection): ReadView {
  const groupIds = [...new Set(inspection.committedOffsets.map((o) => o.groupId))].sort()
  return {
    source: 'disk',
    async topics(names) {
      return inspection.topics
        .filter((t) => names === undefined || names.includes(t.name))
        .map((t) => ({
          name: t.name,
          topicId: t.topicId,
          internal: t.name.startsWith('__'),
          partitions: Array.from({ length: t.numPartitions }, (_, partition) => {
            const p = inspection.partitions.find((x) => x.topic === t.name && x.partition === partition)
            return { partition, leader: -1, replicas: [], isr: [], startOffset: p?.startOffset ?? 0, endOffset: p?.endOffset ?? 0 }
          }),
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    },
    async configs(topic) {
      const t = inspection.topics.find((x) => x.name === topic)
      return t ? describeTopicConfig(t.configs) : []
    },
    async groups() {
      return groupIds.map((groupId) => ({ groupId, state: 'Unknown', protocolType: 'consumer' }))
    },
    async describeGroups(ids) {
      return ids.map((groupId) => ({ groupId, state: 'Unknown', protocolType: 'consumer', protocol: '', generationId: -1, members: [] }))
    },
    async committed(groupId) {
      return inspection.committedOffsets
        .filter((o) => o.groupId === groupId)
        .map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
    },
    close: async () => {},
  }
}
