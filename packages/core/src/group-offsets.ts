import { wrapStorageError } from './errors'
import type { TopicPartition } from './model'
import type { CommittedOffset, Storage } from './storage'

/** OffsetStorage is the part of a `Storage` that committed group offsets need. */
export type OffsetStorage = Pick<Storage, 'loadCommittedOffsets' | 'commitOffsets' | 'deleteCommittedOffsets'>

interface Entry {
  offset: CommittedOffset
  /** Which commit call wrote it, so that a slower older write never overwrites a newer one. */
  seq: number
}

/**
 * GroupOffsets is the coordinator's in-memory view of committed offsets, written through to the
 * storage. Invariant: memory changes only after the storage has made the change durable, so a
 * fetch never returns an offset that a crash could lose.
 */
export class GroupOffsets {
  private readonly byGroup = new Map<string, Map<string, Entry>>()
  private nextSeq = 0

  constructor(private readonly storage: OffsetStorage) {}

  /** load reads every committed offset from the storage (replacing what memory held). */
  load(): void {
    this.byGroup.clear()
    let stored: CommittedOffset[]
    try {
      stored = this.storage.loadCommittedOffsets()
    } catch (error) {
      throw wrapStorageError(error, 'loading committed offsets')
    }
    for (const offset of stored) this.put({ offset: { ...offset }, seq: -1 })
  }

  /** groupIds lists the groups that have at least one committed offset. */
  groupIds(): string[] {
    return [...this.byGroup.keys()]
  }

  /** get returns one committed offset, if any. */
  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(key(topic, partition))?.offset
  }

  /** list returns a group's committed offsets, sorted by topic then partition. */
  list(groupId: string): CommittedOffset[] {
    const entries = [...(this.byGroup.get(groupId)?.values() ?? [])].map((e) => e.offset)
    return entries.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  }

  /** commit stores offsets durably (all or nothing), then makes them visible. */
  async commit(offsets: CommittedOffset[]): Promise<void> {
    const seq = this.nextSeq++
    try {
      await this.storage.commitOffsets(offsets)
    } catch (error) {
      throw wrapStorageError(error, 'committing offsets')
    }
    for (const offset of offsets) this.put({ offset, seq })
  }

  /** deleteGroup removes all of a group's offsets, durably first. */
  async deleteGroup(groupId: string): Promise<void> {
    try {
      await this.storage.deleteCommittedOffsets(groupId)
    } catch (error) {
      throw wrapStorageError(error, `deleting offsets of group ${groupId}`)
    }
    this.byGroup.delete(groupId)
  }

  /** topics lists the topics that have at least one committed offset. */
  topics(): Set<string> {
    const out = new Set<string>()
    for (const entries of this.byGroup.values()) for (const e of entries.values()) out.add(e.offset.topic)
    return out
  }

  /** deleteTopic removes every group's offsets for `topic` (the topic was deleted). */
  async deleteTopic(topic: string): Promise<void> {
    for (const [groupId, entries] of [...this.byGroup]) {
      const partitions: TopicPartition[] = [...entries.values()]
        .filter((e) => e.offset.topic === topic)
        .map((e) => ({ topic, partition: e.offset.partition }))
      if (partitions.length === 0) continue
      try {
        await this.storage.deleteCommittedOffsets(groupId, partitions)
      } catch (error) {
        throw wrapStorageError(error, `deleting offsets of topic ${topic} for group ${groupId}`)
      }
      for (const tp of partitions) entries.delete(key(tp.topic, tp.partition))
      if (entries.size === 0) this.byGroup.delete(groupId)
    }
  }

  private put(entry: Entry): void {
    const { groupId, topic, partition } = entry.offset
    let entries = this.byGroup.get(groupId)
    if (entries === undefined) this.byGroup.set(groupId, (entries = new Map()))
    const k = key(topic, partition)
    const existing = entries.get(k)
    if (existing === undefined || existing.seq <= entry.seq) entries.set(k, entry)
  }
}

/** key names a partition inside one group's map; NUL cannot occur in a topic name. */
function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}
