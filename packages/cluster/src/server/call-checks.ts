import { TributaryError } from '@tributary/core'
import type { Acl, AclOperation } from '@tributary/core/net'

/*
 * What each call read off the client port must look like before it reaches the node: the number
 * and kinds of its arguments (the called method then checks their contents, as it checks any
 * caller's), and which ACL operation it is, on which resources.
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

/** Guard is the ACL check a call needs: its operation, the resources it names and their kind. */
interface Guard {
  operation: AclOperation
  resources: string[]
  kind: 'topic' | 'group' | 'cluster'
}

const names = (list: unknown, field?: string): string[] =>
  Array.isArray(list) ? list.map((x) => String(field === undefined ? x : (x as Record<string, unknown>)?.[field])) : []
const partitionTopics = (r: unknown): string[] => [...new Set(names((r as { partitions?: unknown })?.partitions, 'topic'))]

/** guardOf names what a Broker call does for the ACL (after checkArgs). */
function guardOf(method: string, args: readonly unknown[]): Guard {
  const [a, b] = args
  switch (method) {
    case 'createTopics':
      return { operation: 'createTopics', resources: names(a, 'topic'), kind: 'topic' }
    case 'deleteTopics':
      return { operation: 'deleteTopics', resources: names(a), kind: 'topic' }
    case 'createPartitions':
      return { operation: 'createPartitions', resources: [String(a)], kind: 'topic' }
    case 'alterConfigs':
      return { operation: 'alterConfigs', resources: [String(a)], kind: 'topic' }
    case 'deleteRecords':
      return { operation: 'deleteRecords', resources: [...new Set(names(a, 'topic'))], kind: 'topic' }
    case 'alterPartitionReassignments':
      return { operation: 'alterPartitionReassignments', resources: [...new Set(names(a, 'topic'))], kind: 'topic' }
    case 'unregisterBroker':
      return { operation: 'unregisterBroker', resources: [], kind: 'cluster' }
    case 'deleteGroups':
      return { operation: 'deleteGroups', resources: names(a), kind: 'group' }
    case 'produce':
      return { operation: 'produce', resources: partitionTopics(a), kind: 'topic' }
    case 'fetch':
      return { operation: 'fetch', resources: partitionTopics(a), kind: 'topic' }
    case 'joinGroup':
    case 'syncGroup':
    case 'heartbeat':
    case 'leaveGroup':
    case 'commitOffsets':
      return { operation: 'group', resources: [String((a as { groupId?: unknown })?.groupId)], kind: 'group' }
    case 'fetchOffsets':
      return { operation: 'group', resources: [String(a)], kind: 'group' }
    case 'describeConfigs':
      return { operation: 'describe', resources: [String(a)], kind: 'topic' }
    case 'metadata':
      return { operation: 'describe', resources: names((a as { topics?: unknown })?.topics), kind: 'topic' }
    case 'listOffsets':
      return { operation: 'describe', resources: [...new Set(names(a, 'topic'))], kind: 'topic' }
    case 'describeGroups':
      return { operation: 'describe', resources: names(a), kind: 'group' }
    default:
      // listGroups, listPartitionReassignments, initProducerId: cluster-wide reads.
      void b
      return { operation: 'describe', resources: [], kind: 'cluster' }
  }
}

/**
 * authorize checks a call against the ACL (none: allowed).
 * @throws TributaryError TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED.
 */
export function authorize(acl: Acl | undefined, principal: string, method: string, args: readonly unknown[]): void {
  if (acl === undefined) return
  const g = guardOf(method, args)
  // As Kafka: metadata of every topic is filtered to what the principal may describe (filterMetadata);
  // a producer id needs the right to produce somewhere (Kafka's Write on any topic implies IdempotentWrite).
  if (method === 'metadata' && g.resources.length === 0 && acl.allowsSome(principal, 'describe')) return
  if (method === 'initProducerId' && acl.allowsSome(principal, 'produce')) return
  if (method === 'listGroups' && (acl.allowsSome(principal, 'describe') || acl.allowsSome(principal, 'group'))) return
  acl.check(principal, g.operation, g.resources, g.kind)
}

/** filterMetadata keeps, of an all-topics metadata answer, the topics `principal` may describe. */
export function filterMetadata(acl: Acl | undefined, principal: string, args: readonly unknown[], result: unknown): unknown {
  if (acl === undefined || guardOf('metadata', args).resources.length > 0) return result
  const r = result as { topics?: Array<{ name: string }> }
  if (!Array.isArray(r?.topics)) return result
  return { ...r, topics: r.topics.filter((t) => acl.allows(principal, 'describe', t.name)) }
}
