import type { CommittedOffset, TopicPartition } from '@tributary/core'

/**
 * The cluster's metadata, replicated by the metadata Raft group in place of ZooKeeper: topics
 * with their placement and config overrides, the producer-id counter and committed group
 * offsets. Every node applies the same commands in the same order, so every node holds the same
 * state. Pure: no I/O, no clock (timestamps come inside the commands), no randomness.
 */

/** ClusterTopic is one topic as the metadata group records it. */
export interface ClusterTopic {
  name: string
  /** Stable id: a recreated topic of the same name is a new topic with new Raft groups. */
  topicId: string
  /** replicas[p] lists partition p's replica node ids; replicas[p][0] is its preferred leader. */
  replicas: number[][]
  /** Config overrides in Kafka's dotted names. */
  configs: Record<string, string>
  createdAtMs: number
}

/** MetadataCommand is one proposal to the metadata group (encoded as JSON). */
export type MetadataCommand =
  | { op: 'bootstrap'; clusterId: string }
  | { op: 'createTopic'; topic: ClusterTopic }
  | { op: 'deleteTopic'; name: string }
  | { op: 'addPartitions'; name: string; replicas: number[][] }
  | { op: 'setConfigs'; name: string; configs: Record<string, string> }
  | { op: 'allocateProducerId' }
  | { op: 'commitOffsets'; offsets: CommittedOffset[] }
  | { op: 'deleteOffsets'; groupId: string; partitions?: TopicPartition[] }

/** MetadataResult is what applying a command returned to its proposer. */
export type MetadataResult = { created?: boolean; producerId?: number } | undefined

/** MetadataSnapshot is the whole state as plain JSON (the Raft snapshot of the metadata group). */
interface MetadataSnapshot {
  clusterId: string
  topics: ClusterTopic[]
  nextProducerId: number
  offsets: CommittedOffset[]
}

/** MetadataState is the replicated metadata; `apply` is its only mutator. */
export class MetadataState {
  clusterId = ''
  readonly topics = new Map<string, ClusterTopic>()
  nextProducerId = 0
  /** groupId → `topic/partition` → offset. */
  readonly offsets = new Map<string, Map<string, CommittedOffset>>()

  /** apply executes one committed command; it must be deterministic. */
  apply(cmd: MetadataCommand): MetadataResult {
    switch (cmd.op) {
      case 'bootstrap':
        if (this.clusterId === '') this.clusterId = cmd.clusterId
        return undefined
      case 'createTopic':
        // Two nodes may race to create the same name: the first committed wins.
        if (this.topics.has(cmd.topic.name)) return { created: false }
        this.topics.set(cmd.topic.name, cmd.topic)
        return { created: true }
      case 'deleteTopic':
        this.topics.delete(cmd.name)
        for (const group of this.offsets.values()) for (const [k, o] of group) if (o.topic === cmd.name) group.delete(k)
        return undefined
      case 'addPartitions': {
        const topic = this.topics.get(cmd.name)
        if (topic) topic.replicas = [...topic.replicas, ...cmd.replicas]
        return undefined
      }
      case 'setConfigs': {
        const topic = this.topics.get(cmd.name)
        if (topic) topic.configs = { ...cmd.configs }
        return undefined
      }
      case 'allocateProducerId':
        return { producerId: this.nextProducerId++ }
      case 'commitOffsets':
        for (const o of cmd.offsets) {
          let group = this.offsets.get(o.groupId)
          if (!group) this.offsets.set(o.groupId, (group = new Map()))
          group.set(`${o.topic}/${o.partition}`, o)
        }
        return undefined
      case 'deleteOffsets': {
        const group = this.offsets.get(cmd.groupId)
        if (!group) return undefined
        if (cmd.partitions === undefined) this.offsets.delete(cmd.groupId)
        else for (const tp of cmd.partitions) group.delete(`${tp.topic}/${tp.partition}`)
        return undefined
      }
    }
  }

  /** committedOffsets lists every committed offset (what GroupCoordinator loads). */
  committedOffsets(): CommittedOffset[] {
    return [...this.offsets.values()].flatMap((g) => [...g.values()])
  }

  snapshot(): Uint8Array {
    const snap: MetadataSnapshot = { clusterId: this.clusterId, topics: [...this.topics.values()], nextProducerId: this.nextProducerId, offsets: this.committedOffsets() }
    return Buffer.from(JSON.stringify(snap))
  }

  restore(data: Uint8Array): void {
    const snap = JSON.parse(Buffer.from(data).toString('utf8')) as MetadataSnapshot
    this.clusterId = snap.clusterId
    this.topics.clear()
    for (const t of snap.topics) this.topics.set(t.name, t)
    this.nextProducerId = snap.nextProducerId
    this.offsets.clear()
    this.apply({ op: 'commitOffsets', offsets: snap.offsets })
  }
}

/**
 * placeReplicas picks `replicationFactor` nodes for each new partition: consecutive nodes of the
 * sorted node list starting at a per-partition position, so that preferred leaders (the first
 * replica) are spread evenly over the nodes.
 */
export function placeReplicas(nodeIds: readonly number[], firstPartition: number, count: number, replicationFactor: number, salt: number): number[][] {
  const nodes = [...nodeIds].sort((a, b) => a - b)
  const out: number[][] = []
  for (let p = firstPartition; p < firstPartition + count; p++) {
    const start = (p + salt) % nodes.length
    out.push(Array.from({ length: replicationFactor }, (_, i) => nodes[(start + i) % nodes.length] as number))
  }
  return out
}
