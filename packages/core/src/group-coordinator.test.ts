import { GroupCoordinator } from './group-coordinator'
import { type Harness, TestMember, harness, owned, rebalance, settle, spread, track } from './testing/group-kit'
import { ManualClock } from './testing/manual-clock'

jest.setTimeout(5_000)

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  )

describe('GroupCoordinator options', () => {
  const deps = {
    clock: new ManualClock(),
    offsets: { loadCommittedOffsets: () => [], commitOffsets: async () => {}, deleteCommittedOffsets: async () => {} },
    partitionCount: () => 1,
  }

  it('rejects bad and unknown options with INVALID_CONFIG naming the option', () => {
    expect(() => new GroupCoordinator(deps, { minSessionTimeoutMs: 0 })).toThrow(/minSessionTimeoutMs/)
    expect(() => new GroupCoordinator(deps, { minSessionTimeoutMs: 10, maxSessionTimeoutMs: 5 })).toThrow(/maxSessionTimeoutMs/)
    expect(() => new GroupCoordinator(deps, { initialRebalanceDelayMs: -1 })).toThrow(/initialRebalanceDelayMs/)
    expect(() => new GroupCoordinator(deps, { maxGroupSize: 0 })).toThrow(/maxGroupSize/)
    expect(() => new GroupCoordinator(deps, { sessionMs: 1 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })
})

describe('GroupCoordinator join and sync', () => {
  let h: Harness
  beforeEach(async () => (h = await harness()))
  afterEach(() => h.coordinator.close())

  it('gathers two members starting together into one generation with the first as leader', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b')]
    const ja = track(a.join())
    const jb = track(b.join())
    await settle()
    expect([ja.state(), jb.state()]).toEqual(['pending', 'pending'])
    expect((await h.coordinator.describeGroups(['g']))[0]?.state).toBe('PreparingRebalance')
    h.clock.advance(50)
    const [ra, rb] = await Promise.all([ja.promise, jb.promise])
    expect(ra.generationId).toBe(1)
    expect(rb.generationId).toBe(1)
    expect(ra.leaderId).toBe(a.memberId)
    expect(rb.leaderId).toBe(a.memberId)
    expect(ra.members.map((m) => m.memberId)).toEqual([a.memberId, b.memberId])
    expect(rb.members).toEqual([])
    expect(ra.protocolName).toBe('range')
    expect((await h.coordinator.describeGroups(['g']))[0]?.state).toBe('CompletingRebalance')
  })

  it('holds followers in SyncGroup until the leader sends a disjoint assignment, then hands each its share', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b')]
    await Promise.all([a.join(), b.join(), Promise.resolve(h.clock.advance(50))])
    const followerSync = track(b.sync())
    await settle()
    expect(followerSync.state()).toBe('pending')
    await a.sync()
    await followerSync.promise
    expect(owned([a, b])).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3', 'orders-4', 'orders-5'])
    expect(Object.values(a.assignment).flat().length + Object.values(b.assignment).flat().length).toBe(6)
    const [description] = await h.coordinator.describeGroups(['g'])
    expect(description?.state).toBe('Stable')
    expect(description?.members.map((m) => m.assignment?.assignment)).toEqual([a.assignment, b.assignment])
  })

  it('completes a lone first member at once without an initial delay, and rebalances when a second arrives', async () => {
    h = await harness({ initialRebalanceDelayMs: 0 })
    const a = new TestMember(h, 'a')
    expect((await a.join()).generationId).toBe(1)
    await a.sync()
    const b = new TestMember(h, 'b')
    const jb = track(b.join())
    await settle()
    expect(jb.state()).toBe('pending')
    expect(await code(a.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    await a.join()
    await jb.promise
    expect([a.generationId, b.generationId]).toEqual([2, 2])
  })

  it('rebalances when a third member joins: everyone rejoins into a new generation and no partition is owned twice', async () => {
    const members = [new TestMember(h, 'a'), new TestMember(h, 'b')]
    expect(await rebalance(h, members)).toBe(1)
    const c = new TestMember(h, 'c')
    const jc = track(c.join())
    await settle()
    expect(jc.state()).toBe('pending')
    for (const m of members) expect(await code(m.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    expect(await rebalance(h, [...members, c])).toBe(2)
    const all = owned([...members, c])
    expect(all).toHaveLength(6)
    expect(new Set(all).size).toBe(6)
    for (const m of [...members, c]) expect(Object.values(m.assignment).flat()).toHaveLength(2)
  })

  it('re-sends the current generation to a follower that rejoins with the same subscription, but rebalances for the leader', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b')]
    await rebalance(h, [a, b])
    expect((await b.join()).generationId).toBe(1)
    expect((await h.coordinator.describeGroups(['g']))[0]?.state).toBe('Stable')
    expect(await rebalance(h, [a, b])).toBe(2)
  })

  it('rebalances when a member changes its subscription', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b', { topics: ['orders'] })]
    await rebalance(h, [a, b])
    ;(b.opts as { topics: string[] }).topics = ['orders', 'audit']
    const jb = track(b.join())
    await settle()
    expect(jb.state()).toBe('pending')
    await a.join()
    expect((await jb.promise).generationId).toBe(2)
  })

  it('chooses the first protocol in the leader’s order that every member supports', async () => {
    const a = new TestMember(h, 'a', { protocols: ['sticky', 'roundrobin', 'range'] })
    const b = new TestMember(h, 'b', { protocols: ['range', 'roundrobin'] })
    await rebalance(h, [a, b])
    expect(a.lastJoin?.protocolName).toBe('roundrobin')
    expect(b.lastJoin?.protocolName).toBe('roundrobin')
  })

  it('rejects a member with no protocol in common, a different protocol type, and a full group', async () => {
    await rebalance(h, [new TestMember(h, 'a', { protocols: ['range'] })])
    expect(await code(new TestMember(h, 'x', { protocols: ['sticky'] }).join())).toBe('INCONSISTENT_GROUP_PROTOCOL')
    const join = {
      groupId: 'g',
      memberId: '',
      clientId: 'y',
      sessionTimeoutMs: 1000,
      rebalanceTimeoutMs: 1000,
      protocolType: 'connect',
      protocols: [{ name: 'range', subscription: { topics: [] } }],
    }
    expect(await code(h.coordinator.joinGroup(join))).toBe('INCONSISTENT_GROUP_PROTOCOL')
    h = await harness({ maxGroupSize: 1 })
    await rebalance(h, [new TestMember(h, 'a')])
    expect(await code(new TestMember(h, 'b').join())).toBe('GROUP_MAX_SIZE_REACHED')
  })

  it('validates group ids, session timeouts and member ids', async () => {
    const base = {
      groupId: 'g',
      memberId: '',
      clientId: 'c',
      sessionTimeoutMs: 1000,
      rebalanceTimeoutMs: 1000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', subscription: { topics: ['orders'] } }],
    }
    expect(await code(h.coordinator.joinGroup({ ...base, groupId: '' }))).toBe('INVALID_GROUP_ID')
    expect(await code(h.coordinator.joinGroup({ ...base, groupId: 7 as never }))).toBe('INVALID_GROUP_ID')
    expect(await code(h.coordinator.joinGroup({ ...base, sessionTimeoutMs: 99 }))).toBe('INVALID_SESSION_TIMEOUT')
    expect(await code(h.coordinator.joinGroup({ ...base, sessionTimeoutMs: 1_800_001 }))).toBe('INVALID_SESSION_TIMEOUT')
    expect(await code(h.coordinator.joinGroup({ ...base, memberId: 'nobody' }))).toBe('UNKNOWN_MEMBER_ID')
    expect(await code(h.coordinator.joinGroup({ ...base, protocols: [] }))).toBe('INCONSISTENT_GROUP_PROTOCOL')
    expect(await code(h.coordinator.heartbeat({ groupId: '', generationId: 1, memberId: 'm' }))).toBe('INVALID_GROUP_ID')
    expect(await code(h.coordinator.heartbeat({ groupId: 'none', generationId: 1, memberId: 'm' }))).toBe('UNKNOWN_MEMBER_ID')
  })

  it('answers SyncGroup and heartbeats from a stale generation with ILLEGAL_GENERATION and from the rebalance with REBALANCE_IN_PROGRESS', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b')]
    await rebalance(h, [a, b])
    await a.heartbeat()
    const stale = { groupId: 'g', generationId: 0, memberId: a.memberId }
    expect(await code(h.coordinator.heartbeat(stale))).toBe('ILLEGAL_GENERATION')
    expect(await code(h.coordinator.syncGroup({ ...stale, assignments: [] }))).toBe('ILLEGAL_GENERATION')
    expect(await code(h.coordinator.heartbeat({ ...stale, generationId: 1, memberId: 'ghost' }))).toBe('UNKNOWN_MEMBER_ID')
    const ja = track(a.join())
    expect(await code(b.sync())).toBe('REBALANCE_IN_PROGRESS')
    await b.join()
    await ja.promise
    const pendingSync = track(b.sync())
    await settle()
    // The leader asking again before it synced just gets the same generation (as in Kafka)...
    expect((await a.join()).generationId).toBe(2)
    expect(pendingSync.state()).toBe('pending')
    // ...but a newcomer starts the next rebalance: followers waiting in SyncGroup must rejoin.
    const c = new TestMember(h, 'c')
    c.join()
    expect(await code(pendingSync.promise)).toBe('REBALANCE_IN_PROGRESS')
    expect(await rebalance(h, [a, b, c])).toBe(3)
  })
})

describe('GroupCoordinator leaving and liveness', () => {
  let h: Harness
  beforeEach(async () => (h = await harness()))
  afterEach(() => h.coordinator.close())

  it('rebalances when a member leaves, and a new leader is chosen when the leader leaves', async () => {
    const [a, b, c] = [new TestMember(h, 'a'), new TestMember(h, 'b'), new TestMember(h, 'c')]
    await rebalance(h, [a, b, c])
    await a.leave()
    expect(await code(b.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    expect(await code(a.heartbeat())).toBe('UNKNOWN_MEMBER_ID')
    expect(await rebalance(h, [b, c])).toBe(2)
    expect(b.lastJoin?.leaderId).toBe(b.memberId)
    expect(owned([b, c])).toHaveLength(6)
  })

  it('becomes Empty with a new generation when the last member leaves', async () => {
    const a = new TestMember(h, 'a')
    await rebalance(h, [a])
    await a.leave()
    const [d] = await h.coordinator.describeGroups(['g'])
    expect(d).toMatchObject({ state: 'Empty', generationId: 2, members: [] })
  })

  it('removes a member that stops heartbeating after its session timeout, and the rest rebalance', async () => {
    const [a, b] = [new TestMember(h, 'a'), new TestMember(h, 'b', { sessionTimeoutMs: 1000 })]
    await rebalance(h, [a, b])
    // a keeps heartbeating every 300 ms; b is silent.
    for (let t = 0; t < 3; t++) {
      h.clock.advance(300)
      await a.heartbeat()
    }
    expect(await code(b.heartbeat())).toBe('ok')
    for (let t = 0; t < 3; t++) {
      h.clock.advance(300)
      await a.heartbeat()
    }
    h.clock.advance(100)
    expect(await code(a.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    expect(await code(b.heartbeat())).toBe('UNKNOWN_MEMBER_ID')
    expect(await rebalance(h, [a])).toBe(2)
    expect(owned([a])).toHaveLength(6)
  })

  it('drops members that do not rejoin within the rebalance timeout and completes the join for the others', async () => {
    const a = new TestMember(h, 'a', { rebalanceTimeoutMs: 2000, sessionTimeoutMs: 10_000 })
    const b = new TestMember(h, 'b', { rebalanceTimeoutMs: 2000, sessionTimeoutMs: 10_000 })
    await rebalance(h, [a, b])
    const c = track(new TestMember(h, 'c', { rebalanceTimeoutMs: 2000 }).join())
    const ja = track(a.join())
    h.clock.advance(1999)
    await settle()
    expect(ja.state()).toBe('pending')
    h.clock.advance(1)
    expect((await ja.promise).members.map((m) => m.memberId)).not.toContain(b.memberId)
    expect((await c.promise).generationId).toBe(2)
    expect(await code(b.heartbeat())).toBe('UNKNOWN_MEMBER_ID')
  })

  it('keeps a member waiting in SyncGroup alive past its session timeout while the leader assigns', async () => {
    const [a, b] = [new TestMember(h, 'a', { sessionTimeoutMs: 1000 }), new TestMember(h, 'b', { sessionTimeoutMs: 1000 })]
    await Promise.all([a.join(), b.join(), Promise.resolve(h.clock.advance(50))])
    const sync = track(b.sync())
    for (let t = 0; t < 5; t++) {
      h.clock.advance(400)
      await a.heartbeat()
    }
    await a.sync()
    expect(Object.values((await sync.promise).assignment).flat()).toHaveLength(3)
    expect(await code(b.heartbeat())).toBe('ok')
  })

  it('drops a leader that never syncs and tells waiting followers to rejoin', async () => {
    const [a, b] = [new TestMember(h, 'a', { rebalanceTimeoutMs: 500 }), new TestMember(h, 'b', { rebalanceTimeoutMs: 500 })]
    await Promise.all([a.join(), b.join(), Promise.resolve(h.clock.advance(50))])
    const sync = track(b.sync())
    h.clock.advance(500)
    expect(await code(sync.promise)).toBe('REBALANCE_IN_PROGRESS')
    expect(await code(a.heartbeat())).toBe('UNKNOWN_MEMBER_ID')
    expect((await b.join()).leaderId).toBe(b.memberId)
  })

  it('rebalances groups subscribed to a topic whose partitions increased, and leaves others alone', async () => {
    const a = new TestMember(h, 'a', { topics: ['orders'] })
    const other = new TestMember(h, 'o', { topics: ['audit'], groupId: 'other' })
    await rebalance(h, [a])
    await rebalance(h, [other])
    h.topics.orders = 8
    h.coordinator.onPartitionsChanged('orders')
    expect(await code(a.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    expect(await code(other.heartbeat())).toBe('ok')
    expect(await rebalance(h, [a])).toBe(2)
    expect(owned([a])).toHaveLength(8)
  })

  it('close rejects pending joins with COORDINATOR_NOT_AVAILABLE, cancels its timers and refuses later calls', async () => {
    const a = new TestMember(h, 'a')
    const join = track(a.join())
    await h.coordinator.close()
    expect(await code(join.promise)).toBe('COORDINATOR_NOT_AVAILABLE')
    expect(h.clock.pendingTimers()).toBe(0)
    expect(await code(h.coordinator.listGroups())).toBe('COORDINATOR_NOT_AVAILABLE')
  })

  it('lists and describes groups, reporting unknown ones as Dead', async () => {
    await rebalance(h, [new TestMember(h, 'a')])
    expect(await h.coordinator.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable' }])
    const [unknown] = await h.coordinator.describeGroups(['nope'])
    expect(unknown).toMatchObject({ groupId: 'nope', state: 'Dead', members: [] })
  })

  it('spread (the test assignor) covers every partition once', () => {
    const join = {
      generationId: 1,
      protocolName: 'range',
      leaderId: 'a',
      memberId: 'a',
      members: [{ memberId: 'a', groupInstanceId: null, subscription: { topics: ['orders'] } }],
    }
    expect(spread(join, { orders: 3 })).toEqual([{ memberId: 'a', assignment: { assignment: { orders: [0, 1, 2] } } }])
  })
})
