import { TributaryError } from '@tributary/core'

/*
 * What each call read off the client port must look like before it reaches the node: the number
 * and kinds of its arguments (the called method then checks their contents, as it checks any
 * caller's), (which ACL operation it is, on which resources, is core/net's guardOf).
 */

/** ArgKind is the JSON kind of one argument ('?' suffix: it may be missing or null). */
type ArgKind = 'object' | 'array' | 'string' | 'number' | 'object?' | 'array?'

/** BROKER_ARGS lists each Broker method's arguments by kind. */
export const BROKER_ARGS: Readonly<Record<string, readonly ArgKind[]>> = Object.freeze({
  metadata: ['object?'],
  createTopics: ['array', 'object?'],
  deleteTopics: ['array'],
  createPartitions: ['string', 'number', 'object?'],
  describeConfigs: ['string'],
  alterConfigs: ['string', 'array', 'object?'],
  initProducerId: [],
  produce: ['object'],
  fetch: ['object'],
  listOffsets: ['array'],
  deleteRecords: ['array'],
  joinGroup: ['object'],
  syncGroup: ['object'],
  heartbeat: ['object'],
  leaveGroup: ['object'],
  commitOffsets: ['object'],
  fetchOffsets: ['string', 'array?'],
  listGroups: [],
  describeGroups: ['array'],
  deleteGroups: ['array'],
  alterPartitionReassignments: ['array'],
  listPartitionReassignments: [],
  unregisterBroker: ['number'],
})

/**
 * checkArgs checks a call's argument list against its declared kinds.
 * @throws TributaryError INVALID_REQUEST naming the method and the argument.
 */
export function checkArgs(method: string, args: readonly unknown[], kinds: readonly ArgKind[]): void {
  if (args.length > kinds.length) throw invalid(method, `takes ${kinds.length} arguments, got ${args.length}`)
  kinds.forEach((kind, i) => {
    const v = args[i]
    const optional = kind.endsWith('?')
    if (v === undefined || v === null) {
      if (!optional) throw invalid(method, `argument ${i + 1} is missing`)
      return
    }
    const base = kind.replace('?', '')
    const ok =
      base === 'array'
        ? Array.isArray(v)
        : base === 'object'
          ? typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)
          : base === 'number'
            ? typeof v === 'number'
            : typeof v === base
    if (!ok) throw invalid(method, `argument ${i + 1} must be ${base === 'array' ? 'a list' : `a ${base}`}`)
  })
}

function invalid(method: string, why: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `malformed ${method} request: ${why}`, { details: { method } })
}
