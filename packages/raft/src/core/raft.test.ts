/**
 * Unit tests of the pure core, one claim each, citing the Raft paper (§) or a known bug.
 */
import { isTributaryError } from '@tributary/core'
import { resolveRaftConfig } from './config'
import { Raft, bootstrapSnapshot } from './raft'
import { Sfc32 } from './random'
import { EntryType, MessageType, type Entry } from './types'
import { encodeConfEntry } from './membership'
import { drain, enc, entry, leaderOf3, msg, replica } from '../testing/core-kit'

describe('config', () => {
  it('rejects electionTicks <= heartbeatTicks with INVALID_CONFIG and the option path', () => {
    try {
      resolveRaftConfig({ id: 1, electionTicks: 2, heartbeatTicks: 2 })
      throw new Error('expected a throw')
    } catch (err) {
      expect(isTributaryError(err, 'INVALID_CONFIG')).toBe(true)
      expect((err as Error).message).toContain('options.electionTicks')
    }
  })
  it('rejects unknown keys and non-positive ids', () => {
    expect(() => resolveRaftConfig({ id: 1, electionTick: 5 } as never)).toThrow(/electionTick: unknown option/)
    expect(() => resolveRaftConfig({ id: 0 })).toThrow(/options.id/)
  })
  it('defaults pre-vote and check-quorum on', () => {
    expect(resolveRaftConfig({ id: 1 })).toMatchObject({ preVote: true, checkQuorum: true, electionTicks: 10, heartbeatTicks: 2 })
  })
})

describe('§5.1/§5.2 terms and elections', () => {
  it('a replica seeing a higher term adopts it and becomes a follower', () => {
    const r = replica(1, [], 2)
    r.campaignNow()
    expect(r.role).toBe('candidate')
    r.step(msg(MessageType.App, 2, 1, 5, { index: 0, logTerm: 0 }))
    expect(r.term).toBe(5)
    expect(r.role).toBe('follower')
    expect(r.leader).toBe(2)
  })
  it('randomizes the election timeout in [electionTicks, 2*electionTicks)', () => {
    const seen = new Set<number>()
    for (let seed = 0; seed < 200; seed++) {
      const r = new Raft(resolveRaftConfig({ id: 1, preVote: false }), new Sfc32(seed), {
        snapshot: bootstrapSnapshot([1, 2, 3]),
        entries: [],
      })
      let ticks = 0
      while (r.role === 'follower') {
        r.tick()
        ticks++
      }
      seen.add(ticks)
    }
    expect(Math.min(...seen)).toBe(10)
    expect(Math.max(...seen)).toBe(19)
  })
  it('a single voter elects itself and commits once its own write is durable (etcd #14370)', () => {
    const r = new Raft(resolveRaftConfig({ id: 1 }), new Sfc32(1), { snapshot: bootstrapSnapshot([1]), entries: [] })
    r.campaignNow()
    expect(r.role).toBe('leader')
    const p = r.propose(enc('x'))
    const rd = r.ready()
    expect(rd.entries.map((e) => e.index)).toEqual([1, 2])
    expect(r.log.committed).toBe(0) // nothing is durable yet
    r.advance(rd)
    expect(r.log.committed).toBe(p.ok ? p.index : -1)
  })
  it('a leader sends heartbeats every heartbeatTicks', () => {
    const r = replica(1)
    r.campaignNow()
    r.step(msg(MessageType.VoteResp, 2, 1, 1))
    drain(r)
    r.tick()
    expect(drain(r).filter((m) => m.type === MessageType.Heartbeat)).toHaveLength(0)
    r.tick()
    expect(
      drain(r)
        .filter((m) => m.type === MessageType.Heartbeat)
        .map((m) => m.to),
    ).toEqual([2, 3])
  })
})

