import { TributaryError } from '@tributary/core'
import type { Membership, NodeId } from './types'

/** ConfChangeType is one single-server membership change. */
export type ConfChangeType = 'add-voter' | 'add-learner' | 'promote' | 'remove'

/** ConfChange asks to change the membership by one server. */
export interface ConfChange {
  readonly type: ConfChangeType
  readonly nodeId: NodeId
}

const CHANGE_CODES: readonly ConfChangeType[] = ['add-voter', 'add-learner', 'promote', 'remove']

/** isVoter tells whether `id` counts towards quorums in `m`. */
export function isVoter(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id)
}

/** isMember tells whether `id` is a voter or a learner in `m`. */
export function isMember(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.learners.includes(id)
}

/**
 * applyConfChange returns the membership after `change`, or a reason why the change makes no
 * sense against `m` (adding a member twice, promoting a non-learner, removing the last voter).
 */
export function applyConfChange(m: Membership, change: ConfChange): Membership | string {
  const id = change.nodeId
  const voters = m.voters.filter((v) => v !== id)
  const learners = m.learners.filter((l) => l !== id)
  switch (change.type) {
    case 'add-voter':
      if (isMember(m, id)) return `node ${id} is already a member`
      return { voters: sorted([...voters, id]), learners }
    case 'add-learner':
      if (isMember(m, id)) return `node ${id} is already a member`
      return { voters, learners: sorted([...learners, id]) }
    case 'promote':
      if (!m.learners.includes(id)) return `node ${id} is not a learner`
      return { voters: sorted([...voters, id]), learners }
    case 'remove':
      if (!isMember(m, id)) return `node ${id} is not a member`
      if (voters.length === 0) return 'cannot remove the last voter'
      return { voters, learners }
  }
}

function sorted(ids: NodeId[]): NodeId[] {
  return ids.sort((a, b) => a - b)
}

/**
 * encodeConfEntry lays out a membership-change entry's data: the change itself (so a reader sees
 * what happened) and the full resulting membership (so a replica never has to replay deltas).
 * Layout, little-endian u32s: changeCode, nodeId, votersCount, voters..., learnersCount, learners...
 */
export function encodeConfEntry(change: ConfChange, result: Membership): Uint8Array {
  const words = [
    CHANGE_CODES.indexOf(change.type),
    change.nodeId,
    result.voters.length,
    ...result.voters,
    result.learners.length,
    ...result.learners,
  ]
  const out = new Uint8Array(words.length * 4)
  const view = new DataView(out.buffer)
  words.forEach((w, i) => view.setUint32(i * 4, w, true))
  return out
}

/** decodeConfEntry reverses `encodeConfEntry`. */
export function decodeConfEntry(data: Uint8Array): { change: ConfChange; membership: Membership } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let pos = 0
  const next = (): number => {
    const v = view.getUint32(pos, true)
    pos += 4
    return v
  }
  const type = CHANGE_CODES[next()]
  if (type === undefined)
    throw new TributaryError(
      'CORRUPT_MESSAGE',
      `corrupt membership entry: unknown change code ${data.length >= 4 ? view.getUint32(0, true) : -1}`,
    )
  const nodeId = next()
  const voters = Array.from({ length: next() }, next)
  const learners = Array.from({ length: next() }, next)
  return { change: { type, nodeId }, membership: { voters, learners } }
}
