import type { CommittedOffset } from './storage'
import { GroupCoordinator } from './group-coordinator'
import { type Harness, TestMember, harness, rebalance, restart, settle, track } from './testing/group-kit'
import { ManualClock } from './testing/manual-clock'

jest.setTimeout(5_000)

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  )
const admin = (groupId: string, offsets: Array<{ topic: string; partition: number; offset: number }>) => ({
  groupId,
  generationId: -1,
  memberId: '',
  offsets,
})

describe('GroupCoordinator offset commits', () => {
  let h: Harness
  beforeEach(async () => (h = await harness()))
  afterEach(() => h.coordinator.close())

  it('stores a member’s commit in its generation and returns -1 for partitions never committed', async () => {
    const a = new TestMember(h, 'a')
    await rebalance(h, [a])
    await a.commit([{ topic: 'orders', partition: 0, offset: 42, metadata: 'm' }])
    expect(
      await h.coordinator.fetchOffsets('g', [
        { topic: 'orders', partition: 0 },
        { topic: 'orders', partition: 1 },
      ]),
    ).toEqual([
      { topic: 'orders', partition: 0, offset: 42, metadata: 'm' },
      { topic: 'orders', partition: 1, offset: -1, metadata: null },
    ])
    expect(await h.coordinator.fetchOffsets('g')).toEqual([{ topic: 'orders', partition: 0, offset: 42, metadata: 'm' }])
    expect(await h.coordinator.fetchOffsets('unknown-group', [{ topic: 'orders', partition: 0 }])).toEqual([
      { topic: 'orders', partition: 0, offset: -1, metadata: null },
    ])
  })

  it('rejects a commit from a stale generation with ILLEGAL_GENERATION and from an unknown member with UNKNOWN_MEMBER_ID', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b')]
    await rebalance(h, [a, b])
    const staleGeneration = a.generationId
    await rebalance(h, [a, b])
    const stale = {
      groupId: 'g',
      generationId: staleGeneration,
      memberId: a.memberId,
      offsets: [{ topic: 'orders', partition: 0, offset: 1 }],
    }
    expect(await code(h.coordinator.commitOffsets(stale))).toBe('ILLEGAL_GENERATION')
    expect(await code(h.coordinator.commitOffsets({ ...stale, generationId: a.generationId, memberId: 'ghost' }))).toBe('UNKNOWN_MEMBER_ID')
    expect(await code(h.coordinator.commitOffsets({ ...stale, groupId: 'no-such-group' }))).toBe('ILLEGAL_GENERATION')
    expect(await h.coordinator.fetchOffsets('g')).toEqual([])
  })

  it('rejects commits between join and sync with REBALANCE_IN_PROGRESS but accepts them while members rejoin', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b')]
    await rebalance(h, [a, b])
    const ja = track(a.join())
    // PreparingRebalance: b still owns its partitions in the current generation (the eager revoke commit).
    await b.commit([{ topic: 'orders', partition: 1, offset: 7 }])
    const jb = track(b.join())
    await Promise.all([ja.promise, jb.promise])
    expect(await code(b.commit([{ topic: 'orders', partition: 1, offset: 8 }]))).toBe('REBALANCE_IN_PROGRESS')
    expect((await h.coordinator.fetchOffsets('g', [{ topic: 'orders', partition: 1 }]))[0]?.offset).toBe(7)
  })

  it('accepts commits from outside the group (generation -1) only while the group is Empty', async () => {
    await h.coordinator.commitOffsets(admin('standalone', [{ topic: 'orders', partition: 2, offset: 5 }]))
    expect(await h.coordinator.listGroups()).toEqual([{ groupId: 'standalone', protocolType: '', state: 'Empty' }])
    const a = new TestMember(h, 'a')
    await rebalance(h, [a])
    expect(await code(h.coordinator.commitOffsets(admin('g', [{ topic: 'orders', partition: 0, offset: 1 }])))).toBe('UNKNOWN_MEMBER_ID')
    await a.leave()
    await h.coordinator.commitOffsets(admin('g', [{ topic: 'orders', partition: 0, offset: 1 }]))
    expect((await h.coordinator.fetchOffsets('g'))[0]?.offset).toBe(1)
  })

  it('rejects unknown partitions and bad offsets, writing nothing of the request', async () => {
    const good = { topic: 'orders', partition: 0, offset: 3 }
    expect(await code(h.coordinator.commitOffsets(admin('g', [good, { topic: 'missing', partition: 0, offset: 1 }])))).toBe(
      'UNKNOWN_TOPIC_OR_PARTITION',
    )
    expect(await code(h.coordinator.commitOffsets(admin('g', [good, { topic: 'orders', partition: 6, offset: 1 }])))).toBe(
      'UNKNOWN_TOPIC_OR_PARTITION',
    )
    expect(await code(h.coordinator.commitOffsets(admin('g', [good, { topic: 'orders', partition: 1, offset: -1 }])))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await code(h.coordinator.commitOffsets(admin('g', [{ ...good, offset: 1.5 }])))).toBe('INVALID_ARGUMENT')
    expect(await code(h.coordinator.commitOffsets({ ...admin('g', [good]), offsets: [{ ...good, metadata: 'x'.repeat(4097) }] }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await code(h.coordinator.commitOffsets(admin('', [good])))).toBe('INVALID_GROUP_ID')
    expect(await h.coordinator.fetchOffsets('g')).toEqual([])
    expect(await h.coordinator.listGroups()).toEqual([])
  })

  it('resolves a commit only once the storage has it durably', async () => {
    const stored: CommittedOffset[] = []
    let release = () => {}
    const slow = {
      loadCommittedOffsets: () => [],
      commitOffsets: (offsets: readonly CommittedOffset[]) =>
        new Promise<void>((resolve) => (release = () => (stored.push(...offsets), resolve()))),
      deleteCommittedOffsets: async () => {},
    }
    const c = new GroupCoordinator({ clock: new ManualClock(), offsets: slow, partitionCount: () => 1 })
    const commit = track(c.commitOffsets(admin('g', [{ topic: 't', partition: 0, offset: 9 }])))
    await settle()
    expect(commit.state()).toBe('pending')
    expect((await c.fetchOffsets('g', [{ topic: 't', partition: 0 }]))[0]?.offset).toBe(-1)
    release()
    await commit.promise
    expect(stored).toHaveLength(1)
    expect((await c.fetchOffsets('g', [{ topic: 't', partition: 0 }]))[0]?.offset).toBe(9)
  })

  it('keeps committed offsets across a coordinator restart over the same storage', async () => {
    const a = new TestMember(h, 'a')
    await rebalance(h, [a])
    await a.commit([
      { topic: 'orders', partition: 3, offset: 100 },
      { topic: 'audit', partition: 1, offset: 4 },
    ])
    h = await restart(h)
    expect(await h.coordinator.fetchOffsets('g')).toEqual([
      { topic: 'audit', partition: 1, offset: 4, metadata: null },
      { topic: 'orders', partition: 3, offset: 100, metadata: null },
    ])
    expect(await h.coordinator.listGroups()).toEqual([{ groupId: 'g', protocolType: '', state: 'Empty' }])
    // The member's old id means nothing to the new coordinator: it must rejoin.
    const again = Object.assign(new TestMember(h, 'a'), { memberId: a.memberId, generationId: a.generationId })
    expect(await code(again.commit([{ topic: 'orders', partition: 3, offset: 101 }]))).toBe('UNKNOWN_MEMBER_ID')
  })

  it('drops a deleted topic’s offsets, durably', async () => {
    await h.coordinator.commitOffsets(
      admin('g', [
        { topic: 'orders', partition: 0, offset: 1 },
        { topic: 'audit', partition: 0, offset: 2 },
      ]),
    )
    delete h.topics.audit
    await h.coordinator.onTopicDeleted('audit')
    expect(await h.coordinator.fetchOffsets('g')).toEqual([{ topic: 'orders', partition: 0, offset: 1, metadata: null }])
    h = await restart(h)
    expect(await h.coordinator.fetchOffsets('g')).toEqual([{ topic: 'orders', partition: 0, offset: 1, metadata: null }])
  })
})