describe('S3 the election restriction (§5.4.1)', () => {
  const own = [1, 1, 2, 2, 2] // last (t2, 5)
  it.each([
    ['(t3, 1) newer last term', 3, 1, true],
    ['(t2, 5) equal', 2, 5, true],
    ['(t2, 4) shorter, same term', 2, 4, false],
    ['(t1, 9) longer, older term', 1, 9, false],
  ])('candidate %s -> grant %s', (_name, logTerm, index, grant) => {
    const r = replica(1, own, 3)
    r.step(msg(MessageType.Vote, 2, 1, 4, { index, logTerm }))
    const resp = drain(r).find((m) => m.type === MessageType.VoteResp)
    expect(resp?.reject).toBe(!grant)
  })
  it('denies a second candidate in the same term, also after a restart', () => {
    const r = replica(1, own, 3)
    r.step(msg(MessageType.Vote, 2, 1, 4, { index: 5, logTerm: 2 }))
    r.step(msg(MessageType.Vote, 3, 1, 4, { index: 9, logTerm: 3 }))
    const resps = drain(r).filter((m) => m.type === MessageType.VoteResp)
    expect(resps.map((m) => [m.to, m.reject])).toEqual([
      [2, false],
      [3, true],
    ])
    const restarted = replica(1, own, r.term, r.vote)
    restarted.step(msg(MessageType.Vote, 3, 1, 4, { index: 9, logTerm: 3 }))
    restarted.step(msg(MessageType.Vote, 2, 1, 4, { index: 5, logTerm: 2 }))
    expect(
      drain(restarted)
        .filter((m) => m.type === MessageType.VoteResp)
        .map((m) => m.reject),
    ).toEqual([true, false])
  })
})

describe('S2 appends on a follower', () => {
  it('(a) truncates a conflicting suffix and appends the new entry', () => {
    const r = replica(1, [1, 1, 2, 2], 2)
    r.step(msg(MessageType.App, 2, 1, 3, { index: 2, logTerm: 1, entries: [entry(3, 3)] }))
    expect([1, 2, 3, 4].map((i) => r.log.term(i))).toEqual([1, 1, 3, undefined])
    expect(drain(r).find((m) => m.type === MessageType.AppResp)).toMatchObject({ reject: false, index: 3 })
  })
  it('(a) rejects a mismatching prev with a conflict hint (fast back-off)', () => {
    const r = replica(1, [1, 1, 2, 2, 2], 2)
    r.step(msg(MessageType.App, 2, 1, 3, { index: 6, logTerm: 3 }))
    expect(drain(r).find((m) => m.type === MessageType.AppResp)).toMatchObject({ reject: true, index: 6, rejectHint: 5, logTerm: 2 })
  })
  it('(b) a stale, reordered append never truncates entries it does not conflict with', () => {
    const r = replica(1, [1, 1, 1, 1, 1], 2)
    const ae2 = msg(MessageType.App, 2, 1, 2, { index: 5, logTerm: 1, commit: 5, entries: [6, 7, 8, 9, 10].map((i) => entry(i, 2)) })
    const ae1 = msg(MessageType.App, 2, 1, 2, { index: 5, logTerm: 1, commit: 5, entries: [6, 7].map((i) => entry(i, 2)) })
    r.step(ae2)
    r.step(ae1)
    expect(r.log.lastIndex()).toBe(10)
    expect(r.log.committed).toBe(5)
    const acks = drain(r)
      .filter((m) => m.type === MessageType.AppResp)
      .map((m) => m.index)
    expect(acks).toEqual([10, 7]) // the stale one verifies only up to 7
  })
  it('(c) an overwrite between ready and advance keeps the new entries unstable (ABA race)', () => {
    const r = replica(1, [1, 1, 1, 1], 2)
    r.step(msg(MessageType.App, 2, 1, 2, { index: 4, logTerm: 1, entries: [5, 6, 7].map((i) => entry(i, 2)) }))
    const rd = r.ready()
    expect(rd.entries.map((e) => e.index)).toEqual([5, 6, 7])
    r.step(msg(MessageType.App, 3, 1, 3, { index: 5, logTerm: 2, entries: [6, 7, 8].map((i) => entry(i, 3, `n${i}`)) }))
    r.advance(rd)
    expect(r.log.stableIndex).toBe(4)
    expect(r.ready().entries.map((e) => `${e.index}/${e.term}`)).toEqual(['5/2', '6/3', '7/3', '8/3'])
  })
  it('(c) a leader ignores acknowledgements from an older term', () => {
    const r = replica(1, [1], 1)
    r.campaignNow()
    r.step(msg(MessageType.VoteResp, 2, 1, 2))
    drain(r)
    r.step(msg(MessageType.AppResp, 3, 1, 1, { index: 2 }))
    expect(r.prs.get(3)?.match).toBe(0)
  })
  it('(d) truncating a membership entry restores the previous membership', () => {
    const conf: Entry = {
      index: 3,
      term: 1,
      type: EntryType.ConfChange,
      data: encodeConfEntry({ type: 'add-learner', nodeId: 4 }, { voters: [1, 2, 3], learners: [4] }),
    }
    const r = new Raft(resolveRaftConfig({ id: 1 }), new Sfc32(1), {
      snapshot: bootstrapSnapshot([1, 2, 3]),
      entries: [entry(1, 1), entry(2, 1), conf],
      hardState: { term: 1, vote: 0, commit: 0 },
    })
    expect(r.membership().learners).toEqual([4])
    r.step(msg(MessageType.App, 2, 1, 2, { index: 2, logTerm: 1, entries: [entry(3, 2)] }))
    expect(r.membership()).toEqual({ voters: [1, 2, 3], learners: [] })
  })
})

