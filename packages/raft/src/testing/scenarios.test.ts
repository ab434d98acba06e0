/**
 * Named safety scenarios S1–S9 (see shared/reference/raft-facts.md §3), scripted on the
 * simulated cluster. The SafetyChecker runs after every step in each of them, so beyond the
 * explicit assertions every scenario also proves election safety, log matching, leader
 * completeness and state-machine safety for its schedule.
 */
import { Cluster } from './cluster'
import { MessageType, type Message } from '../core/types'

const noPreVote = { preVote: false, checkQuorum: false }
const isApp = (m: Message): boolean => m.type === MessageType.App

describe('S1 Figure 8: an earlier-term entry is never committed by counting replicas', () => {
  function figure8Prefix(c: Cluster): number {
    // (a) n1 leads and appends X; only n2 receives it.
    c.campaign(1)
    c.dropIf = (m) => isApp(m) && m.from === 1 && m.to !== 2
    const x = c.propose(1, 'X')
    c.stabilize()
    expect(x.ok && x.index).toBe(2)
    // (b) n1 goes away; n5 wins with n3 and n4 and appends Y locally only.
    c.crash(1, { keepUnsynced: true })
    c.dropIf = (m) => isApp(m) && m.from === 5
    c.campaign(5)
    expect(c.raft(5).role).toBe('leader')
    c.propose(5, 'Y')
    c.stabilize()
    return c.raft(5).term
  }

  it('(c, d) X on a majority is not committed, and n5 later overwrites it everywhere', () => {
    const c = new Cluster([1, 2, 3, 4, 5], { config: noPreVote })
    figure8Prefix(c)
    // (c) n5 cut off, n1 back: n1 wins a later term and copies X to n3 but nothing newer commits.
    c.restart(1)
    c.crash(5, { keepUnsynced: true })
    c.dropIf = (m) => isApp(m) && m.from === 1 && m.to !== 3
    c.campaign(1)
    if (c.raft(1).role !== 'leader') c.campaign(1)
    expect(c.raft(1).role).toBe('leader')
    expect(c.raft(3).log.term(2)).toBe(1) // X is on n1, n2, n3: a majority
    expect(c.raft(1).log.committed).toBeLessThan(2)
    // (d) n1 crashes; n5 wins with n2 and n4 and overwrites index 2.
    c.crash(1)
    c.restart(5)
    c.dropIf = () => false
    for (let i = 0; i < 3 && c.raft(5).role !== 'leader'; i++) c.campaign(5)
    expect(c.raft(5).role).toBe('leader')
    c.tickAll(5)
    for (const id of [2, 3, 4, 5]) expect(c.applied(id)).toEqual(['Y'])
    expect(c.acked.has('X')).toBe(false)
  })

  it('(e) once n1 commits an entry of its own term, X is committed and n5 can never win', () => {
    const c = new Cluster([1, 2, 3, 4, 5], { config: noPreVote })
    figure8Prefix(c)
    c.restart(1)
    c.crash(5, { keepUnsynced: true })
    c.dropIf = (m) => isApp(m) && m.from === 1 && (m.to === 4 || m.to === 5)
    c.campaign(1)
    if (c.raft(1).role !== 'leader') c.campaign(1)
    expect(c.raft(1).log.committed).toBe(3) // the no-op of n1's term carried X with it
    expect(c.applied(1)).toEqual(['X'])
    c.crash(1)
    c.restart(5)
    c.dropIf = () => false
    for (let i = 0; i < 5; i++) {
      c.campaign(5)
      expect(c.raft(5).role).not.toBe('leader') // n2 and n3 hold a newer last term
    }
    c.campaign(2)
    c.restart(1)
    c.tickAll(5)
    for (const id of [1, 2, 3, 4, 5]) expect(c.applied(id)[0]).toBe('X')
  })
})

