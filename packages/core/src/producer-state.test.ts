import { LocalBroker } from './local-broker'
import { MemoryStorage } from './memory-storage'
import { ProducerExpiry, ProducerStateTable } from './producer-state'
import { makeBatch } from './testing/make-batch'

const batch = (producerId: number, baseSequence: number) => ({ producerId, producerEpoch: 0, baseSequence, lastOffsetDelta: 0 })

describe('producer state expiry (producer.id.expiration.ms, in log time)', () => {
  it('ProducerExpiry forgets a producer whose newest batch is past the horizon, checking every 1024 batches', () => {
    const expiry = new ProducerExpiry(1000)
    expect(expiry.note(1, 0)).toEqual([])
    expect(expiry.note(2, 1600)).toEqual([])
    const expired: number[] = []
    for (let i = 0; i < 1022; i++) expired.push(...expiry.note(3, 1500 + i))
    expect(expired).toEqual([1]) // the newest is 2521: 1 (last at 0) is past the horizon 1521, 2 (at 1600) is not.
    expect(expiry.expire()).toEqual([])
  })

  it('a single node forgets an idle producer: its old retry is appended again instead of answered as a duplicate', () => {
    const table = new ProducerStateTable(1000)
    table.record(batch(7, 0), 0, -1, 0)
    expect(table.check(batch(7, 0))).toMatchObject({ kind: 'duplicate', baseOffset: 0 })
    for (let i = 0; i < 1024; i++) table.record(batch(8, i), i + 1, -1, 5000 + i)
    expect(table.size).toBe(1)
    expect(table.check(batch(7, 0))).toEqual({ kind: 'append' })
  })

  it('LocalBroker takes producerIdExpirationMs (default a day) and bounds its producer state with it', async () => {
    await expect(LocalBroker.open({ storage: new MemoryStorage(), producerIdExpirationMs: 0 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'broker.producerIdExpirationMs' },
    })
    const broker = await LocalBroker.open({ storage: new MemoryStorage(), producerIdExpirationMs: 1000 })
    try {
      await broker.createTopics([{ topic: 't' }])
      const send = async (producerId: number, baseSequence: number, timestamp: number) =>
        (
          await broker.produce({
            acks: 1,
            timeoutMs: 1000,
            partitions: [
              {
                topic: 't',
                partition: 0,
                batch: makeBatch([{ key: 'k', value: 'v', timestamp }], { producerId, producerEpoch: 0, baseSequence }),
              },
            ],
          })
        )[0]
      expect((await send(1, 0, 0))?.baseOffset).toBe(0)
      expect((await send(1, 0, 0))?.baseOffset).toBe(0) // a retry within the window: the first offset
      for (let i = 0; i < 1024; i++) await send(2, i, 10_000 + i)
      // Producer 1 was idle far longer than the expiration: its retry is a new append now.
      expect((await send(1, 0, 0))?.baseOffset).toBe(1025)
    } finally {
      await broker.close()
    }
  })
})