describe('§5.3 replication and flow control', () => {
  it('pipelines appends up to maxInflightMsgs per follower, then pauses', () => {
    const r = leaderOf3({ maxInflightMsgs: 2 })
    for (let i = 0; i < 4; i++) {
      r.propose(enc(`p${i}`))
      drain(r)
    }
    expect(r.prs.get(2)?.state).toBe('replicate')
    expect(r.prs.get(2)?.inflights.count()).toBe(2)
    expect(r.prs.get(2)?.isPaused()).toBe(true)
  })
  it('batches proposals made between Readies into one append, split by maxMsgBytes', () => {
    const r = leaderOf3({ maxMsgBytes: 100 })
    for (let i = 0; i < 10; i++) r.propose(new Uint8Array(30))
    const apps = drain(r).filter((m) => m.type === MessageType.App && m.to === 2)
    expect(apps.length).toBeGreaterThan(1)
    expect(apps.every((m) => m.entries.length <= 2)).toBe(true)
    expect(apps.reduce((n, m) => n + m.entries.length, 0)).toBe(10)
  })
  it('commits an entry of its term once a majority holds it', () => {
    const r = leaderOf3()
    const p = r.propose(enc('x'))
    drain(r)
    if (!p.ok) throw new Error()
    expect(r.log.committed).toBe(1)
    r.step(msg(MessageType.AppResp, 2, 1, 1, { index: p.index }))
    expect(r.log.committed).toBe(p.index)
  })
  it('answers ReadIndex only after a quorum confirms leadership by heartbeat', () => {
    const r = leaderOf3()
    expect(r.readIndex(9)).toBe(true)
    const hb = drain(r).filter((m) => m.type === MessageType.Heartbeat && m.context === 9)
    expect(hb).toHaveLength(2)
    r.step(msg(MessageType.HeartbeatResp, 2, 1, 1, { context: 9 }))
    expect(r.ready().readStates).toEqual([{ index: 1, requestId: 9 }])
  })
  it('hands leadership to a caught-up follower with TimeoutNow (§3.10)', () => {
    const r = leaderOf3()
    expect(r.transferLeadership(2)).toBe(true)
    expect(
      drain(r)
        .filter((m) => m.type === MessageType.TimeoutNow)
        .map((m) => m.to),
    ).toEqual([2])
    expect(r.propose(enc('x'))).toMatchObject({ ok: false, reason: 'transferring' })
  })
})
