import { type Harness, TestMember, harness, owned, rebalance, settle, track } from './testing/group-kit'

jest.setTimeout(5_000)

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  )

/** Static membership (KIP-345): a restarted member with the same group instance id keeps its partitions. */
describe('GroupCoordinator static membership', () => {
  let h: Harness
  beforeEach(async () => (h = await harness()))
  afterEach(() => h.coordinator.close())

  async function staticGroup(): Promise<[TestMember, TestMember]> {
    const a = new TestMember(h, 'a', { sessionTimeoutMs: 10_000 })
    const s = new TestMember(h, 's', { groupInstanceId: 'worker-1', sessionTimeoutMs: 2_000 })
    await rebalance(h, [a, s])
    return [a, s]
  }

  it('gives a restarted static member its old partitions in the same generation, without a rebalance', async () => {
    const [a, s] = await staticGroup()
    const before = { ...s.assignment }
    const oldId = s.memberId
    h.clock.advance(1_500) // the process restarts; no heartbeat for 1.5 s (< 2 s session)
    await a.heartbeat()
    const restarted = new TestMember(h, 's', { groupInstanceId: 'worker-1', sessionTimeoutMs: 2_000 })
    const join = await restarted.join()
    expect(join.generationId).toBe(1)
    expect(restarted.memberId).not.toBe(oldId)
    expect((await restarted.sync()).assignment).toEqual(before)
    expect(await code(a.heartbeat())).toBe('ok')
    expect((await h.coordinator.describeGroups(['g']))[0]).toMatchObject({ state: 'Stable', generationId: 1 })
    // The old incarnation is fenced, not merely unknown.
    expect(await code(s.heartbeat())).toBe('FENCED_INSTANCE_ID')
    expect(await code(s.commit([{ topic: 'orders', partition: 0, offset: 1 }]))).toBe('FENCED_INSTANCE_ID')
  })

  it('fences the older of two live instances with the same id', async () => {
    const [, s] = await staticGroup()
    const twin = new TestMember(h, 's2', { groupInstanceId: 'worker-1', sessionTimeoutMs: 2_000 })
    await twin.join()
    await twin.sync()
    expect(await code(s.heartbeat())).toBe('FENCED_INSTANCE_ID')
    expect(await code(s.join())).toBe('FENCED_INSTANCE_ID')
    expect(await code(twin.heartbeat())).toBe('ok')
  })

  it('does not rebalance when a static member leaves, until its session times out', async () => {
    const [a, s] = await staticGroup()
    await s.leave()
    expect(await code(a.heartbeat())).toBe('ok')
    h.clock.advance(1_000)
    expect(await code(a.heartbeat())).toBe('ok')
    h.clock.advance(1_000)
    expect(await code(a.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    await rebalance(h, [a])
    expect(owned([a])).toHaveLength(6)
  })

  it('rebalances when a static member comes back after its session timed out', async () => {
    const [a] = await staticGroup()
    h.clock.advance(1_000)
    await a.heartbeat()
    h.clock.advance(1_000)
    expect(await code(a.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    const back = new TestMember(h, 's', { groupInstanceId: 'worker-1', sessionTimeoutMs: 2_000 })
    void back.join() // a newcomer now: it waits in the rebalance its old session's expiry started
    expect(await rebalance(h, [a, back])).toBe(2)
  })

  it('removes a static member at once when named by instance id alone (admin removal)', async () => {
    const [a] = await staticGroup()
    await h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: 'worker-1' }] })
    expect(await code(a.heartbeat())).toBe('REBALANCE_IN_PROGRESS')
    expect(await code(h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: 'worker-1' }] }))).toBe(
      'UNKNOWN_MEMBER_ID',
    )
  })

  it('keeps an absent static member’s place through another member’s rebalance', async () => {
    const [a, s] = await staticGroup()
    await s.leave() // the static process stops; its session (2 s) keeps its place
    const b = new TestMember(h, 'b')
    const joins = [track(a.join()), track(b.join())]
    h.clock.advance(1_000)
    await settle()
    expect(joins.map((j) => j.state())).toEqual(['pending', 'pending'])
    // Back within its session: it joins the rebalance under a new member id.
    const back = new TestMember(h, 's', { groupInstanceId: 'worker-1', sessionTimeoutMs: 2_000 })
    await rebalance(h, [a, b, back])
    expect(back.generationId).toBe(2)
    expect(owned([a, b, back])).toHaveLength(6)
  })

  it('rebalances a restarted static member whose subscription changed', async () => {
    await staticGroup()
    const changed = new TestMember(h, 's', { groupInstanceId: 'worker-1', sessionTimeoutMs: 2_000, topics: ['orders', 'audit'] })
    const join = track(changed.join())
    await settle()
    expect(join.state()).toBe('pending')
  })
})
