import { EntryType, MessageType, emptyMessage, type Message } from '../core/types'
import { MAX_TERM, checkMessage } from './message-checks'

/** A heartbeat from node 2 to node 1 in term 5, with `patch` applied. */
const msg = (patch: Partial<Record<keyof Message, unknown>> = {}): Message =>
  ({ ...emptyMessage, type: MessageType.Heartbeat, from: 2, to: 1, term: 5, ...patch }) as unknown as Message
const expect1 = { self: 1, isKnownPeer: (id: number) => id === 2 || id === 3 }
const entry = (index: number, term = 5) => ({ index, term, type: EntryType.Normal, data: new Uint8Array(1) })

describe('checkMessage', () => {
  test('a well-formed message from a known peer passes, also one with consecutive entries and a snapshot', () => {
    expect(checkMessage(msg(), expect1)).toBeNull()
    expect(checkMessage(msg({ type: MessageType.App, index: 9, logTerm: 4, entries: [entry(10), entry(11)] }), expect1)).toBeNull()
    const snapshot = { meta: { index: 100, term: 4, membership: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array(0) }
    expect(checkMessage(msg({ type: MessageType.Snap, snapshot }), expect1)).toBeNull()
    expect(checkMessage(msg({ term: MAX_TERM }), expect1)).toBeNull()
  })

  test.each([
    ['a term of 1e300', { term: 1e300 }, /term 1e\+300 is not an integer/],
    ['a term past 2^52', { term: MAX_TERM + 2 }, /term .* is not an integer in \[0, 2\^52\]/],
    ['a negative commit', { commit: -1 }, /commit -1/],
    ['a fractional index', { index: 1.5 }, /index 1.5/],
    ['NaN as logTerm', { logTerm: Number.NaN }, /logTerm NaN/],
    ['an unknown type', { type: 99 }, /unknown message type 99/],
    ['another addressee', { to: 3 }, /addressed to node 3/],
    ['itself as sender', { from: 1 }, /invalid node id 1/],
    ['node 0 as sender', { from: 0 }, /invalid node id 0/],
    ['an unknown sender', { from: 9 }, /node 9, which is not a member/],
    ['entries with a gap', { type: MessageType.App, index: 9, entries: [entry(10), entry(12)] }, /not consecutive/],
    ['an entry newer than the message', { type: MessageType.App, index: 9, entries: [entry(10, 6)] }, /newer than the message's term/],
    ['an entry of unknown type', { type: MessageType.App, index: 9, entries: [{ ...entry(10), type: 7 }] }, /unknown type 7/],
    [
      'a snapshot with node 0 in its membership',
      {
        type: MessageType.Snap,
        snapshot: { meta: { index: 1, term: 1, membership: { voters: [0], learners: [] } }, data: new Uint8Array(0) },
      },
      /invalid node id/,
    ],
    [
      'a snapshot from a later term',
      {
        type: MessageType.Snap,
        snapshot: { meta: { index: 1, term: 6, membership: { voters: [1], learners: [] } }, data: new Uint8Array(0) },
      },
      /snapshot has index 1 and term 6/,
    ],
  ])('refuses %s', (_, patch, why) => {
    expect(checkMessage(msg(patch), expect1)).toMatch(why)
  })

  test('on an authenticated connection the sender must be the node that authenticated', () => {
    expect(checkMessage(msg({ from: 3 }), { ...expect1, authenticatedAs: 2 })).toMatch(
      /from node 3 on a connection authenticated as node 2/,
    )
    expect(checkMessage(msg({ from: 2 }), { ...expect1, authenticatedAs: 2 })).toBeNull()
  })
})
