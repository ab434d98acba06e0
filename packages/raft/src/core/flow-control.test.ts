/**
 * Catch-up through the pipe (issue 19): a follower leaves probing on its first successful
 * answer and then receives pipelined, size-bounded batches up to maxInflightMsgs; nothing is sent
 * again because of a duplicate or stale answer, or because of a timer shorter than the link's
 * round trip.
 */
import type { Raft } from './raft'
import { MessageType, PIPELINED, type Message } from './types'
import { appsTo, drain, electedLeader, entry, leaderOf3, msg, replica } from '../testing/core-kit'

/** sentIndexes lists the entry indexes of the appends in `msgs` to `to`. */
const sentIndexes = (msgs: readonly Message[], to: number): number[] => appsTo(msgs, to).flatMap((m) => m.entries.map((e) => e.index))

describe('a follower that answers successfully leaves probe mode', () => {
  // Twenty entries of term 1 on the leader; follower 2 has none. Entries e1..e9 count 18 bytes,
  // e10.. 19: two fit in 40 bytes, three do not.
  const opts = { maxMsgBytes: 40, maxInflightMsgs: 3 }
  const terms = Array.from({ length: 20 }, () => 1)

  function caughtUpToProbe(): { r: Raft; out: Message[] } {
    const r = electedLeader(opts, terms, 1)
    // The first probe (the no-op after index 20) is refused: follower 2 has nothing.
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 20, reject: true, rejectHint: 0, logTerm: 0 }))
    const probe = appsTo(drain(r), 2)
    expect(probe).toHaveLength(1)
    expect(probe[0]).toMatchObject({ index: 0, entries: [{ index: 1 }, { index: 2 }] })
    // Its answer moves follower 2 to pipelining: a full window of size-bounded batches follows.
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 2 }))
    return { r, out: drain(r) }
  }

  it('and receives maxInflightMsgs pipelined batches of at most maxMsgBytes', () => {
    const { r, out } = caughtUpToProbe()
    expect(r.prs.get(2)?.state).toBe('replicate')
    expect(appsTo(out, 2).map((m) => [m.index, m.entries.map((e) => e.index)])).toEqual([
      [2, [3, 4]],
      [4, [5, 6]],
      [6, [7, 8]],
    ])
    expect(r.prs.get(2)?.isPaused()).toBe(true)
    // Each acknowledgement slides the window by one batch.
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 4 }))
    expect(sentIndexes(drain(r), 2)).toEqual([9, 10])
  })

  it('the window also closes at maxInflightBytes (one append always goes)', () => {
    const r = electedLeader({ maxMsgBytes: 40, maxInflightMsgs: 10, maxInflightBytes: 60 }, terms, 1)
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 20, reject: true, rejectHint: 0, logTerm: 0 }))
    drain(r)
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 2 }))
    // Two batches of 36 and 38 bytes: the second crosses 60 bytes, and the window closes there.
    expect(appsTo(drain(r), 2).map((m) => m.entries.map((e) => e.index))).toEqual([
      [3, 4],
      [5, 6],
    ])
    expect(r.prs.get(2)?.isPaused()).toBe(true)
  })

  it('duplicate and stale acknowledgements send nothing', () => {
    const { r } = caughtUpToProbe()
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 4 }))
    drain(r)
    for (const index of [4, 4, 2, 3]) r.step(msg(MessageType.AppResp, 2, 1, 2, { index }))
    expect(appsTo(drain(r), 2)).toEqual([])
  })

  it('stale rejections send nothing', () => {
    const { r } = caughtUpToProbe()
    r.step(msg(MessageType.AppResp, 2, 1, 2, { index: 4 }))
    drain(r)
    // Refusals of indexes the follower has since acknowledged (a reordered or duplicated answer).
    for (const index of [2, 4, 20]) r.step(msg(MessageType.AppResp, 2, 1, 2, { index, reject: true, rejectHint: 0 }))
    expect(appsTo(drain(r), 2).filter((m) => m.index <= 4)).toEqual([])
  })

  it('an answer at the probe position moves a caught-up follower to pipelining (etcd heartbeat_rep_recovers_from_probing)', () => {
    const r = leaderOf3()
    const pr = r.prs.get(2)!
    pr.becomeProbe()
    // The heartbeat answer draws an (empty) probe at the match point ...
    r.step(msg(MessageType.HeartbeatResp, 2, 1, 1))
    expect(appsTo(drain(r), 2)).toMatchObject([{ index: 1, entries: [] }])
    // ... whose answer does not advance match but confirms the position.
    r.step(msg(MessageType.AppResp, 2, 1, 1, { index: 1 }))
    expect(pr.state).toBe('replicate')
  })
})

