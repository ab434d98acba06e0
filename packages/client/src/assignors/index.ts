/**
 * Partition assigners: how a consumer group's leader splits partitions among members.
 */
import { TributaryError } from '@tributary/core'
import { range } from './range'
import { roundRobin } from './round-robin'
import { sticky } from './sticky'
import type { PartitionAssigner } from './types'

export { range } from './range'
export { roundRobin } from './round-robin'
export { sticky } from './sticky'
export { compareMembers } from './types'
export type { AssignerInput, AssignerMember, GroupPlan, MemberAssignment, PartitionAssigner } from './types'

/** Assigners holds the built-in assigners: Kafka's range and round-robin, and a sticky one. */
export const Assigners = Object.freeze({ range, roundRobin, sticky })

/** Names accepted by `resolveAssigner`: the Assigners keys and Kafka's protocol names. */
const BY_NAME: Readonly<Record<string, PartitionAssigner>> = Object.freeze({
  range,
  roundRobin,
  roundrobin: roundRobin,
  sticky,
})

/**
 * resolveAssigner turns a name ('range', 'roundRobin' / 'roundrobin', 'sticky') or a custom
 * assigner into a `PartitionAssigner`. Throws INVALID_CONFIG for an unknown name or an object
 * without a `name` and an `assign` function.
 */
export function resolveAssigner(nameOrAssigner: string | PartitionAssigner): PartitionAssigner {
  if (typeof nameOrAssigner === 'string') {
    const found = Object.hasOwn(BY_NAME, nameOrAssigner) ? BY_NAME[nameOrAssigner] : undefined
    if (found === undefined) {
      throw new TributaryError(
        'INVALID_CONFIG',
        `unknown partition assigner ${JSON.stringify(nameOrAssigner)}; use one of ${Object.keys(BY_NAME).join(', ')} or a PartitionAssigner`,
        {
          details: { option: 'partitionAssigners' },
        },
      )
    }
    return found
  }
  const candidate = nameOrAssigner as Partial<PartitionAssigner> | null
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.name !== 'string' ||
    candidate.name === '' ||
    typeof candidate.assign !== 'function'
  ) {
    throw new TributaryError('INVALID_CONFIG', 'a partition assigner needs a non-empty name and an assign function', {
      details: { option: 'partitionAssigners' },
    })
  }
  return nameOrAssigner
}
