import type { GroupProtocol, JoinGroupRequest, OffsetCommitEntry } from './broker'
import { type ErrorCode, TributaryError } from './errors'
import type { Group } from './group'
import type { GroupMember } from './group-member'
import type { GroupCoordinatorOptions } from './group-options'

/** MAX_OFFSET_METADATA_BYTES bounds a commit's metadata string (Kafka's `offset.metadata.max.bytes`). */
export const MAX_OFFSET_METADATA_BYTES = 4096

/** groupError builds a coordinator error with the group id in its details. */
export function groupError(code: ErrorCode, groupId: string, message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError(code, `group ${JSON.stringify(groupId)}: ${message}`, { details: { groupId, ...details } })
}

/** validateGroupId throws INVALID_GROUP_ID unless `groupId` is a non-empty string. */
export function validateGroupId(groupId: unknown): asserts groupId is string {
  if (typeof groupId !== 'string' || groupId.length === 0) {
    throw new TributaryError('INVALID_GROUP_ID', `invalid group id ${JSON.stringify(groupId)}: must be a non-empty string`)
  }
}

/**
 * validateJoin checks a JoinGroup request's shape and timeouts. A bad session timeout is
 * INVALID_SESSION_TIMEOUT; an empty protocol type or list is Kafka's INCONSISTENT_GROUP_PROTOCOL,
 * which has no code of ours yet, so it is INVALID_REQUEST with the Kafka name in the details.
 */
export function validateJoin(req: JoinGroupRequest, options: Readonly<GroupCoordinatorOptions>): void {
  validateGroupId(req.groupId)
  const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = options
  if (typeof req.memberId !== 'string') throw groupError('INVALID_REQUEST', req.groupId, 'memberId must be a string')
  if (!Number.isSafeInteger(req.sessionTimeoutMs) || req.sessionTimeoutMs < min || req.sessionTimeoutMs > max) {
    throw groupError('INVALID_SESSION_TIMEOUT', req.groupId, `sessionTimeoutMs ${req.sessionTimeoutMs} is outside [${min}, ${max}]`)
  }
  if (!Number.isSafeInteger(req.rebalanceTimeoutMs) || req.rebalanceTimeoutMs < 1) {
    throw groupError('INVALID_REQUEST', req.groupId, `rebalanceTimeoutMs must be a positive integer, got ${req.rebalanceTimeoutMs}`)
  }
  if (typeof req.protocolType !== 'string' || req.protocolType === '' || !validProtocols(req.protocols)) {
    throw inconsistentProtocol(req.groupId, 'protocolType and protocols must be non-empty')
  }
}

function validProtocols(protocols: unknown): protocols is GroupProtocol[] {
  return (
    Array.isArray(protocols) &&
    protocols.length > 0 &&
    protocols.every((p: GroupProtocol) => typeof p?.name === 'string' && p.name !== '' && Array.isArray(p.subscription?.topics))
  )
}

/** inconsistentProtocol is Kafka's INCONSISTENT_GROUP_PROTOCOL (23): no protocol every member supports. */
export function inconsistentProtocol(groupId: string, message: string): TributaryError {
  return groupError('INCONSISTENT_GROUP_PROTOCOL', groupId, message)
}

/**
 * requireMember finds the member a request names, after Kafka's checks in Kafka's order: a
 * static instance id now held by another member id is FENCED_INSTANCE_ID (the caller is the
 * older of two instances); an id the group does not know is UNKNOWN_MEMBER_ID.
 */
export function requireMember(group: Group, memberId: string, groupInstanceId: string | null | undefined): GroupMember {
  checkFenced(group, memberId, groupInstanceId)
  const member = group.members.get(memberId)
  if (member === undefined) throw groupError('UNKNOWN_MEMBER_ID', group.groupId, `unknown member ${JSON.stringify(memberId)}`)
  return member
}

/** checkFenced throws FENCED_INSTANCE_ID when `groupInstanceId` is held by a member other than `memberId`. */
export function checkFenced(group: Group, memberId: string, groupInstanceId: string | null | undefined): void {
  if (groupInstanceId === undefined || groupInstanceId === null) return
  const holder = group.memberByInstance(groupInstanceId)
  if (holder !== undefined && holder.memberId !== memberId) {
    throw groupError('FENCED_INSTANCE_ID', group.groupId, `instance ${groupInstanceId} is now member ${holder.memberId}, not ${memberId}`)
  }
}

/** requireGeneration throws ILLEGAL_GENERATION unless `generationId` is the group's current one. */
export function requireGeneration(group: Group, generationId: number): void {
  if (generationId !== group.generationId) {
    throw groupError('ILLEGAL_GENERATION', group.groupId, `generation ${generationId} is not the current generation ${group.generationId}`)
  }
}

/**
 * validateCommitEntries checks every offset of a commit before anything is written, so a commit
 * lands whole or not at all: an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION, a
 * negative or fractional offset or oversized metadata INVALID_ARGUMENT.
 */
export function validateCommitEntries(
  groupId: string,
  entries: unknown,
  partitionCount: (topic: string) => number | undefined,
): OffsetCommitEntry[] {
  if (!Array.isArray(entries)) throw groupError('INVALID_REQUEST', groupId, 'offsets must be an array')
  for (const e of entries as OffsetCommitEntry[]) {
    const count = typeof e?.topic === 'string' ? partitionCount(e.topic) : undefined
    if (count === undefined || !Number.isSafeInteger(e.partition) || e.partition < 0 || e.partition >= count) {
      throw new TributaryError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `cannot commit to unknown partition ${String(e?.topic)}-${String(e?.partition)}`,
        {
          details: { groupId, topic: e?.topic, partition: e?.partition },
        },
      )
    }
    if (!Number.isSafeInteger(e.offset) || e.offset < 0) {
      throw groupError('INVALID_ARGUMENT', groupId, `offset for ${e.topic}-${e.partition} must be an integer ≥ 0, got ${e.offset}`)
    }
    const metadata = e.metadata ?? null
    if (metadata !== null && (typeof metadata !== 'string' || Buffer.byteLength(metadata) > MAX_OFFSET_METADATA_BYTES)) {
      throw groupError(
        'INVALID_ARGUMENT',
        groupId,
        `metadata for ${e.topic}-${e.partition} must be a string of at most ${MAX_OFFSET_METADATA_BYTES} bytes`,
      )
    }
  }
  return entries as OffsetCommitEntry[]
}
