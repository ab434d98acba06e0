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

/** BrokerAddress is where a registered node serves clients and peers. */
export interface BrokerAddress {
  host: string
  port: number
  /** Where its Raft transport listens when that is not `port + 1` (a node started on port 0). */
  raftPort?: number
  /** Where it serves the Kafka protocol (KafkaServer), as Kafka clients dial it; absent without a Kafka listener. */
  kafka?: { host: string; port: number }
}

/** Reassignment is a partition move in progress: `target` replaces `original` once done. */
export interface Reassignment {
  topic: string
  partition: number
  original: number[]
  target: number[]
}

/** MetadataCommand is one proposal to the metadata group (encoded as JSON). */
export type MetadataCommand =
  | { op: 'bootstrap'; clusterId: string; brokers?: Record<number, BrokerAddress> }
  | { op: 'registerBroker'; nodeId: number; address: BrokerAddress }
  | { op: 'unregisterBroker'; nodeId: number }
  | { op: 'reassign'; topic: string; partition: number; target: number[] }
  | { op: 'completeReassignment'; topic: string; partition: number; target: number[] }
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
  brokers?: Array<[number, BrokerAddress]>
  reassignments?: Reassignment[]
  topics: ClusterTopic[]
  nextProducerId: number
  offsets: CommittedOffset[]
}

/** MetadataState is the replicated metadata; `apply` is its only mutator. */
export class MetadataState {
  clusterId = ''
  /** Registered nodes by id (empty in a cluster bootstrapped before registration existed). */
  readonly brokers = new Map<number, BrokerAddress>()
  readonly topics = new Map<string, ClusterTopic>()
  /** Partition moves in progress, by `topic/partition`. */
  readonly reassignments = new Map<string, Reassignment>()
  nextProducerId = 0
  /** groupId → `topic/partition` → offset. */
  readonly offsets = new Map<string, Map<string, CommittedOffset>>()

  /** apply executes one committed command; it must be deterministic. */
  apply(cmd: MetadataCommand): MetadataResult {
    switch (cmd.op) {
      case 'bootstrap':
        if (this.clusterId !== '') return undefined
        this.clusterId = cmd.clusterId
        for (const [id, a] of Object.entries(cmd.brokers ?? {})) this.brokers.set(Number(id), a)
        return undefined
      case 'registerBroker':
        this.brokers.set(cmd.nodeId, withKnownKafka(this.brokers.get(cmd.nodeId), cmd.address))
        return undefined
      case 'unregisterBroker':
        this.brokers.delete(cmd.nodeId)
        return undefined
      case 'reassign': {
        const topic = this.topics.get(cmd.topic)
        const current = topic?.replicas[cmd.partition]
        if (topic === undefined || current === undefined) return undefined
        const k = `${cmd.topic}/${cmd.partition}`
        const pending = this.reassignments.get(k)
        // Moving to where it already is: nothing to do. A cancelled move (target = original)
        // still runs, so that replicas it added leave the partition's Raft group.
        if (pending === undefined && sameSet(current, cmd.target)) return undefined
        this.reassignments.set(k, {
          topic: cmd.topic,
          partition: cmd.partition,
          original: pending?.original ?? current,
          target: [...cmd.target],
        })
        return undefined
      }
      case 'completeReassignment': {
        const k = `${cmd.topic}/${cmd.partition}`
        const r = this.reassignments.get(k)
        const topic = this.topics.get(cmd.topic)
        // A stale completion (the move was changed or cancelled meanwhile) changes nothing.
        if (r === undefined || topic === undefined || !sameSet(r.target, cmd.target)) return undefined
        topic.replicas = topic.replicas.map((rs, p) => (p === cmd.partition ? [...r.target] : rs))
        this.reassignments.delete(k)
        return undefined
      }
      case 'createTopic':
        // Two nodes may race to create the same name: the first committed wins.
        if (this.topics.has(cmd.topic.name)) return { created: false }
        this.topics.set(cmd.topic.name, cmd.topic)
        return { created: true }
      case 'deleteTopic':
        this.topics.delete(cmd.name)
        for (const [k, r] of this.reassignments) if (r.topic === cmd.name) this.reassignments.delete(k)
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

  /** hostsOf lists the nodes that host a partition's replica: its replicas plus a move's targets. */
  hostsOf(topic: string, partition: number): number[] {
    const current = this.topics.get(topic)?.replicas[partition] ?? []
    const target = this.reassignments.get(`${topic}/${partition}`)?.target ?? []
    return [...current, ...target.filter((id) => !current.includes(id))]
  }

  /** committedOffsets lists every committed offset (what GroupCoordinator loads). */
  committedOffsets(): CommittedOffset[] {
    return [...this.offsets.values()].flatMap((g) => [...g.values()])
  }

  snapshot(): Uint8Array {
    const snap: MetadataSnapshot = {
      clusterId: this.clusterId,
      brokers: [...this.brokers],
      reassignments: [...this.reassignments.values()],
      topics: [...this.topics.values()],
      nextProducerId: this.nextProducerId,
      offsets: this.committedOffsets(),
    }
    return Buffer.from(JSON.stringify(snap))
  }

  restore(data: Uint8Array): void {
    const snap = JSON.parse(Buffer.from(data).toString('utf8')) as MetadataSnapshot
    this.clusterId = snap.clusterId
    this.brokers.clear()
    for (const [id, a] of snap.brokers ?? []) this.brokers.set(id, a)
    this.reassignments.clear()
    for (const r of snap.reassignments ?? []) this.reassignments.set(`${r.topic}/${r.partition}`, r)
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
export function placeReplicas(
  nodeIds: readonly number[],
  firstPartition: number,
  count: number,
  replicationFactor: number,
  salt: number,
): number[][] {
  const nodes = [...nodeIds].sort((a, b) => a - b)
  const out: number[][] = []
  for (let p = firstPartition; p < firstPartition + count; p++) {
    const start = (p + salt) % nodes.length
    out.push(Array.from({ length: replicationFactor }, (_, i) => nodes[(start + i) % nodes.length] as number))
  }
  return out
}

/** sameSet tells whether two id lists hold the same ids (order aside). */
export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id))
}

/**
 * withKnownKafka is the address a registration records: one that does not name a Kafka listener
 * (an older registration landing late, or one made before the listener was up) keeps the listener
 * already recorded for the same address, so a node's Kafka listener never flickers out of the
 * metadata; a registration that names one replaces it.
 */
function withKnownKafka(before: BrokerAddress | undefined, address: BrokerAddress): BrokerAddress {
  if (address.kafka !== undefined || before?.kafka === undefined) return address
  return before.host === address.host && before.port === address.port ? { ...address, kafka: before.kafka } : address
}