describe('S2 log matching and conflicting suffixes', () => {
  const paperFollowers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  }
  it.each(Object.entries(paperFollowers))('Figure 7 follower (%s) converges to the leader of term 8', (_name, terms) => {
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
    const c = new Cluster([1, 2, 3], { config: noPreVote })
    c.seedLog(1, leaderLog, 7)
    c.seedLog(2, terms, 7)
    c.seedLog(3, leaderLog, 7)
    c.campaign(1)
    expect(c.raft(1).term).toBe(8)
    c.tickAll(3)
    const want = [...leaderLog, 8].map((t, i) => c.raft(1).log.term(i + 1) === t)
    expect(want.every(Boolean)).toBe(true)
    expect(c.raft(2).log.lastIndex()).toBe(11)
    for (let i = 1; i <= 11; i++) expect(c.raft(2).log.term(i)).toBe(c.raft(1).log.term(i))
    expect(c.raft(2).log.committed).toBe(11)
  })
})

describe('S4 split votes', () => {
  it('livelocks with identical election timeouts (why timeouts are randomized)', () => {
    const c = new Cluster([1, 2, 3], { config: noPreVote, random: () => ({ nextInt: () => 0 }) })
    c.tickAll(10 * 20)
    expect(c.leader()).toBeUndefined()
    expect(c.raft(1).term).toBeGreaterThan(10)
  })

  it.each([3, 4])('elects a leader within 10 election timeouts for 300 seeds (%i nodes, 2-2 splits included)', (n) => {
    const ids = Array.from({ length: n }, (_, i) => i + 1)
    for (let seed = 1; seed <= 300; seed++) {
      const c = new Cluster(ids, { config: { preVote: seed % 2 === 0 }, seed })
      let ticks = 0
      while (c.leader() === undefined && ticks < 100) {
        c.tickAll(1)
        ticks++
      }
      if (c.leader() === undefined) throw new Error(`seed ${seed}: no leader after ${ticks} ticks`)
    }
  })
})

describe('S5 a stale leader in a minority partition', () => {
  it('cannot commit, steps down by check-quorum, fails ReadIndex, and loses its tail on heal', () => {
    const c = new Cluster([1, 2, 3, 4, 5])
    c.campaign(1)
    c.propose(1, 'before')
    c.stabilize()
    c.partition([1, 2], [3, 4, 5])
    const stale = c.propose(1, 'stale')
    expect(stale.ok).toBe(true)
    let readOk = true
    c.node(1).input((r) => {
      readOk = r.readIndex(77)
    })
    expect(readOk).toBe(true)
    let stepDownAfter = -1
    for (let t = 1; t <= 40; t++) {
      c.tickAll(1)
      if (stepDownAfter < 0 && c.raft(1).role !== 'leader') stepDownAfter = t
    }
    expect(stepDownAfter).toBeGreaterThan(0)
    // Quorum is checked once per election timeout against the contacts of the previous window,
    // so a leader cut off just after a check notices within two timeouts (as in etcd).
    expect(stepDownAfter).toBeLessThanOrEqual(20)
    expect(c.readStates.some((r) => r.requestId === 77)).toBe(false)
    const newLeader = c.leader()
    expect([3, 4, 5]).toContain(newLeader)
    c.propose(newLeader!, 'fresh')
    c.stabilize()
    expect(c.raft(1).log.committed).toBeLessThan(stale.ok ? stale.index : 0)
    c.heal()
    c.tickAll(20)
    for (const id of [1, 2, 3, 4, 5]) expect(c.applied(id)).toEqual(['before', 'fresh'])
    expect(c.acked.has('stale')).toBe(false)
  })
})

describe('S6 a rejoining partitioned node', () => {
  it('does not disrupt the leader with pre-vote and check-quorum', () => {
    const c = new Cluster([1, 2, 3])
    c.campaign(1)
    const term = c.raft(1).term
    c.isolate(3)
    c.tickAll(100)
    expect(c.raft(3).term).toBe(term) // pre-votes never raise the term
    c.heal()
    c.tickAll(30)
    expect(c.leader()).toBe(1)
    expect(c.raft(1).term).toBe(term)
  })

  it('forces an election without pre-vote (the disruption pre-vote prevents)', () => {
    const c = new Cluster([1, 2, 3], { config: noPreVote })
    c.campaign(1)
    const term = c.raft(1).term
    c.isolate(3)
    c.tickAll(100)
    expect(c.raft(3).term).toBeGreaterThan(term + 3)
    c.heal()
    c.tickAll(30)
    expect(c.raft(c.leader()!).term).toBeGreaterThan(term)
  })
})

