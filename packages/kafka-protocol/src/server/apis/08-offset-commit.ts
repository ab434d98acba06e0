/*
 * OffsetCommit (key 8), served v0-8.
 *
 * Commits a group's offsets (the next offset to read) with their metadata string, which
 * OffsetFetch returns as it was committed (null is stored as "", as Kafka does). A member commits
 * in its generation (v1+: generation id and member id; v7+ its instance id); generation -1 with an
 * empty member id commits from outside the group (v0 always does: an admin or an `assign()`
 * consumer), allowed while the group has no members. Each partition is answered on its own:
 * UNKNOWN_TOPIC_OR_PARTITION (3) for one that does not exist, OFFSET_METADATA_TOO_LARGE (12) over
 * 4096 bytes of metadata (offset.metadata.max.bytes), INVALID_REQUEST (42) for a negative offset
 * (Tributary stores only real positions); the rest are committed together, and a
 * group-level refusal (ILLEGAL_GENERATION 22, UNKNOWN_MEMBER_ID 25, REBALANCE_IN_PROGRESS 27,
 * FENCED_INSTANCE_ID 82) is every one's answer. retentionTimeMs (v2-4) is ignored: committed
 * offsets stay until the group or topic is deleted.
 */
import { type OffsetCommitEntry, TributaryError } from '@tributary/core'
import { OffsetCommit } from '../../messages'
import { type RequestContext, errorCodeFor } from '../context'
import { serveApi } from '../served-api'
import { partitionCounts } from '../topic-lookup'

const MAX_METADATA_BYTES = 4096

/** offsetCommitApi answers OffsetCommit. */
export const offsetCommitApi = serveApi({
  api: OffsetCommit,
  minVersion: 0,
  maxVersion: 8,
  async handle(req, ctx) {
    const b = req.body
    if (!ctx.may('group', b.groupId)) {
      // As Kafka: a group the principal may not use is refused whole, before anything is looked up.
      const refused = new TributaryError('GROUP_AUTHORIZATION_FAILED', `${ctx.principal} may not use group ${b.groupId}`)
      const code = codeOf(ctx, refused)
      return {
        throttleTimeMs: 0,
        topics: b.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
        })),
      }
    }
    const counts = await partitionCounts(
      ctx,
      b.topics.map((t) => t.name),
    )
    const verdicts: Array<number | null> = []
    const offsets: OffsetCommitEntry[] = []
    for (const t of b.topics) {
      for (const p of t.partitions) {
        const count = counts.get(t.name)
        const metadata = p.committedMetadata ?? ''
        if (count === undefined || p.partitionIndex < 0 || p.partitionIndex >= count) verdicts.push(3)
        else if (Buffer.byteLength(metadata) > MAX_METADATA_BYTES) verdicts.push(12)
        else if (p.committedOffset < 0)
          verdicts.push(codeOf(ctx, new TributaryError('INVALID_REQUEST', `cannot commit offset ${p.committedOffset}`)))
        else {
          verdicts.push(null)
          offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata })
        }
      }
    }
    let committed = 0
    if (offsets.length > 0) {
      try {
        await ctx.broker.commitOffsets({
          groupId: b.groupId,
          generationId: req.apiVersion === 0 ? -1 : b.generationIdOrMemberEpoch,
          memberId: req.apiVersion === 0 ? '' : b.memberId,
          groupInstanceId: b.groupInstanceId,
          offsets,
        })
      } catch (error) {
        committed = errorCodeFor(ctx, error, 'OffsetCommit')
      }
    }
    let i = 0
    return {
      throttleTimeMs: 0,
      topics: b.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: verdicts[i++] ?? committed })),
      })),
    }
  },
})

function codeOf(ctx: RequestContext, error: unknown): number {
  return errorCodeFor(ctx, error, 'OffsetCommit')
}
