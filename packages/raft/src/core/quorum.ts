import type { NodeId } from './types'

/** quorumSize is the smallest majority of `voterCount` voters. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1
}

/**
 * committedIndex is the highest index acknowledged by a majority of `voters`: sort their match
 * indexes descending and take the quorum-th. Voters without a known match count as 0.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0
  const matches = voters.map(matchOf).sort((a, b) => b - a)
  return matches[quorumSize(voters.length) - 1] ?? 0
}

/** VoteResult is the outcome of an election round so far. */
export type VoteResult = 'won' | 'lost' | 'pending'

/** voteResult tallies granted and rejected votes of `voters` (others are ignored). */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0
  let rejected = 0
  for (const v of voters) {
    const vote = votes.get(v)
    if (vote === true) granted++
    else if (vote === false) rejected++
  }
  const q = quorumSize(voters.length)
  if (granted >= q) return 'won'
  if (rejected > voters.length - q) return 'lost'
  return 'pending'
}

/** hasQuorum tells whether the ids in `ack` include a majority of `voters`. */
export function hasQuorum(voters: readonly NodeId[], ack: (id: NodeId) => boolean): boolean {
  let n = 0
  for (const v of voters) if (ack(v)) n++
  return n >= quorumSize(voters.length)
}