describe('S6 a removed server that keeps campaigning', () => {
  it('cannot depose the leader even without pre-vote and check-quorum (thesis §4.2.3)', () => {
    const c = new Cluster([1, 2, 3], { config: noPreVote })
    c.campaign(1)
    c.tickAll(2)
    // n3 never hears of its own removal: the leader stops replicating to it.
    c.dropIf = (m) => m.to === 3 && isApp(m)
    expect(c.raft(1).proposeConfChange({ type: 'remove', nodeId: 3 }).ok).toBe(true)
    c.tickAll(3)
    const term = c.raft(1).term
    for (let i = 0; i < 5; i++) c.campaign(3)
    expect(c.raft(3).term).toBeGreaterThan(term)
    c.tickAll(30)
    expect(c.leader()).toBe(1)
    expect(c.raft(1).term).toBe(term)
  })
})

describe('S7 single-server membership changes', () => {
  it('refuses a change before the leader commits an entry of its term, and a second pending change', () => {
    const c = new Cluster([1, 2, 3])
    c.dropIf = (m) => isApp(m) && m.from === 1
    c.campaign(1)
    const early = c.raft(1).proposeConfChange({ type: 'add-learner', nodeId: 4 })
    expect(early).toMatchObject({ ok: false, reason: 'no-commit-in-term' })
    c.dropIf = () => false
    // The lost no-op goes again once its retransmission timeout (2 * heartbeatTicks + 1) passed.
    const r = c.raft(1)
    for (let i = 0; i < 10 && r.log.term(r.log.committed) !== r.term; i++) c.tickAll(1)
    expect(c.raft(1).proposeConfChange({ type: 'add-learner', nodeId: 4 }).ok).toBe(true)
    expect(c.raft(1).proposeConfChange({ type: 'add-learner', nodeId: 5 })).toMatchObject({ ok: false, reason: 'conf-change-pending' })
  })

  it("keeps E committed in Ongaro's scenario: S2's no-op must reach S4 first, so S4 refuses S1", () => {
    const c = new Cluster([1, 2, 3, 4], { config: noPreVote })
    c.add(5, [])
    c.campaign(1)
    c.tickAll(2)
    // S1 appends D = {S1..S5}; only S5 receives it; S1 goes offline.
    c.dropIf = (m) => isApp(m) && m.from === 1 && m.to !== 5
    expect(c.raft(1).proposeConfChange({ type: 'add-voter', nodeId: 5 }).ok).toBe(true)
    c.stabilize()
    c.crash(1, { keepUnsynced: true })
    c.dropIf = () => false
    // S2 wins; the fix: E may only be proposed after S2's no-op committed on 3 of {S1..S4}.
    c.isolate(5)
    c.campaign(2)
    expect(c.raft(2).role).toBe('leader')
    expect(c.raft(4).log.lastTerm()).toBe(c.raft(2).term)
    expect(c.raft(2).proposeConfChange({ type: 'remove', nodeId: 1 }).ok).toBe(true)
    c.stabilize()
    const eIndex = c.raft(2).log.lastConfIndex()
    expect(c.raft(2).log.committed).toBeGreaterThanOrEqual(eIndex)
    // S1 returns with S5 and campaigns: S4 holds a newer last term and refuses.
    c.crash(2)
    c.crash(3)
    c.heal()
    c.restart(1)
    for (let i = 0; i < 5; i++) {
      c.campaign(1)
      expect(c.raft(1).role).not.toBe('leader')
    }
    expect(c.raft(4).log.term(eIndex)).toBe(c.node(4).raft!.log.term(eIndex))
  })

  it('adds a learner, promotes it once caught up, and removes the leader which then steps down', () => {
    const c = new Cluster([1, 2, 3])
    c.add(4, [])
    c.campaign(1)
    c.propose(1, 'a')
    c.tickAll(2)
    expect(c.raft(1).proposeConfChange({ type: 'add-learner', nodeId: 4 }).ok).toBe(true)
    c.tickAll(3)
    expect(c.raft(4).membership().learners).toEqual([4])
    expect(c.applied(4)).toEqual(['a'])
    expect(c.raft(1).proposeConfChange({ type: 'promote', nodeId: 4 }).ok).toBe(true)
    c.tickAll(3)
    expect(c.raft(1).membership().voters).toEqual([1, 2, 3, 4])
    expect(c.raft(1).proposeConfChange({ type: 'remove', nodeId: 1 }).ok).toBe(true)
    c.tickAll(3)
    expect(c.raft(1).role).toBe('follower')
    c.tickAll(40)
    const leader = c.leader()
    expect([2, 3, 4]).toContain(leader)
    c.propose(leader!, 'b')
    c.tickAll(3)
    for (const id of [2, 3, 4]) expect(c.applied(id)).toEqual(['a', 'b'])
  })
})

