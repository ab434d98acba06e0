import { eventually } from '@tributary/core/testing'
import { RaftProcesses } from '../supervisor'

describe('three Raft processes over TCP on localhost with file storage', () => {
  const cluster = new RaftProcesses()
  afterAll(() => cluster.stop())

  it('elects, replicates, survives SIGKILL of the leader, and the killed node catches up on restart', async () => {
    await cluster.start([1, 2, 3])
    const first = await cluster.leader()
    for (let i = 0; i < 20; i++) expect(await cluster.request(first, { type: 'propose', data: `a${i}` })).toHaveProperty('index')
    await eventually(
      async () => ((await Promise.all([1, 2, 3].map((id) => cluster.status(id)))).every((s) => s.appliedCount === 20) ? true : undefined),
      15_000,
    )

    await cluster.kill(first)
    const second = await cluster.leader()
    expect(second).not.toBe(first)
    const res = await eventually(async () => {
      const r = await cluster.request(second, { type: 'propose', data: 'b0', count: 10 })
      return r.index !== undefined ? r : undefined
    }, 15_000)
    expect(res.index).toBeGreaterThan(20)

    await cluster.restart(first)
    const caughtUp = await eventually(async () => {
      const s = await cluster.status(first)
      return s.appliedCount >= 30 ? s : undefined
    }, 15_000)
    expect(caughtUp.last).toEqual(['b0', 'b0', 'b0'])
    // A follower proposal is refused with the leader's id for redirection.
    const refused = await cluster.request(first, { type: 'propose', data: 'x' })
    expect(refused).toMatchObject({ error: 'NOT_LEADER_OR_FOLLOWER', details: { leaderId: second } })
  }, 40_000)
})
