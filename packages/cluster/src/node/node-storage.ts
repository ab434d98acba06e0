import { join } from 'node:path'
import { MemoryStorage, type Storage } from '@tributary/core'
import { FileRaftStorage, HandleCache, type RaftStorage } from '@tributary/raft'
import { FileStorage } from '@tributary/storage-file'
import type { ResolvedClusterNodeOptions } from '../options'

/** NodeStorage is where a node keeps its partition logs and each Raft group's state. */
export interface NodeStorage {
  readonly storage: Storage
  /** raftStorage gives a group's Raft storage; undefined: memory (the Raft host's default). */
  readonly raftStorage: ((groupId: string) => RaftStorage) | undefined
}

/**
 * nodeStorage builds a starting node's storage (not yet opened): the injected one, or with `dir`
 * a FileStorage in `dir/data` and a FileRaftStorage per group in `dir/raft/<group>`, or memory.
 */
export function nodeStorage(o: ResolvedClusterNodeOptions): NodeStorage {
  if (o.dir === undefined) return { storage: o.storage ?? new MemoryStorage(), raftStorage: o.raftStorage }
  // One descriptor budget for the node, split between partition segments and Raft logs.
  const half = Math.floor(o.maxOpenFiles / 2)
  return {
    // No journal: every batch a node applies is durable in its Raft log already.
    storage: new FileStorage({ dir: join(o.dir, 'data'), clock: o.clock, maxOpenFiles: half, logger: o.logger, journal: false }),
    raftStorage: fileRaftStorage(join(o.dir, 'raft'), new HandleCache(o.maxOpenFiles - half)),
  }
}

/**
 * fileRaftStorage keeps each Raft group in its own directory under `root`. Group ids are 'meta'
 * and 'p/<topicId>/<partition>'; '/' becomes '_' so that every group is one flat directory.
 */
function fileRaftStorage(root: string, handles: HandleCache): (groupId: string) => RaftStorage {
  return (groupId) => new FileRaftStorage(join(root, groupId.replaceAll('/', '_')), handles)
}
