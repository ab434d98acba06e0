import { TributaryError } from '@tributary/core'
import type { RequestContext } from './context'

/**
 * partitionCounts finds how many partitions each named topic has (undefined for a topic that does
 * not exist), so a handler can answer each partition of a request on its own, as Kafka does,
 * rather than fail the whole request for one unknown topic.
 */
export async function partitionCounts(ctx: RequestContext, names: readonly string[]): Promise<Map<string, number | undefined>> {
  const { broker } = ctx.server
  const unique = [...new Set(names)]
  const counts = new Map<string, number | undefined>()
  if (unique.length === 0) return counts
  try {
    for (const t of (await broker.metadata({ topics: unique })).topics) counts.set(t.name, t.partitions.length)
    return counts
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error
  }
  for (const name of unique) {
    try {
      counts.set(name, (await broker.metadata({ topics: [name] })).topics[0]?.partitions.length)
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error
      counts.set(name, undefined)
    }
  }
  return counts
}
