import { LocalBroker } from './local-broker'
import { FetchWaiters } from './fetch-waiters'
import { MemoryStorage } from './memory-storage'

describe('FetchWaiters (bounded long polls)', () => {
  it('holds at most maxWaiters; a refused wait is undefined; unregistering frees a place once', () => {
    const waiters = new FetchWaiters(2)
    const woken: string[] = []
    const a = waiters.wait(['t/0'], () => woken.push('a'))
    const b = waiters.wait(['t/0', 't/1'], () => woken.push('b'))
    expect(waiters.wait(['t/1'], () => woken.push('c'))).toBeUndefined()
    expect(waiters.size).toBe(2)
    waiters.notify('t/1')
    expect(woken).toEqual(['b'])
    a?.()
    a?.()
    expect(waiters.size).toBe(1)
    expect(waiters.wait(['t/1'], () => woken.push('d'))).toBeDefined()
    b?.()
  })

  it('a LocalBroker holding maxFetchWaiters long polls answers the next fetch at once, empty, instead of holding it', async () => {
    const broker = await LocalBroker.open({ storage: new MemoryStorage(), maxFetchWaiters: 1 })
    try {
      await broker.createTopics([{ topic: 't' }])
      const poll = (signal?: AbortSignal) =>
        broker.fetch({
          partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1000 }],
          maxWaitMs: 60_000,
          ...(signal ? { signal } : {}),
        })
      const held = new AbortController()
      const first = poll(held.signal)
      let firstDone = false
      void first.then(() => (firstDone = true))
      // The second fetch cannot wait: it answers with no data, while the first still waits.
      const [second] = await poll()
      expect(second).toMatchObject({ topic: 't', partition: 0, highWatermark: 0, batches: [] })
      expect(firstDone).toBe(false)
      held.abort()
      await first
    } finally {
      await broker.close()
    }
  })
})