describe('S8 crashes with unsynced data', () => {
  it('(a) a leader counts its own entry only after its flush, so a lost leader tail was never committed', () => {
    const c = new Cluster([1, 2, 3])
    c.campaign(1)
    c.dropIf = (m) => isApp(m) && m.to === 3
    const v = c.propose(1, 'v')
    if (!v.ok) throw new Error('propose failed')
    expect(c.writeWithoutSync(1)).toBe(true) // appends went out before the leader's own fsync
    c.stabilize() // n2 persists and acknowledges; n1's own write is still in its cache
    expect(c.raft(2).log.lastIndex()).toBe(v.index)
    // Counting its unflushed copy, the leader would have a majority (n1 + n2); it must not.
    expect(c.raft(1).log.committed).toBeLessThan(v.index)
    c.crash(1)
    c.dropIf = () => false
    c.tickAll(40)
    const leader = c.leader()!
    expect(leader).not.toBe(1)
    c.restart(1)
    c.tickAll(5)
    expect(c.acked.has('v')).toBe(false)
  })

  it('(b) a vote is sent only after it is durable, and survives a restart', () => {
    const c = new Cluster([1, 2, 3], { config: noPreVote })
    c.node(1).input((r) => r.campaignNow())
    c.node(1).processAll()
    const votes = c.queue.filter((m) => m.to === 2)
    c.queue = []
    c.node(2).input((r) => r.step(votes[0]!))
    c.writeWithoutSync(2)
    expect(c.queue.some((m) => m.type === MessageType.VoteResp)).toBe(false)
    c.node(2).finishReady()
    expect(c.queue.some((m) => m.type === MessageType.VoteResp && !m.reject)).toBe(true)
    const term = c.raft(2).term
    c.crash(2)
    c.restart(2)
    expect(c.raft(2).hardState()).toMatchObject({ term, vote: 1 })
    c.queue = []
    c.node(2).input((r) => r.step({ ...votes[0]!, from: 3, to: 2 }))
    c.node(2).processAll()
    expect(c.queue.find((m) => m.type === MessageType.VoteResp)?.reject).toBe(true)
  })
})

describe('S9 snapshots and compaction', () => {
  it('sends a snapshot to a follower whose next entry was compacted, retrying if it is lost', () => {
    const c = new Cluster([1, 2, 3], { snapshotEvery: 5, snapshotTrailing: 1 })
    c.campaign(1)
    c.isolate(3)
    for (let i = 0; i < 30; i++) {
      c.propose(1, `w${i}`)
      c.stabilize()
    }
    expect(c.raft(1).log.firstIndex()).toBeGreaterThan(10)
    c.heal()
    let dropped = 0
    c.dropIf = (m) => m.type === MessageType.Snap && dropped++ === 0
    c.tickAll(30)
    expect(dropped).toBeGreaterThan(1)
    expect(c.raft(3).log.committed).toBe(c.raft(1).log.committed)
    expect(c.node(3).sm.hash).toBe(c.node(1).sm.hash)
    c.propose(1, 'after')
    c.tickAll(2)
    expect(c.applied(3)).toContain('after')
  })
})

