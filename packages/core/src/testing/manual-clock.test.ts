import { ManualClock } from './manual-clock'
import { createRandom } from './random'

describe('ManualClock', () => {
  it('starts at the given time and stands still until advanced', () => {
    const clock = new ManualClock(1_000)
    expect(clock.now()).toBe(1_000)
    clock.advance(250)
    expect(clock.now()).toBe(1_250)
    expect(new ManualClock().now()).toBe(0)
  })

  it('fires a timer only once its delay has fully passed', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    clock.setTimeout(() => fired.push(clock.now()), 100)
    expect(clock.advance(99)).toBe(0)
    expect(fired).toEqual([])
    expect(clock.advance(1)).toBe(1)
    expect(fired).toEqual([100])
  })

  it('fires due timers in time order, each seeing now() at its own due time', () => {
    const clock = new ManualClock(0)
    const fired: string[] = []
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30)
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20)
    clock.advance(100)
    expect(fired).toEqual(['a@10', 'b@20', 'c@30'])
    expect(clock.now()).toBe(100)
  })

  it('timers due at the same time fire in the order they were created', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 10)
    clock.advance(10)
    expect(fired).toEqual([0, 1, 2, 3, 4])
  })

  it('timers scheduled by fired timers fire in the same advance when they fall due within it', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    const tick = (): void => {
      fired.push(clock.now())
      clock.setTimeout(tick, 10)
    }
    clock.setTimeout(tick, 10)
    clock.advance(35)
    expect(fired).toEqual([10, 20, 30])
    expect(clock.pendingTimers()).toBe(1)
    expect(clock.nextDueMs()).toBe(40)
  })

  it('a zero-delay timer scheduled by a timer fires at the same instant, after it', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    clock.setTimeout(() => {
      fired.push(`outer@${clock.now()}`)
      clock.setTimeout(() => fired.push(`inner@${clock.now()}`), 0)
    }, 5)
    clock.advance(5)
    expect(fired).toEqual(['outer@5', 'inner@5'])
  })

  it('a cancelled timer never fires; cancelling twice or after firing is harmless', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    const a = clock.setTimeout(() => fired.push('a'), 10)
    const b = clock.setTimeout(() => fired.push('b'), 10)
    a.cancel()
    a.cancel()
    clock.advance(10)
    b.cancel()
    expect(fired).toEqual(['b'])
    expect(clock.pendingTimers()).toBe(0)
  })

  it('a timer can cancel another that is due in the same advance', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    const late = clock.setTimeout(() => fired.push('late'), 20)
    clock.setTimeout(() => {
      fired.push('early')
      late.cancel()
    }, 10)
    clock.advance(50)
    expect(fired).toEqual(['early'])
  })

  it('negative and non-finite delays count as zero', () => {
    const clock = new ManualClock(50)
    const fired: number[] = []
    clock.setTimeout(() => fired.push(1), -10)
    clock.setTimeout(() => fired.push(2), Number.NaN)
    clock.advance(0)
    expect(fired).toEqual([1, 2])
  })

  it('advance rejects negative and non-finite amounts', () => {
    const clock = new ManualClock()
    expect(() => clock.advance(-1)).toThrow(RangeError)
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError)
    expect(clock.now()).toBe(0)
  })

  it('advanceTo never moves time backwards', () => {
    const clock = new ManualClock(100)
    clock.advanceTo(50)
    expect(clock.now()).toBe(100)
    clock.advanceTo(150)
    expect(clock.now()).toBe(150)
  })

  it('runAll fires every timer, including chained ones, and ends at the last due time', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    clock.setTimeout(() => {
      fired.push(clock.now())
      clock.setTimeout(() => fired.push(clock.now()), 1_000)
    }, 500)
    clock.setTimeout(() => fired.push(clock.now()), 200)
    expect(clock.runAll()).toBe(3)
    expect(fired).toEqual([200, 500, 1_500])
    expect(clock.now()).toBe(1_500)
  })

  it('runAll stops with an error when a timer reschedules itself forever', () => {
    const clock = new ManualClock()
    const forever = (): void => void clock.setTimeout(forever, 1)
    clock.setTimeout(forever, 1)
    expect(() => clock.runAll(1_000)).toThrow(/after 1000 firings/)
  })

  it('a throwing timer propagates its error and leaves later timers pending', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    clock.setTimeout(() => {
      throw new Error('boom')
    }, 10)
    clock.setTimeout(() => fired.push('later'), 20)
    expect(() => clock.advance(30)).toThrow('boom')
    expect(clock.now()).toBe(10)
    clock.advance(20)
    expect(fired).toEqual(['later'])
  })

  it('advanceAsync lets promise chains started by a timer settle before the next timer fires', async () => {
    const clock = new ManualClock()
    const events: string[] = []
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => {
          events.push('chain done')
          clock.setTimeout(() => events.push(`follow-up@${clock.now()}`), 5)
        })
    }, 10)
    clock.setTimeout(() => events.push(`second@${clock.now()}`), 12)
    await clock.advanceAsync(20)
    expect(events).toEqual(['chain done', 'second@12', 'follow-up@15'])
    expect(clock.now()).toBe(20)
  })
})

describe('createRandom', () => {
  it('the same seed gives the same sequence; different seeds differ', () => {
    const a = createRandom(42)
    const b = createRandom(42)
    const c = createRandom(43)
    const seqA = Array.from({ length: 20 }, () => a.next())
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA)
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA)
  })

  it('next() stays in [0, 1) and int/range stay in bounds, covering every value', () => {
    const random = createRandom(7)
    const seen = new Set<number>()
    const ranges = new Set<number>()
    let outside = 0
    for (let i = 0; i < 10_000; i++) {
      const x = random.next()
      if (!(x >= 0 && x < 1)) outside++
      seen.add(random.int(10))
      ranges.add(random.range(-3, 3))
    }
    expect(outside).toBe(0)
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect([...ranges].sort((x, y) => x - y)).toEqual([-3, -2, -1, 0, 1, 2, 3])
  })

  it('int is roughly uniform (each of 8 buckets within 10% of its share over 80k draws)', () => {
    const random = createRandom(1)
    const counts = new Array<number>(8).fill(0)
    for (let i = 0; i < 80_000; i++) counts[random.int(8)]! += 1
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(1_000)
  })

  it('bytes(n) returns n reproducible bytes; pick and bool are seeded too', () => {
    expect(createRandom(9).bytes(16)).toEqual(createRandom(9).bytes(16))
    expect(createRandom(9).bytes(0)).toHaveLength(0)
    expect(createRandom(3).pick(['a', 'b', 'c'])).toBe(createRandom(3).pick(['a', 'b', 'c']))
    expect(createRandom(3).bool()).toBe(createRandom(3).bool())
  })

  it('rejects impossible requests', () => {
    const random = createRandom(1)
    expect(() => random.int(0)).toThrow(RangeError)
    expect(() => random.int(1.5)).toThrow(RangeError)
    expect(() => random.pick([])).toThrow(RangeError)
  })

  it('remembers its seed, for printing on failure', () => {
    expect(createRandom(123).seed).toBe(123)
  })
})
