/*
 * InitProducerId (key 22), served v0-4: idempotent producers only.
 *
 * Hands out a new producer id with epoch 0 from the Broker. v3+ may name the producer's current id
 * and epoch (KIP-360, after a sequence error): it gets a fresh id, which a producer treats as a
 * reset of its sequences. A transactional id is refused with INVALID_REQUEST (42): transactions
 * are not supported (see the ledger in the README).
 */
import { TributaryError } from '@tributary/core'
import { InitProducerId } from '../../messages'
import { errorCodeFor } from '../context'
import { serveApi } from '../served-api'

/** initProducerIdApi answers InitProducerId. */
export const initProducerIdApi = serveApi({
  api: InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    try {
      if (req.body.transactionalId !== null)
        throw new TributaryError('INVALID_REQUEST', 'transactions are not supported: InitProducerId with a transactional id')
      const { producerId, producerEpoch } = await ctx.broker.initProducerId()
      return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch }
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: errorCodeFor(ctx, error, 'InitProducerId'), producerId: -1, producerEpoch: -1 }
    }
  },
})
