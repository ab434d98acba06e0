import type { Raft } from '../core/raft'
import type { Entry, Message, NodeId } from '../core/types'
import { MessageType } from '../core/types'

/** SafetyViolation is thrown by the checker the moment an invariant breaks. */
export class SafetyViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`)
    this.name = 'SafetyViolation'
  }
}

function entryKey(e: Entry): string {
  let s = `${e.type}:`
  for (const b of e.data) s += String.fromCharCode(b)
  return s
}

/**
 * SafetyChecker watches every replica of one simulated cluster and throws a SafetyViolation as
 * soon as one of Raft's safety properties fails. Each check is incremental (it looks only at what
 * changed), so it can run after every simulation step.
 */
export class SafetyChecker {
  /** Election Safety: the leader of each term. */
  private readonly leaders = new Map<number, NodeId>()
  /** Log Matching: (index, term) determines the entry's content and its predecessor's term. */
  private readonly identity = new Map<string, { key: string; prevTerm: number | undefined }>()
  /** Committed entries by index (term and content), as first reported by any replica. */
  private readonly committed = new Map<number, { term: number; key: string }>()
  /** State-machine hash after applying each index, as first reported. */
  private readonly appliedHash = new Map<number, number>()
  /** Acknowledged client writes: index -> content. */
  readonly acked = new Map<number, string>()
  /** Granted votes: `${term}:${voter}` -> candidate (a vote must survive crashes). */
  private readonly votes = new Map<string, NodeId>()
  private readonly lastSeen = new Map<NodeId, { term: number; commit: number }>()
  maxCommitted = 0

  /** onLifecycle forgets a replica's in-memory marks when it restarts (its commit may go back). */
  onRestart(id: NodeId): void {
    this.lastSeen.delete(id)
  }

  /** afterStep checks one replica's state after it handled an input. */
  afterStep(r: Raft): void {
    const prev = this.lastSeen.get(r.id)
    const commit = r.log.committed
    if (prev !== undefined) {
      if (r.term < prev.term) throw new SafetyViolation('monotonic term', `node ${r.id} term went ${prev.term} -> ${r.term}`)
      if (commit < prev.commit) throw new SafetyViolation('monotonic commit', `node ${r.id} commit went ${prev.commit} -> ${commit}`)
    }
    const from = Math.max(prev?.commit ?? 0, r.log.firstIndex() - 1)
    for (let i = from + 1; i <= commit; i++) this.checkCommitted(r, i)
    this.lastSeen.set(r.id, { term: r.term, commit })
    if (r.role === 'leader') this.checkLeader(r)
  }

  private checkCommitted(r: Raft, index: number): void {
    const e = r.log.entryAt(index)
    if (e === undefined) throw new SafetyViolation('committed entry present', `node ${r.id} committed ${index} but lacks it`)
    const key = entryKey(e)
    const known = this.committed.get(index)
    if (known === undefined) {
      this.committed.set(index, { term: e.term, key })
      this.maxCommitted = Math.max(this.maxCommitted, index)
    } else if (known.term !== e.term || known.key !== key) {
      throw new SafetyViolation('committed immutable', `index ${index}: node ${r.id} has term ${e.term}, committed term ${known.term}`)
    }
  }

  private checkLeader(r: Raft): void {
    const holder = this.leaders.get(r.term)
    if (holder === r.id) return
    if (holder !== undefined) throw new SafetyViolation('election safety', `term ${r.term} has leaders ${holder} and ${r.id}`)
    this.leaders.set(r.term, r.id)
    // Leader Completeness: a new leader holds every entry committed so far.
    for (const [index, c] of this.committed) {
      if (index <= r.log.firstIndex() - 1) continue
      const t = r.log.term(index)
      if (t !== c.term)
        throw new SafetyViolation(
          'leader completeness',
          `leader ${r.id} of term ${r.term} has term ${t} at committed ${index} (want ${c.term})`,
        )
    }
  }

  /** onAppended checks Log Matching for entries a replica just appended. */
  onAppended(r: Raft, entries: readonly Entry[]): void {
    for (const e of entries) {
      const id = `${e.index}:${e.term}`
      const prevTerm = r.log.term(e.index - 1)
      const key = entryKey(e)
      const known = this.identity.get(id)
      if (known === undefined) this.identity.set(id, { key, prevTerm })
      else if (known.key !== key) throw new SafetyViolation('log matching', `two different entries at (${e.index}, t${e.term})`)
      else if (prevTerm !== undefined && known.prevTerm !== undefined && known.prevTerm !== prevTerm) {
        throw new SafetyViolation(
          'log matching',
          `entry (${e.index}, t${e.term}) on node ${r.id} follows term ${prevTerm}, elsewhere ${known.prevTerm}`,
        )
      }
    }
  }

  /** onApplied checks State Machine Safety: every replica applies the same entry (and state) at an index. */
  onApplied(id: NodeId, e: Entry, hashAfter: number): void {
    const c = this.committed.get(e.index)
    if (c !== undefined && (c.term !== e.term || c.key !== entryKey(e))) {
      throw new SafetyViolation('state machine safety', `node ${id} applied (${e.index}, t${e.term}), committed t${c.term}`)
    }
    const acked = this.acked.get(e.index)
    if (acked !== undefined && acked !== entryKey(e))
      throw new SafetyViolation('acknowledged write', `node ${id} applied something else at acked ${e.index}`)
    this.checkHash(id, e.index, hashAfter)
  }

  /** onRestored checks that a snapshot's state equals what replicas that applied the log reached. */
  onRestored(id: NodeId, index: number, hash: number): void {
    this.checkHash(id, index, hash)
  }

  private checkHash(id: NodeId, index: number, hash: number): void {
    const known = this.appliedHash.get(index)
    if (known === undefined) this.appliedHash.set(index, hash)
    else if (known !== hash) throw new SafetyViolation('state machine safety', `node ${id} state at ${index} differs`)
  }

  /** onAck records a write the client was told succeeded. */
  onAck(index: number, e: Entry): void {
    this.acked.set(index, entryKey(e))
  }

  /** onSent checks messages as they leave a replica (after its state was persisted). */
  onSent(m: Message): void {
    if (m.type !== MessageType.VoteResp || m.reject) return
    const key = `${m.term}:${m.from}`
    const prior = this.votes.get(key)
    if (prior !== undefined && prior !== m.to) {
      throw new SafetyViolation('one vote per term', `node ${m.from} voted for ${prior} and ${m.to} in term ${m.term}`)
    }
    this.votes.set(key, m.to)
  }

  /** hashAt returns the agreed state hash after `index`, if any replica reached it. */
  hashAt(index: number): number | undefined {
    return this.appliedHash.get(index)
  }
}
