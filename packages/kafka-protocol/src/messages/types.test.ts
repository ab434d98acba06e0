import { decodeRequest, encodeRequest } from '../protocol'
import type { FetchResponse } from './01-fetch'
import type { MetadataRequest } from './03-metadata'
import type { ProduceRequest } from './00-produce'
import { API_KEYS, type RequestBodies } from './index'

/*
 * The body types are derived from the descriptions (BodyOf), so they cannot drift from the wire
 * format; these checks pin the mapping itself. They fail `pnpm typecheck` (and so this test file's
 * compilation) if a kind maps to the wrong TypeScript type.
 */

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function assertType<T extends true>(): T | undefined {
  return undefined
}

type Partition = ProduceRequest['topicData'][number]['partitionData'][number]
type FetchPartition = FetchResponse['responses'][number]['partitions'][number]

describe('body types derived from the descriptions', () => {
  test('kinds map to JS types, nullability to `| null`, nesting to arrays of structs', () => {
    assertType<Equal<ProduceRequest['transactionalId'], string | null>>()
    assertType<Equal<ProduceRequest['acks'], number>>()
    assertType<Equal<Partition, { index: number; records: Buffer | null }>>()
    assertType<Equal<MetadataRequest['topics'], { topicId: string; name: string | null }[] | null>>()
    assertType<Equal<MetadataRequest['allowAutoTopicCreation'], boolean>>()
    assertType<Equal<FetchPartition['currentLeader'], { leaderId: number; leaderEpoch: number }>>()
    assertType<Equal<FetchPartition['abortedTransactions'], { producerId: number; firstOffset: number }[] | null>>()
    assertType<Equal<RequestBodies[0], ProduceRequest>>()

    const frame = encodeRequest(
      API_KEYS.Produce,
      7,
      { correlationId: 1 },
      { acks: -1, topicData: [{ name: 't', partitionData: [{ index: 0 }] }] },
    )
    const req = decodeRequest(frame.subarray(4))
    if (req.apiKey !== API_KEYS.Produce) throw new Error('expected a produce request')
    // Narrowed by apiKey: the body is a ProduceRequest without a cast.
    const partition: Partition = req.body.topicData[0]!.partitionData[0]!
    expect(partition).toEqual({ index: 0, records: null })
    expect(typeof req.body.acks).toBe('number')
  })
})