describe('retransmission follows the round trip, with backoff', () => {
  it('a heartbeat answer re-sends an unanswered probe only after the timeout, doubling it each time', () => {
    const r = electedLeader({ heartbeatTicks: 1, electionTicks: 30 })
    const resentAt: number[] = []
    for (let tick = 1; tick <= 40; tick++) {
      r.tick()
      r.step(msg(MessageType.HeartbeatResp, 2, 1, 1))
      if (sentIndexes(drain(r), 2).length > 0) resentAt.push(tick)
    }
    // Initial timeout 2 * heartbeatTicks + 1 = 3 ticks, then 6, 12, capped at electionTicks (30).
    expect(resentAt).toEqual([3, 9, 21])
  })

  it('on a FIFO link slower than the initial timeout no range is ever sent twice', () => {
    // Leader 1 and follower 2 over a link that delivers in order after 4 ticks each way; the
    // initial retransmission timeout is 3 ticks, the round trip about 8.
    const leader = electedLeader({ heartbeatTicks: 1, electionTicks: 30, maxInflightMsgs: 2, maxMsgBytes: 40 })
    const follower = replica(2, [], 1, 1, { heartbeatTicks: 1, electionTicks: 30 })
    const link: { at: number; m: Message }[] = []
    const sent = new Map<number, number>()
    let now = 0
    const post = (ms: readonly Message[]): void => {
      for (const m of ms) if (m.to === 2 || m.from === 2) link.push({ at: now + 4, m })
    }
    post(drain(leader))
    for (let i = 0; i < 30; i++) leader.propose(new TextEncoder().encode(`p${i}`))
    for (now = 1; now <= 200; now++) {
      leader.tick()
      while (link.length > 0 && link[0]!.at <= now) {
        const { m } = link.shift()!
        const to = m.to === 1 ? leader : follower
        to.step(m)
        post(drain(to))
      }
      const out = drain(leader)
      for (const m of appsTo(out, 2)) for (const e of m.entries) sent.set(e.index, (sent.get(e.index) ?? 0) + 1)
      post(out)
    }
    expect(follower.log.lastIndex()).toBe(31)
    expect(leader.log.committed).toBe(31)
    expect([...sent.values()].filter((n) => n > 1)).toEqual([])
  })

  it('a stalled pipeline is asked with an empty append; a follower that lacks the data gets only the missing range', () => {
    const r = leaderOf3({ heartbeatTicks: 1, maxInflightMsgs: 2 })
    r.propose(new TextEncoder().encode('a'))
    drain(r)
    r.propose(new TextEncoder().encode('b'))
    expect(sentIndexes(drain(r), 2)).toEqual([3]) // index 2 went out with the first Ready
    // Both appends are lost. Heartbeat answers keep coming; after the timeout, an empty append at next - 1.
    let stallProbe: Message | undefined
    for (let tick = 0; tick < 10 && stallProbe === undefined; tick++) {
      r.tick()
      r.step(msg(MessageType.HeartbeatResp, 2, 1, 1))
      stallProbe = appsTo(drain(r), 2)[0]
    }
    expect(stallProbe).toMatchObject({ index: 3, entries: [] })
    // The follower has only the no-op: it refuses, and the leader probes from its hint.
    r.step(msg(MessageType.AppResp, 2, 1, 1, { index: 3, reject: true, rejectHint: 1, logTerm: 1 }))
    expect(appsTo(drain(r), 2)).toMatchObject([{ index: 1, entries: [{ index: 2 }, { index: 3 }] }])
    expect(r.prs.get(2)?.state).toBe('probe')
  })
})

describe('a follower on a reordering network', () => {
  const app = (prev: number, index: number, context = PIPELINED): Message =>
    msg(MessageType.App, 1, 2, 1, { index: prev, logTerm: 1, entries: [entry(index, 1)], context })
  const answers = (r: Raft): string[] =>
    drain(r)
      .filter((m) => m.type === MessageType.AppResp)
      .map((m) => (m.reject ? `reject ${m.index}` : `ack ${m.index}`))

  it('holds a pipelined append that overtook an earlier one and takes both in order when it arrives', () => {
    const f = replica(2, [1], 1, 1)
    f.step(app(1, 2)) // joins leader 1's pipeline
    expect(answers(f)).toEqual(['ack 2'])
    f.step(app(4, 5))
    f.step(app(3, 4))
    expect(answers(f)).toEqual([]) // held, not refused: the leader stays pipelining
    f.step(app(2, 3))
    expect(answers(f)).toEqual(['ack 3', 'ack 4', 'ack 5'])
    expect(f.log.lastIndex()).toBe(5)
  })

  it('answers a probe or an empty append with a gap at once, so a real loss still reaches the leader', () => {
    const f = replica(2, [1], 1, 1)
    f.step(app(1, 2))
    drain(f)
    f.step(app(5, 6, 0))
    f.step(msg(MessageType.App, 1, 2, 1, { index: 7, logTerm: 1, context: PIPELINED }))
    expect(answers(f)).toEqual(['reject 5', 'reject 7'])
  })

  it('holds nothing for a leader whose pipeline it has not joined in this term', () => {
    const f = replica(2, [1], 1, 1)
    f.step(app(3, 4))
    expect(answers(f)).toEqual(['reject 3'])
  })
})
