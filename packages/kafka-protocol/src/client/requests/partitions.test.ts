import { makeBatch } from '@tributary/core/testing'
import { parseFetch, parseProduce, wholeBatches } from './partitions'

/* The partition APIs' answers mapped to the Broker contract's results, in request order. */

const batch = makeBatch([{ value: 'x' }])

describe('parseProduce', () => {
  test('answers are matched by topic and partition, whatever order Kafka gives them in', () => {
    const parts = [
      { topic: 'a', partition: 1, batch },
      { topic: 'b', partition: 0, batch },
    ]
    const results = parseProduce(
      {
        responses: [
          {
            name: 'b',
            partitionResponses: [
              { index: 0, errorCode: 0, baseOffset: 7, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null },
            ],
          },
          {
            name: 'a',
            partitionResponses: [
              {
                index: 1,
                errorCode: 6,
                baseOffset: -1,
                logAppendTimeMs: -1,
                logStartOffset: -1,
                recordErrors: [],
                errorMessage: 'not leader',
              },
            ],
          },
        ],
        throttleTimeMs: 0,
        nodeEndpoints: [],
      } as never,
      parts,
    )
    expect(results.map((r) => [r.topic, r.baseOffset, r.error?.code])).toEqual([
      ['a', -1, 'NOT_LEADER_OR_FOLLOWER'],
      ['b', 7, undefined],
    ])
    expect(results[0]?.error?.message).toBe('not leader')
  })

  test('DUPLICATE_SEQUENCE_NUMBER (older brokers) is a success: the batch is already written', () => {
    const [r] = parseProduce(
      {
        responses: [
          { name: 'a', partitionResponses: [{ index: 0, errorCode: 46, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: 0 }] },
        ],
      } as never,
      [{ topic: 'a', partition: 0, batch }],
    )
    expect(r?.error).toBeUndefined()
  })

  test('a partition the broker did not answer is UNKNOWN_SERVER_ERROR', () => {
    const [r] = parseProduce({ responses: [] } as never, [{ topic: 'a', partition: 0, batch }])
    expect(r?.error?.code).toBe('UNKNOWN_SERVER_ERROR')
  })
})

describe('parseFetch', () => {
  test('a top-level error (fetch sessions, v7+) fails every partition', () => {
    const results = parseFetch({ errorCode: 70, responses: [] } as never, [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 }], new Map())
    expect(results[0]?.error?.code).toBe('FETCH_SESSION_ID_NOT_FOUND')
  })
})

describe('wholeBatches', () => {
  test('keeps whole batches, leaves out a cut one, and returns nothing for a lone partial batch', () => {
    const two = Buffer.concat([batch, batch])
    expect(wholeBatches(two)[0]?.length).toBe(two.length)
    expect(wholeBatches(two.subarray(0, batch.length + 20))[0]?.length).toBe(batch.length)
    expect(wholeBatches(batch.subarray(0, 20))).toEqual([])
    expect(wholeBatches(null)).toEqual([])
  })
})