describe('issue 19: a healed group commits without first draining an unbounded backlog', () => {
  // Seed 1026033 in miniature: leader 1 keeps accepting writes while its appends do not reach the
  // others (the trace had `block 3>2` and a partition), restarts, and wins again, its no-op behind
  // the tail it accepted. One append carries two entries and one is in flight per follower.
  const config = { ...noPreVote, maxUncommittedEntries: 8, maxInflightMsgs: 1, maxMsgBytes: 40 }

  it('a leader that cannot commit accepts at most its budget, and keeps it after restarting and winning again', () => {
    const c = new Cluster([1, 2, 3], { config })
    c.campaign(1)
    c.dropIf = (m) => m.type === MessageType.App && m.from === 1
    const results = Array.from({ length: 50 }, (_, i) => c.propose(1, `w${i}`))
    c.stabilize()
    expect(results.filter((r) => r.ok)).toHaveLength(8)
    expect(results.slice(8).every((r) => !r.ok && r.reason === 'overloaded')).toBe(true)
    c.crash(1, { keepUnsynced: true })
    c.restart(1)
    c.campaign(1)
    expect(c.raft(1).role).toBe('leader')
    // The inherited tail fills the budget: nothing new is taken until the no-op commits.
    expect(c.propose(1, 'more')).toMatchObject({ ok: false, reason: 'overloaded' })
    const noop = c.raft(1).log.lastIndex()
    expect(noop).toBe(10)
    // Healed: the leader's heartbeats draw a retransmission of its lost probe, the followers'
    // refusal points it at their log end, and from there each index goes to each follower once.
    const sent = new Map<string, number>()
    c.dropIf = (m) => {
      if (m.type === MessageType.App) for (const e of m.entries) sent.set(`${m.to}:${e.index}`, (sent.get(`${m.to}:${e.index}`) ?? 0) + 1)
      return false
    }
    for (let tick = 0; tick < 20 && c.raft(1).log.committed < noop; tick++) c.tick(1)
    expect(c.raft(1).log.committed).toBe(noop)
    for (const id of [2, 3]) {
      expect(c.raft(id).log.committed).toBe(noop)
      const counts = Array.from({ length: noop - 1 }, (_, i) => sent.get(`${id}:${i + 2}`))
      // The no-op also rode in the retransmitted probe the follower refused.
      expect(counts).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2])
    }
    expect(c.propose(1, 'more').ok).toBe(true)
  })

  it('a stale leader removed from the configuration learns the newer term and stops taking writes (pre-vote and check-quorum off)', () => {
    // Seed 3073679 in miniature: 3 leads an old term, unaware that the others moved on and
    // removed it. Nobody in the new configuration sends it anything (no heartbeats, no votes).
    const c = new Cluster([1, 2, 3], { config: noPreVote })
    c.campaign(3)
    c.isolate(3)
    c.campaign(1)
    expect(c.raft(1).term).toBe(2)
    expect(c.raft(1).proposeConfChange({ type: 'remove', nodeId: 3 }).ok).toBe(true)
    c.stabilize()
    expect(c.raft(1).membership().voters).toEqual([1, 2])
    expect(c.raft(3)).toMatchObject({ role: 'leader', term: 1 })
    // Healed: 3's own heartbeats reach 1 and 2, whose answers carry term 2 (Figure 2).
    c.heal()
    c.tick(3, 3)
    expect(c.raft(3).role).not.toBe('leader')
    expect(c.raft(3).term).toBe(2)
    expect(c.propose(3, 'lost')).toMatchObject({ ok: false, reason: 'not-leader' })
  })
})
