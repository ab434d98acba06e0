/**
 * Helpers for unit tests of the pure core: replicas built from a list of entry terms, messages
 * with defaults, and a Ready loop that persists nothing (the tests play every other replica).
 */
import { resolveRaftConfig } from '../core/config'
import { Raft, bootstrapSnapshot } from '../core/raft'
import { Sfc32 } from '../core/random'
import { EntryType, MessageType, emptyMessage, type Entry, type Message } from '../core/types'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

export const entry = (index: number, term: number, data = `e${index}`): Entry => ({ index, term, type: EntryType.Normal, data: enc(data) })

/** replica builds replica `id` of the group {1, 2, 3} with a log of the given entry terms (pre-vote and check-quorum off unless `opts` say otherwise). */
export function replica(id: number, terms: number[] = [], term = 0, vote = 0, opts: Record<string, unknown> = {}): Raft {
  const config = resolveRaftConfig({ id, preVote: false, checkQuorum: false, ...opts })
  const entries = terms.map((t, i) => entry(i + 1, t))
  return new Raft(config, new Sfc32(id), { snapshot: bootstrapSnapshot([1, 2, 3]), entries, hardState: { term, vote, commit: 0 } })
}

export function msg(type: Message['type'], from: number, to: number, term: number, extra: Partial<Message> = {}): Message {
  return { ...emptyMessage, type, from, to, term, ...extra }
}

/** drain takes Readies until none is left, advancing each; returns all messages. */
export function drain(r: Raft): Message[] {
  const out: Message[] = []
  while (r.hasReady()) {
    const rd = r.ready()
    out.push(...rd.messagesBeforePersist, ...rd.messages)
    r.advance(rd)
  }
  return out
}

/** electedLeader makes replica 1 (with the log `terms`) win term `term` + 1 with replica 2's vote, and drains. */
export function electedLeader(opts: Record<string, unknown> = {}, terms: number[] = [], term = 0): Raft {
  const r = replica(1, terms, term, 0, opts)
  r.campaignNow()
  r.step(msg(MessageType.VoteResp, 2, 1, term + 1))
  drain(r)
  return r
}

/** leaderOf3 is a leader of term 1 whose two followers acknowledged its no-op (both replicate). */
export function leaderOf3(opts: Record<string, unknown> = {}): Raft {
  const r = electedLeader(opts)
  r.step(msg(MessageType.AppResp, 2, 1, 1, { index: 1 }))
  r.step(msg(MessageType.AppResp, 3, 1, 1, { index: 1 }))
  drain(r)
  return r
}

/** appsTo keeps the appends (and their ranges) sent to `to`. */
export function appsTo(msgs: readonly Message[], to: number): Message[] {
  return msgs.filter((m) => m.type === MessageType.App && m.to === to)
}
