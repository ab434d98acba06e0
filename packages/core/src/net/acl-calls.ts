import type { Broker } from '../broker'
import type { Acl, AclOperation } from './acl'

/*
 * What each Broker call needs from the ACL (its operation, the resources it names and their kind),
 * shared by every listener that serves a Broker to authenticated principals: a cluster node's client
 * port calls authorizeCall per wire call; the Kafka listener serves each connection through
 * guardBroker, and checks topics one by one first where Kafka answers per topic.
 */

/** ANONYMOUS_PRINCIPAL is the principal of a connection on a listener without SASL (Kafka's User:ANONYMOUS). */
export const ANONYMOUS_PRINCIPAL = 'ANONYMOUS'

/** AclResourceKind is what a guarded call's resources are. */
export type AclResourceKind = 'topic' | 'group' | 'cluster'

/** CallGuard is the ACL check a call needs: its operation, the resources it names and their kind. */
export interface CallGuard {
  operation: AclOperation
  resources: string[]
  kind: AclResourceKind
}

const names = (list: unknown, field?: string): string[] =>
  Array.isArray(list) ? list.map((x) => String(field === undefined ? x : (x as Record<string, unknown>)?.[field])) : []
const unique = (list: string[]): string[] => [...new Set(list)]
const partitionTopics = (r: unknown): string[] => unique(names((r as { partitions?: unknown })?.partitions, 'topic'))

/** guardOf names what a Broker call (method and arguments, as sent) does for the ACL. */
export function guardOf(method: string, args: readonly unknown[]): CallGuard {
  const [a] = args
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
      return { operation: 'deleteRecords', resources: unique(names(a, 'topic')), kind: 'topic' }
    case 'alterPartitionReassignments':
      return { operation: 'alterPartitionReassignments', resources: unique(names(a, 'topic')), kind: 'topic' }
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
      return { operation: 'describe', resources: unique(names(a, 'topic')), kind: 'topic' }
    case 'describeGroups':
      return { operation: 'describe', resources: names(a), kind: 'group' }
    default:
      // listGroups, listPartitionReassignments, initProducerId: cluster-wide reads.
      return { operation: 'describe', resources: [], kind: 'cluster' }
  }
}

/**
 * authorizeCall checks one Broker call against the ACL (none: allowed). As Kafka: metadata of every
 * topic and the list of groups are allowed to anyone who may describe something, and filtered
 * (filterResult); a producer id needs the right to produce somewhere (Write implies IdempotentWrite).
 * @throws TributaryError TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED.
 */
export function authorizeCall(acl: Acl | undefined, principal: string, method: string, args: readonly unknown[]): void {
  if (acl === undefined) return
  const g = guardOf(method, args)
  if (method === 'metadata' && g.resources.length === 0 && acl.allowsSome(principal, 'describe')) return
  if (method === 'initProducerId' && acl.allowsSome(principal, 'produce')) return
  if (method === 'listGroups' && (acl.allowsSome(principal, 'describe') || acl.allowsSome(principal, 'group'))) return
  acl.check(principal, g.operation, g.resources, g.kind)
}

/**
 * restrictArgs is a call's arguments as `principal` may issue them: a metadata request creates
 * unknown topics on first use (allowAutoTopicCreation) only if it may create every topic it names.
 */
export function restrictArgs(acl: Acl | undefined, principal: string, method: string, args: readonly unknown[]): unknown[] {
  const request = args[0] as { allowAutoTopicCreation?: unknown } | undefined
  if (acl === undefined || method !== 'metadata' || request?.allowAutoTopicCreation !== true) return [...args]
  const topics = guardOf(method, args).resources
  if (topics.every((t) => acl.allows(principal, 'createTopics', t))) return [...args]
  return [{ ...request, allowAutoTopicCreation: false }, ...args.slice(1)]
}

/**
 * filterResult keeps, of an authorized call's answer, what `principal` may see: of an all-topics
 * metadata answer the topics it may describe, of listGroups the groups it may describe or use.
 */
export function filterResult(acl: Acl | undefined, principal: string, method: string, args: readonly unknown[], result: unknown): unknown {
  if (acl === undefined) return result
  if (method === 'metadata') {
    const r = result as { topics?: Array<{ name: string }> }
    if (guardOf('metadata', args).resources.length > 0 || !Array.isArray(r?.topics)) return result
    return { ...r, topics: r.topics.filter((t) => acl.allows(principal, 'describe', t.name)) }
  }
  if (method === 'listGroups' && Array.isArray(result)) {
    return (result as Array<{ groupId: string }>).filter(
      (g) => acl.allows(principal, 'describe', g.groupId) || acl.allows(principal, 'group', g.groupId),
    )
  }
  return result
}

/** GUARDED_METHODS are the Broker methods guardBroker checks; every other member is the broker's own. */
const GUARDED_METHODS: ReadonlySet<string> = new Set([
  'metadata',
  'createTopics',
  'deleteTopics',
  'createPartitions',
  'describeConfigs',
  'alterConfigs',
  'initProducerId',
  'produce',
  'fetch',
  'listOffsets',
  'deleteRecords',
  'joinGroup',
  'syncGroup',
  'heartbeat',
  'leaveGroup',
  'commitOffsets',
  'fetchOffsets',
  'listGroups',
  'describeGroups',
  'deleteGroups',
  'alterPartitionReassignments',
  'listPartitionReassignments',
  'unregisterBroker',
])

/**
 * guardBroker is `broker` as `principal` may use it: each Broker call is checked (authorizeCall)
 * before it is issued (synchronously, so a produce's batches are handed over before it returns), a
 * refused call rejects with the authorization error and changes nothing, a topic is auto-created
 * only for a principal that may create it (restrictArgs), and answers are filtered (filterResult). Without an ACL it is `broker` itself.
 */
export function guardBroker<B extends Broker>(broker: B, acl: Acl | undefined, principal: string): B {
  if (acl === undefined) return broker
  return new Proxy(broker, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof key !== 'string' || typeof value !== 'function') return value
      if (!GUARDED_METHODS.has(key)) return value.bind(target)
      return (...args: unknown[]) => {
        try {
          authorizeCall(acl, principal, key, args)
        } catch (error) {
          return Promise.reject(error)
        }
        const answer = (value as (...a: unknown[]) => Promise<unknown>).apply(target, restrictArgs(acl, principal, key, args))
        return key === 'metadata' || key === 'listGroups' ? answer.then((r) => filterResult(acl, principal, key, args, r)) : answer
      }
    },
  })
}
