/**
 * Bounds on a leader's work (issue 19): the uncommitted budget that refuses proposals, the
 * committed bytes one Ready hands out, and the progress guard that reports a leader which stopped
 * committing while a quorum answers it.
 */
import { MessageType } from './types'
import { drain, electedLeader, enc, entry, leaderOf3, msg, replica } from '../testing/core-kit'

describe('the uncommitted budget (etcd MaxUncommittedEntriesSize, in entries and bytes)', () => {
  it('refuses proposals past maxUncommittedEntries as retriable overload, and takes them again once entries commit', () => {
    const r = leaderOf3({ maxUncommittedEntries: 3 })
    expect(['a', 'b', 'c'].map((s) => r.propose(enc(s)).ok)).toEqual([true, true, true])
    const refused = r.propose(enc('d'))
    expect(refused).toMatchObject({ ok: false, reason: 'overloaded' })
    expect(!refused.ok && refused.message).toMatch(/3 entries \(limit 3\)/)
    expect(r.log.lastIndex()).toBe(4) // nothing appended
    drain(r)
    r.step(msg(MessageType.AppResp, 2, 1, 1, { index: 4 }))
    expect(r.uncommitted()).toEqual({ entries: 0, bytes: 0 })
    expect(r.propose(enc('d')).ok).toBe(true)
  })

  it('counts bytes too, but a single entry larger than the limit still goes through alone', () => {
    const r = leaderOf3({ maxUncommittedBytes: 100 })
    expect(r.propose(new Uint8Array(40)).ok).toBe(true) // 56 bytes counted
    expect(r.propose(new Uint8Array(40))).toMatchObject({ ok: false, reason: 'overloaded' })
    drain(r)
    r.step(msg(MessageType.AppResp, 2, 1, 1, { index: 2 }))
    expect(r.propose(new Uint8Array(500)).ok).toBe(true)
    expect(r.uncommitted()).toEqual({ entries: 1, bytes: 516 })
  })

  it('a new leader counts the tail it inherited, so a backlog never grows from leader to leader; its no-op is never refused', () => {
    // Replica 1 holds ten uncommitted entries of term 1 and wins term 2 with a budget of five.
    const r = electedLeader(
      { maxUncommittedEntries: 5 },
      Array.from({ length: 10 }, () => 1),
      1,
    )
    expect(r.log.entryAt(11)).toMatchObject({ term: 2, data: new Uint8Array(0) })
    expect(r.uncommitted().entries).toBe(11)
    expect(r.propose(enc('x'))).toMatchObject({ ok: false, reason: 'overloaded' })
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 11 }))
    expect(r.log.committed).toBe(11)
    expect(r.propose(enc('x')).ok).toBe(true)
  })

  it('does not refuse a membership change (removing a dead member may be what unblocks a group), but counts it', () => {
    const r = leaderOf3({ maxUncommittedEntries: 1 })
    expect(r.propose(enc('a')).ok).toBe(true)
    expect(r.propose(enc('b')).ok).toBe(false)
    expect(r.proposeConfChange({ type: 'remove', nodeId: 3 }).ok).toBe(true)
    expect(r.uncommitted().entries).toBe(2)
  })

  it('is zero on a replica that does not lead', () => {
    expect(replica(2, [1, 1]).uncommitted()).toEqual({ entries: 0, bytes: 0 })
  })
})

describe('committed entries per Ready', () => {
  it('one Ready hands out at most maxCommittedBytesPerReady of entries to apply (at least one), in order', () => {
    const r = replica(2, [], 1, 0, { maxCommittedBytesPerReady: 50 })
    const entries = Array.from({ length: 10 }, (_, i) => entry(i + 1, 1)) // 18 or 19 bytes each
    r.step(msg(MessageType.App, 1, 2, 1, { index: 0, logTerm: 0, entries, commit: 10 }))
    const batches: number[][] = []
    while (r.hasReady()) {
      const rd = r.ready()
      if (rd.committedEntries.length > 0) batches.push(rd.committedEntries.map((e) => e.index))
      r.advance(rd)
    }
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(Math.max(...batches.map((b) => b.length))).toBe(2)
  })

  it('still hands out a single entry larger than the bound', () => {
    const r = replica(2, [], 1, 0, { maxCommittedBytesPerReady: 10 })
    r.step(msg(MessageType.App, 1, 2, 1, { index: 0, logTerm: 0, entries: [entry(1, 1, 'x'.repeat(100))], commit: 1 }))
    const rd = r.ready()
    expect(rd.committedEntries.map((e) => e.index)).toEqual([])
    r.advance(rd) // the entry becomes durable
    expect(r.ready().committedEntries.map((e) => e.index)).toEqual([1])
  })
})

describe('the progress guard', () => {
  const opts = { heartbeatTicks: 1, electionTicks: 5, commitStallTicks: 12 }

  it('reports a leader whose followers answer heartbeats but whose entries never commit, and clears once one does', () => {
    const r = electedLeader(opts)
    for (let tick = 1; tick <= 11; tick++) {
      r.tick()
      r.step(msg(MessageType.HeartbeatResp, 2, 1, 1))
      r.step(msg(MessageType.HeartbeatResp, 3, 1, 1))
      drain(r)
    }
    expect(r.commitStall()).toBeUndefined()
    r.tick()
    expect(r.commitStall()).toEqual({ ticks: 12, ownTermCommitted: false, commitIndex: 0, lastIndex: 1, matchIndex: { 2: 0, 3: 0 } })
    r.step(msg(MessageType.AppResp, 2, 1, 1, { index: 1 }))
    expect(r.log.committed).toBe(1)
    expect(r.commitStall()).toBeUndefined()
  })

  it('stays quiet for a leader cut off from its quorum (that is check-quorum territory, not a stuck group)', () => {
    const r = electedLeader(opts)
    for (let tick = 1; tick <= 40; tick++) {
      r.tick()
      drain(r)
    }
    expect(r.role).toBe('leader') // check-quorum is off in this replica
    expect(r.commitStall()).toBeUndefined()
  })

  it('stays quiet for an idle leader with nothing to commit', () => {
    const r = leaderOf3(opts)
    for (let tick = 1; tick <= 40; tick++) {
      r.tick()
      r.step(msg(MessageType.HeartbeatResp, 2, 1, 1))
      drain(r)
    }
    expect(r.commitStall()).toBeUndefined()
  })
})
