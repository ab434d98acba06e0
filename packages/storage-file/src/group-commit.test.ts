import { GroupCommit } from './group-commit'

/** A flush that the test completes by hand, counting how many were started. */
function manualFlush(): { commit: GroupCommit; started: () => number; finish: (err?: Error) => void } {
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  let started = 0
  const commit = new GroupCommit(
    () =>
      new Promise<void>((resolve, reject) => {
        started++
        pending.push({ resolve, reject })
      }),
  )
  return {
    commit,
    started: () => started,
    finish: (err) => {
      const next = pending.shift()
      if (next === undefined) throw new Error('no flush running')
      if (err) next.reject(err)
      else next.resolve()
    },
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('GroupCommit', () => {
  it('sync with nothing written resolves without flushing', async () => {
    const { commit, started } = manualFlush()
    await commit.sync()
    expect(started()).toBe(0)
  })

  it('concurrent syncs of the same writes share one flush and resolve together', async () => {
    const { commit, started, finish } = manualFlush()
    commit.noteWrite()
    const resolved: number[] = []
    const all = [1, 2, 3].map((n) => commit.sync().then(() => resolved.push(n)))
    await tick()
    expect(started()).toBe(1)
    expect(resolved).toEqual([])
    finish()
    await Promise.all(all)
    expect(resolved).toEqual([1, 2, 3])
    expect(started()).toBe(1)
  })

  it('the first flush waits one turn of the event loop, so writes made in that turn share it', async () => {
    const { commit, started, finish } = manualFlush()
    commit.noteWrite()
    const first = commit.sync()
    expect(started()).toBe(0)
    commit.noteWrite()
    const second = commit.sync()
    await tick()
    expect(started()).toBe(1)
    finish()
    await Promise.all([first, second])
    expect(commit.hasPending()).toBe(false)
    expect(started()).toBe(1)
  })

  it('writes made during a flush wait for exactly one more flush, shared by all of them', async () => {
    const { commit, started, finish } = manualFlush()
    commit.noteWrite()
    const first = commit.sync()
    await tick()
    commit.noteWrite()
    const second = commit.sync()
    commit.noteWrite()
    const third = commit.sync()
    expect(started()).toBe(1)
    let secondDone = false
    void second.then(() => (secondDone = true))
    finish()
    await first
    await tick()
    expect(secondDone).toBe(false)
    expect(started()).toBe(2)
    finish()
    await Promise.all([second, third])
    expect(started()).toBe(2)
    expect(commit.hasPending()).toBe(false)
  })

  it('a failed flush rejects its waiters and every later sync (fsync errors are not retried)', async () => {
    const { commit, finish } = manualFlush()
    commit.noteWrite()
    const failing = commit.sync()
    await tick()
    finish(new Error('EIO'))
    await expect(failing).rejects.toThrow('EIO')
    commit.noteWrite()
    await expect(commit.sync()).rejects.toThrow('EIO')
  })
})
