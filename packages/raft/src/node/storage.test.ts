import { mkdtemp, rm, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EntryType, type Entry } from '../core/types'
import { FileRaftStorage } from './file-storage'
import { MemoryRaftStorage, type RaftStorage } from './storage'

const e = (index: number, term: number): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new TextEncoder().encode(`v${index}.${term}`),
})
const ids = (entries: readonly Entry[]): string[] => entries.map((x) => `${x.index}/${x.term}`)

/** The conformance suite every RaftStorage must pass; `reopen` simulates a process restart. */
function conformance(
  name: string,
  make: () => Promise<{ storage: RaftStorage; reopen: () => Promise<RaftStorage>; done: () => Promise<void> }>,
): void {
  describe(`${name} conforms to RaftStorage`, () => {
    it('starts from a bootstrap snapshot carrying the initial voters', async () => {
      const { storage, done } = await make()
      const init = await storage.load([1, 2, 3])
      expect(init.snapshot.meta).toEqual({ index: 0, term: 0, membership: { voters: [1, 2, 3], learners: [] } })
      expect(init.entries).toEqual([])
      await done()
    })
    it('persists entries and hard state across a restart, overwriting a suffix from its first index', async () => {
      const { storage, reopen, done } = await make()
      await storage.load([1])
      await storage.persist({ entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: { term: 1, vote: 1, commit: 1 } })
      await storage.persist({ entries: [e(2, 2)], hardState: { term: 2, vote: 0, commit: 1 } })
      await storage.persist({ entries: [e(3, 2), e(4, 2)] })
      const again = await reopen()
      const init = await again.load([1])
      expect(ids(init.entries)).toEqual(['1/1', '2/2', '3/2', '4/2'])
      expect(init.hardState).toEqual({ term: 2, vote: 0, commit: 1 })
      expect(new TextDecoder().decode(init.entries[3]!.data)).toBe('v4.2')
      await done()
    })
    it('compacts behind a local snapshot and replaces everything with a leader snapshot', async () => {
      const { storage, reopen, done } = await make()
      await storage.load([1])
      await storage.persist({ entries: [1, 2, 3, 4, 5].map((i) => e(i, 1)) })
      const snap = { meta: { index: 4, term: 1, membership: { voters: [1, 2], learners: [3] } }, data: new Uint8Array([9, 9]) }
      await storage.saveSnapshot(snap, 3)
      let init = await (await reopen()).load([1])
      expect(init.snapshot).toEqual(snap)
      expect(ids(init.entries)).toEqual(['5/1'])
      const s2 = await reopen()
      await s2.load([1])
      const leaderSnap = { meta: { index: 10, term: 3, membership: { voters: [1, 2], learners: [] } }, data: new Uint8Array([1]) }
      await s2.persist({ snapshot: leaderSnap, entries: [e(11, 3)] })
      init = await (await reopen()).load([1])
      expect(init.snapshot.meta.index).toBe(10)
      expect(ids(init.entries)).toEqual(['11/3'])
      await done()
    })
  })
}

conformance('MemoryRaftStorage', async () => {
  const storage = new MemoryRaftStorage()
  return { storage, reopen: async () => storage, done: async () => {} }
})

conformance('FileRaftStorage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'raft-storage-'))
  const opened: FileRaftStorage[] = []
  const mk = (): FileRaftStorage => {
    const s = new FileRaftStorage(dir)
    opened.push(s)
    return s
  }
  return {
    storage: mk(),
    reopen: async () => {
      for (const s of opened) await s.close()
      return mk()
    },
    done: async () => {
      for (const s of opened) await s.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

describe('FileRaftStorage crash recovery', () => {
  it('drops a torn tail frame left by a crash mid-append', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raft-torn-'))
    const s = new FileRaftStorage(dir)
    await s.load([1])
    await s.persist({ entries: [e(1, 1), e(2, 1)] })
    await s.close()
    await appendFile(join(dir, 'log'), Buffer.from([40, 0, 0, 0, 1, 2, 3]))
    const again = new FileRaftStorage(dir)
    const init = await again.load([1])
    expect(ids(init.entries)).toEqual(['1/1', '2/1'])
    await again.persist({ entries: [e(3, 1)] })
    await again.close()
    const third = new FileRaftStorage(dir)
    expect(ids((await third.load([1])).entries)).toEqual(['1/1', '2/1', '3/1'])
    await third.close()
    await rm(dir, { recursive: true, force: true })
  })
})
