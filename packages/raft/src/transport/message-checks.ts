import { EntryType, MessageType, type Message } from '../core/types'

/*
 * What a Raft message read off the network must look like before it reaches a Raft group: the
 * codec only guarantees that the bytes parse. A message that fails here is dropped with its
 * connection (a peer that sends one is broken or hostile), and no group sees it.
 */

/** MAX_TERM bounds terms and indexes: far beyond any real cluster's, and `term + 1` stays exact. */
export const MAX_TERM = 2 ** 52

const TYPES = new Set<number>(Object.values(MessageType))
const ENTRY_TYPES = new Set<number>(Object.values(EntryType))

/** MessageExpectations are what the receiving transport knows of a message's sender and receiver. */
export interface MessageExpectations {
  /** This node's id: the message's `to`. */
  readonly self: number
  /** isKnownPeer tells whether a node id belongs to the cluster (configured or registered). */
  readonly isKnownPeer: (id: number) => boolean
  /** The node the connection authenticated as; the message's `from` must be it. Undefined without authentication. */
  readonly authenticatedAs?: number
}

/** checkMessage returns why `m` must be refused, or null when it is well formed and addressed as expected. */
export function checkMessage(m: Message, e: MessageExpectations): string | null {
  if (!TYPES.has(m.type)) return `unknown message type ${m.type}`
  if (m.to !== e.self) return `addressed to node ${m.to}, not this node (${e.self})`
  if (!isId(m.from) || m.from === e.self) return `from an invalid node id ${m.from}`
  if (e.authenticatedAs !== undefined && m.from !== e.authenticatedAs)
    return `from node ${m.from} on a connection authenticated as node ${e.authenticatedAs}`
  if (!e.isKnownPeer(m.from)) return `from node ${m.from}, which is not a member of this cluster`
  for (const [name, v] of [
    ['term', m.term],
    ['logTerm', m.logTerm],
    ['index', m.index],
    ['commit', m.commit],
    ['rejectHint', m.rejectHint],
    ['context', m.context],
  ] as const) {
    if (!isCount(v)) return `${name} ${v} is not an integer in [0, 2^52]`
  }
  let previous = m.index
  for (const entry of m.entries) {
    if (!isCount(entry.index) || !isCount(entry.term)) return `an entry has index ${entry.index} and term ${entry.term}`
    if (!ENTRY_TYPES.has(entry.type)) return `an entry has the unknown type ${entry.type}`
    if (entry.term > m.term) return `an entry of term ${entry.term} is newer than the message's term ${m.term}`
    if (entry.index !== previous + 1) return `entries are not consecutive after index ${previous}`
    previous = entry.index
  }
  const snap = m.snapshot
  if (snap !== undefined) {
    const { index, term, membership } = snap.meta
    if (!isCount(index) || !isCount(term) || term > m.term) return `the snapshot has index ${index} and term ${term}`
    if (!membership.voters.every(isId) || !membership.learners.every(isId)) return 'the snapshot membership holds an invalid node id'
  }
  return null
}

function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0 && v <= MAX_TERM
}

function isId(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 1 && v <= 0xffffffff
}
