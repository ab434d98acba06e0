import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type Broker } from '@tributary/core'

/** PartitionOffsets is one partition as the CLI and the console show it. */
export interface PartitionOffsets {
  partition: number
  /** -1: no leader (or unknown, from disk). */
  leader: number
  replicas: number[]
  isr: number[]
  startOffset: number
  endOffset: number
}

/** TopicOffsets is one topic with its partitions' offsets. */
export interface TopicOffsets {
  name: string
  topicId: string
  internal: boolean
  partitions: PartitionOffsets[]
}

/**
 * topicsWithOffsets returns the topics (all, or `names`) sorted by name, each partition with its
 * start and end offsets: one metadata and two list-offsets requests, joined by a map.
 */
export async function topicsWithOffsets(broker: Broker, names?: string[]): Promise<TopicOffsets[]> {
  const metadata = await broker.metadata(names ? { topics: names } : {})
  const tps = metadata.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })))
  const ask = (timestamp: number) => (tps.length ? broker.listOffsets(tps.map((tp) => ({ ...tp, timestamp }))) : Promise.resolve([]))
  const [ends, starts] = await Promise.all([ask(LATEST_TIMESTAMP), ask(EARLIEST_TIMESTAMP)])
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`
  const endOf = new Map(ends.map((r) => [key(r.topic, r.partition), Math.max(0, r.offset)]))
  const startOf = new Map(starts.map((r) => [key(r.topic, r.partition), Math.max(0, r.offset)]))
  return metadata.topics
    .map((t) => ({
      name: t.name,
      topicId: t.topicId,
      internal: t.isInternal,
      partitions: t.partitions
        .map((p) => ({
          partition: p.partition,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          startOffset: startOf.get(key(t.name, p.partition)) ?? 0,
          endOffset: endOf.get(key(t.name, p.partition)) ?? 0,
        }))
        .sort((a, b) => a.partition - b.partition),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
