/*
 * CreatePartitions (key 37), served v0-3.
 *
 * Raises each topic's partition count to `count` (the new total), answered on its own (tansu found
 * clients that need a result per topic): INVALID_PARTITIONS (37) for a count not above the current
 * one, UNKNOWN_TOPIC_OR_PARTITION (3); assignments beyond this single node are
 * INVALID_REPLICA_ASSIGNMENT (39). Consumer groups subscribed to the topic rebalance.
 */
import { TributaryError } from '@tributary/core'
import { CreatePartitions } from '../../messages'
import { errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

/** createPartitionsApi answers CreatePartitions. */
export const createPartitionsApi = serveApi({
  api: CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const { broker } = ctx.server
    const results = []
    for (const t of req.body.topics) {
      try {
        if (t.assignments !== null && !t.assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === broker.nodeId))
          throw new TributaryError('INVALID_REPLICA_ASSIGNMENT', 'manual replica assignment is not supported beyond this node')
        await ctx.broker.createPartitions(t.name, t.count, { validateOnly: req.body.validateOnly })
        results.push({ name: t.name, errorCode: 0, errorMessage: null })
      } catch (error) {
        results.push({ name: t.name, errorCode: errorCodeFor(ctx, error, 'CreatePartitions'), errorMessage: errorMessageOf(error) })
      }
    }
    return { throttleTimeMs: 0, results }
  },
})
