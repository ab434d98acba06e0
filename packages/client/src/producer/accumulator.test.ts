import type { RecordInput } from '@tributary/core'
import { newSendPart, recordSizeBytes, RecordAccumulator } from './accumulator'

const SETTINGS = { acks: -1 as const, compression: 'none' as const, timeoutMs: 30_000 }

function part(topic: string, partition: number, count: number) {
  const record = (i: number): RecordInput => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100), headers: [], timestamp: 0 })
  const first = record(0)
  const p = newSendPart(topic, partition, SETTINGS, first, recordSizeBytes(first))
  for (let i = 1; i < count; i++) {
    const next = record(i)
    p.records.push(next)
    p.sizes.push(recordSizeBytes(next))
    p.bytes += recordSizeBytes(next)
  }
  return p
}

describe('RecordAccumulator', () => {
  it('tracks which partitions wait: drained ones leave the scans, refilled ones come back', () => {
    const acc = new RecordAccumulator(1024 * 1024, 5, 1)
    expect(acc.isEmpty()).toBe(true)
    expect(acc.nextReadyInMs(0)).toBeNull()
    for (let p = 0; p < 10_000; p++) acc.append(part('t', p, 1), 0)
    expect(acc.isEmpty()).toBe(false)
    expect(acc.nextReadyInMs(2)).toBe(3)
    expect(acc.drainReady(2, false)).toEqual([])
    const drained = acc.drainReady(5, false)
    expect(drained.map((b) => b.partition)).toEqual(Array.from({ length: 10_000 }, (_, p) => p))
    expect(acc.isEmpty()).toBe(true)
    expect(acc.nextReadyInMs(5)).toBeNull()
    expect(acc.hasFullBatch()).toBe(false)
    // Partition 3 has its one batch in flight: a new send there waits for it, and the scans see it waiting.
    acc.append(part('t', 3, 2), 6)
    expect(acc.isEmpty()).toBe(false)
    expect(acc.nextReadyInMs(6)).toBeNull()
    expect(acc.drainReady(100, true)).toEqual([])
    acc.batchSettled('t', 3)
    expect(acc.nextReadyInMs(6)).toBe(5)
    expect(acc.drainReady(100, true).map((b) => [b.partition, b.records.length])).toEqual([[3, 2]])
    expect(acc.isEmpty()).toBe(true)
  })

  it('a partition holding more than one batch stays waiting until its last record is drained', () => {
    const acc = new RecordAccumulator(300, 0, 1)
    acc.append(part('t', 0, 5), 0)
    expect(acc.hasFullBatch()).toBe(true)
    const first = acc.drainReady(0, false)
    expect(first).toHaveLength(1)
    expect(acc.isEmpty()).toBe(false)
    acc.batchSettled('t', 0)
    let total = first[0]!.records.length
    while (!acc.isEmpty()) {
      const batches = acc.drainReady(0, true)
      for (const b of batches) {
        total += b.records.length
        acc.batchSettled('t', 0)
      }
    }
    expect(total).toBe(5)
  })
})
