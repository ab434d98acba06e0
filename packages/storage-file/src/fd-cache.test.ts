import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { FdCache } from './fd-cache'
import { fdatasyncAsync } from './io'
import { makeTempDir, removeTempDir } from './testing/temp-dir'

/** openDescriptors counts this process's open descriptors. */
function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length
}

let dir: string
beforeEach(() => {
  dir = makeTempDir('fd-cache')
})
afterEach(() => removeTempDir(dir))

describe('FdCache', () => {
  it('keeps at most its budget open, closing the least recently used', () => {
    const cache = new FdCache(8)
    const handles = Array.from({ length: 20 }, (_, i) => cache.handle(join(dir, `f${i}`)))
    for (const h of handles) h.fd()
    expect(cache.openCount()).toBeLessThanOrEqual(8)
    const first = handles[0]!
    first.fd()
    for (const h of handles.slice(15)) h.fd()
    // f0 was used recently, so it survived the last evictions.
    expect(cache.openCount()).toBeLessThanOrEqual(8)
    expect(readdirSync(dir)).toHaveLength(20)
    cache.closeAll()
    expect(cache.openCount()).toBe(0)
  })

  it('closes evicted descriptors off the event loop within its budget, and closesSettled waits for them', async () => {
    const cache = new FdCache(8)
    const before = openDescriptors()
    const handles = Array.from({ length: 200 }, (_, i) => cache.handle(join(dir, `f${i}`)))
    for (const h of handles) {
      h.fd()
      // Cached descriptors, and evicted ones still closing, never pass the budget.
      expect(openDescriptors() - before).toBeLessThanOrEqual(8)
    }
    await cache.closesSettled()
    expect(openDescriptors() - before).toBe(cache.openCount())
    cache.closeAll()
    expect(openDescriptors()).toBe(before)
  })

  it('never closes a descriptor under a pinned call; a release during it takes effect when it ends', async () => {
    const cache = new FdCache(8)
    const pinned = cache.handle(join(dir, 'pinned'))
    let fdInCall = -1
    let finishCall: () => void = () => {}
    const call = pinned.withPinned(async (fd) => {
      fdInCall = fd
      await new Promise<void>((resolve) => (finishCall = resolve))
      await fdatasyncAsync(fd, 'fdatasync pinned')
    })
    await new Promise((resolve) => setImmediate(resolve))
    for (let i = 0; i < 20; i++) cache.handle(join(dir, `other${i}`)).fd()
    pinned.release()
    // The next fd() opens afresh; the pinned call still has its own.
    expect(pinned.fd()).not.toBe(fdInCall)
    finishCall()
    await expect(call).resolves.toBeUndefined()
  })

  it('a discarded handle is skipped by pinned calls and never re-creates its file', async () => {
    const cache = new FdCache(8)
    const handle = cache.handle(join(dir, 'gone'))
    handle.fd()
    handle.discard()
    let ran = false
    await handle.withPinned(async () => {
      ran = true
    })
    expect(ran).toBe(false)
    expect(() => handle.fd()).toThrow(/deleted/)
  })

  it('hands its async slots to thousands of waiting calls in arrival order, never more at once than its quarter of the budget', async () => {
    const cache = new FdCache(8)
    let running = 0
    let peak = 0
    const order: number[] = []
    const calls = Array.from({ length: 5_000 }, (_, i) =>
      cache.withSlot(async () => {
        running++
        peak = Math.max(peak, running)
        order.push(i)
        await new Promise((resolve) => setImmediate(resolve))
        running--
      }),
    )
    await Promise.all(calls)
    expect(peak).toBe(2)
    expect(order).toEqual(Array.from({ length: 5_000 }, (_, i) => i))
    // Every slot came back: a new call runs at once.
    let ranAtOnce = false
    const next = cache.withSlot(async () => {
      ranAtOnce = running === 0
    })
    await next
    expect(ranAtOnce).toBe(true)
  })
})
