import { messagePool, type Message } from '../lib/data'
import { nowMs } from '../lib/stats'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * baseline-array is an in-memory array: produce pushes each message, consume iterates. It is
 * the ceiling any in-process memory log can approach.
 */
class ArraySession implements LogSession {
  private readonly log: Message[] = []

  async produce({ count, batchSize, deadlineMs }: ProduceOptions): Promise<number> {
    const pool = messagePool()
    let sent = 0
    while (sent < count && nowMs() < deadlineMs) {
      const n = Math.min(batchSize, count - sent)
      for (let i = 0; i < n; i++) this.log.push(pool.at(sent + i))
      sent += n
    }
    return sent
  }

  async consume(count: number, deadlineMs: number): Promise<number> {
    let seen = 0
    let valueBytes = 0
    const end = Math.min(count, this.log.length)
    while (seen < end && nowMs() < deadlineMs) {
      const stop = Math.min(end, seen + 1000)
      for (; seen < stop; seen++) valueBytes += this.log[seen]!.value.length
    }
    if (valueBytes < 0) throw new Error('unreachable')
    return seen
  }

  async close(): Promise<void> {}

  serverPeakRssBytes(): number {
    return 0
  }
}

export const baselineArray: LogSystem = {
  name: 'baseline-array',
  persistent: false,
  open: async () => new ArraySession(),
}
