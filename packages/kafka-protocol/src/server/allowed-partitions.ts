import type { TributaryError } from '@tributary/core'
import type { AclOperation } from '@tributary/core/net'
import type { RequestContext } from './context'

/**
 * callAllowed issues a per-partition broker call (listOffsets, deleteRecords) for the partitions
 * whose topic the principal may `operation`, and answers in the order asked: a refused partition's
 * result carries only its TOPIC_AUTHORIZATION_FAILED `error` (nothing was asked of the broker for
 * it), as Kafka answers each partition on its own. Rejects as `call` does.
 */
export async function callAllowed<A extends { topic: string }, R extends { error?: TributaryError }>(
  ctx: RequestContext,
  operation: AclOperation,
  asked: readonly A[],
  call: (allowed: A[]) => Promise<R[]>,
): Promise<R[]> {
  const refusals = asked.map((a) => ctx.refusal(operation, a.topic))
  if (refusals.every((r) => r === null)) return call([...asked])
  const allowed = asked.filter((_, i) => refusals[i] === null)
  const answered = allowed.length === 0 ? [] : await call(allowed)
  let k = 0
  return asked.map((a, i) => {
    const refused = refusals[i]
    return refused === null || refused === undefined ? (answered[k++] as R) : ({ ...a, error: refused } as unknown as R)
  })
}
