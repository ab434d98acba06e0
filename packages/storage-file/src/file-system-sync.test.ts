import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { FileSystemSync, syncFileSystem } from './file-system-sync'

/** controlledRun is a syncfs stand-in whose runs the test ends one by one. */
function controlledRun(): { run: () => Promise<boolean>; started: number; finish: (ok: boolean) => void } {
  const pending: Array<(ok: boolean) => void> = []
  const self = {
    started: 0,
    run: () => {
      self.started++
      return new Promise<boolean>((resolve) => pending.push(resolve))
    },
    finish: (ok: boolean) => pending.shift()?.(ok),
  }
  return self
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('FileSystemSync', () => {
  test('calls made before the run starts share it; a call made while it runs waits for a run of its own', async () => {
    const fake = controlledRun()
    const sync = new FileSystemSync(fake.run)
    const first = [sync.sync(), sync.sync(), sync.sync()]
    expect(fake.started).toBe(0) // one turn of gathering first
    await turn()
    expect(fake.started).toBe(1)
    const late = sync.sync() // its writes may be after the running syncfs began: not covered by it
    fake.finish(true)
    expect(await Promise.all(first)).toEqual([true, true, true])
    await turn()
    expect(fake.started).toBe(2)
    fake.finish(true)
    expect(await late).toBe(true)
    expect(sync.completed).toBe(2)
  })

  test('after a failed run every call resolves false at once (the caller flushes file by file)', async () => {
    const fake = controlledRun()
    const sync = new FileSystemSync(fake.run)
    const first = sync.sync()
    await turn()
    fake.finish(false)
    expect(await first).toBe(false)
    expect(await sync.sync()).toBe(false)
    expect(fake.started).toBe(1)
    expect(sync.completed).toBe(0)
    const rejecting = new FileSystemSync(() => Promise.reject(new Error('spawn failed')))
    expect(await rejecting.sync()).toBe(false)
  })

  test('syncFileSystem flushes the file system of a real directory, and reports a missing one as not done', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'tributary-syncfs-'))
    try {
      writeFileSync(join(dir, 'a'), 'data')
      expect(await syncFileSystem(dir)).toBe(true)
      expect(await syncFileSystem(join(dir, 'missing'))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