describe('GroupCoordinator deleteGroups', () => {
  let h: Harness
  beforeEach(async () => (h = await harness()))
  afterEach(() => h.coordinator.close())

  it('refuses unknown groups with GROUP_ID_NOT_FOUND and groups with members with NON_EMPTY_GROUP, deleting none', async () => {
    await h.coordinator.commitOffsets(admin('empty', [{ topic: 'orders', partition: 0, offset: 1 }]))
    await rebalance(h, [new TestMember(h, 'a')])
    expect(await code(h.coordinator.deleteGroups(['empty', 'nope']))).toBe('GROUP_ID_NOT_FOUND')
    expect(await code(h.coordinator.deleteGroups(['empty', 'g']))).toBe('NON_EMPTY_GROUP')
    expect((await h.coordinator.listGroups()).map((g) => g.groupId)).toEqual(['empty', 'g'])
  })

  it('removes an empty group and its offsets, also from the storage', async () => {
    const a = new TestMember(h, 'a')
    await rebalance(h, [a])
    await a.commit([{ topic: 'orders', partition: 0, offset: 10 }])
    await a.leave()
    await h.coordinator.deleteGroups(['g'])
    expect(await h.coordinator.listGroups()).toEqual([])
    expect((await h.coordinator.fetchOffsets('g', [{ topic: 'orders', partition: 0 }]))[0]?.offset).toBe(-1)
    expect(await code(h.coordinator.deleteGroups(['g']))).toBe('GROUP_ID_NOT_FOUND')
    h = await restart(h)
    expect(await h.coordinator.listGroups()).toEqual([])
  })
})
