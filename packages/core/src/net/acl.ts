import { TributaryError } from '../errors'
import { invalidConfig } from '../option-checks'

/*
 * A small ACL: which principal may run which operation on which resources, by name prefix. With
 * no ACL every authenticated principal may do everything; with one, what no entry allows is
 * refused (Kafka's allow.everyone.if.no.acl.found=false once ACLs exist).
 */

/** AclOperation names a guarded operation: admin calls, and produce/fetch/group calls. */
export type AclOperation =
  | 'createTopics'
  | 'deleteTopics'
  | 'createPartitions'
  | 'alterConfigs'
  | 'deleteRecords'
  | 'alterPartitionReassignments'
  | 'unregisterBroker'
  | 'deleteGroups'
  | 'produce'
  | 'fetch'
  | 'describe'
  | 'group'

/** ACL_OPERATIONS lists every AclOperation. */
export const ACL_OPERATIONS: readonly AclOperation[] = Object.freeze([
  'createTopics',
  'deleteTopics',
  'createPartitions',
  'alterConfigs',
  'deleteRecords',
  'alterPartitionReassignments',
  'unregisterBroker',
  'deleteGroups',
  'produce',
  'fetch',
  'describe',
  'group',
])

/** AclEntry allows `principal` (a SASL user name, also written Kafka's way as `User:<name>`; ANONYMOUS without SASL; '*': anyone) the `operations` ('*': all) on resources whose name starts with `resourcePrefix` (default '': all). */
export interface AclEntry {
  principal: string
  operations: AclOperation[] | '*'
  resourcePrefix?: string
}

/**
 * resolveAcl checks an ACL list at `path` (undefined: no ACL, everything allowed).
 * @throws TributaryError INVALID_CONFIG naming the entry.
 */
export function resolveAcl(value: unknown, path: string): Acl | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidConfig(path, 'must be a list of { principal, operations, resourcePrefix? }')
  const entries = value.map((e: unknown, i): Required<AclEntry> => {
    const at = `${path}[${i}]`
    const entry = e as Partial<AclEntry> | null
    if (entry === null || typeof entry !== 'object' || typeof entry.principal !== 'string' || entry.principal === '')
      throw invalidConfig(`${at}.principal`, 'must be a user name or *')
    const ops = entry.operations
    if (ops !== '*' && (!Array.isArray(ops) || ops.some((op) => !ACL_OPERATIONS.includes(op))))
      throw invalidConfig(`${at}.operations`, `must be * or a list of ${ACL_OPERATIONS.join(', ')}`)
    if (entry.resourcePrefix !== undefined && typeof entry.resourcePrefix !== 'string')
      throw invalidConfig(`${at}.resourcePrefix`, 'must be a string')
    const principal = entry.principal.startsWith('User:') ? entry.principal.slice(5) : entry.principal
    if (principal === '') throw invalidConfig(`${at}.principal`, 'must be a user name or *')
    return { principal, operations: ops, resourcePrefix: entry.resourcePrefix ?? '' }
  })
  return new Acl(entries)
}

/** Acl answers whether a principal may run an operation on a resource. */
export class Acl {
  constructor(private readonly entries: readonly Required<AclEntry>[]) {}

  /** allows tells whether `principal` may run `operation` on `resource` ('' for cluster-wide calls). */
  allows(principal: string, operation: AclOperation, resource: string): boolean {
    return this.entries.some(
      (e) =>
        (e.principal === '*' || e.principal === principal) &&
        (e.operations === '*' || e.operations.includes(operation)) &&
        resource.startsWith(e.resourcePrefix),
    )
  }

  /** allowsSome tells whether `principal` may run `operation` on some resource (an entry grants it, whatever its prefix). */
  allowsSome(principal: string, operation: AclOperation): boolean {
    return this.entries.some(
      (e) => (e.principal === '*' || e.principal === principal) && (e.operations === '*' || e.operations.includes(operation)),
    )
  }

  /**
   * check throws unless `principal` may run `operation` on every resource named.
   * @throws TributaryError TOPIC_AUTHORIZATION_FAILED (a topic), CLUSTER_AUTHORIZATION_FAILED (cluster-wide), GROUP_AUTHORIZATION_FAILED.
   */
  check(principal: string, operation: AclOperation, resources: readonly string[], kind: 'topic' | 'group' | 'cluster'): void {
    for (const r of resources.length === 0 ? [''] : resources) {
      if (this.allows(principal, operation, r)) continue
      const code =
        kind === 'topic' ? 'TOPIC_AUTHORIZATION_FAILED' : kind === 'group' ? 'GROUP_AUTHORIZATION_FAILED' : 'CLUSTER_AUTHORIZATION_FAILED'
      throw new TributaryError(code, `${principal} may not ${operation}${r === '' ? '' : ` on ${kind} ${r}`}`, {
        details: { principal, operation, resource: r },
      })
    }
  }
}
