import type { RecordBatchHeader } from '@tributary/core'
import { ProducerJournal } from './producer-journal'

const DAY_MS = 86_400_000

/** header of an idempotent batch of one record from `producerId` at `timestampMs`. */
function header(producerId: number, baseSequence: number, timestampMs: number): RecordBatchHeader {
  return {
    producerId,
    producerEpoch: 0,
    baseSequence,
    lastOffsetDelta: 0,
    maxTimestamp: timestampMs,
    baseTimestamp: timestampMs,
  } as RecordBatchHeader
}

describe('ProducerJournal', () => {
  it('keeps the last five batches per producer and ignores replays and non-idempotent batches', () => {
    const j = new ProducerJournal(DAY_MS)
    for (let i = 0; i < 8; i++) j.record(header(7, i, 1000 + i), i)
    j.record(header(7, 3, 1003), 3) // a replay after a restart
    j.record(header(-1, -1, 2000), 8) // not idempotent
    expect(j.records().map((r) => r.baseOffset)).toEqual([3, 4, 5, 6, 7])
    expect(j.producerCount()).toBe(1)
  })

  it("forgets producers idle for longer than the expiration, measured in the log's own timestamps", () => {
    const j = new ProducerJournal(DAY_MS)
    j.record(header(1, 0, 0), 0)
    j.record(header(2, 0, DAY_MS / 2), 1)
    // A day and a bit later producer 3 writes; 1 is past the horizon, 2 is not.
    let offset = 2
    for (let i = 0; i < 1024; i++) j.record(header(3, i, DAY_MS + 1000 + i), offset++)
    expect(j.records().some((r) => r.batch.producerId === 1)).toBe(false)
    expect(j.records().some((r) => r.batch.producerId === 2)).toBe(true)
    expect(j.producerCount()).toBe(2)
  })

  it('two replicas applying the same batches forget the same producers, also after a snapshot restore', () => {
    const a = new ProducerJournal(1000)
    // 300 producers write, then only 10 of them carry on for longer than the expiration.
    const feed = (j: ProducerJournal, from: number, to: number, producers: number): void => {
      for (let i = from; i < to; i++) j.record(header(i % producers, i, i * 3), i)
    }
    feed(a, 0, 2000, 300)
    const b = new ProducerJournal(1000)
    b.restore(a.records())
    feed(a, 2000, 5000, 10)
    feed(b, 2000, 5000, 10)
    a.expire()
    b.expire()
    expect(b.records()).toEqual(a.records())
    expect(a.producerCount()).toBe(10)
  })
})
