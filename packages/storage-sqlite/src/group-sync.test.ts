import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GroupSync } from './group-sync'

/** A flush the test completes by hand, counting how many were started. */
function manualFlushes() {
  const pending: { resolve: () => void; reject: (err: Error) => void }[] = []
  const flush = (): Promise<void> => new Promise((resolve, reject) => pending.push({ resolve, reject }))
  return { flush, pending }
}

/** settle lets promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('GroupSync', () => {
  it('resolves at once when nothing was written since the last flush', async () => {
    const { flush, pending } = manualFlushes()
    const sync = new GroupSync('/nowhere/db', flush)
    await sync.sync()
    expect(pending).toHaveLength(0)
  })

  it('many sync() calls after the same writes share one flush', async () => {
    const { flush, pending } = manualFlushes()
    const sync = new GroupSync('/nowhere/db', flush)
    sync.markWritten()
    sync.markWritten()
    const waiting = [sync.sync(), sync.sync(), sync.sync()]
    await settle()
    expect(pending).toHaveLength(1)
    pending[0]?.resolve()
    await Promise.all(waiting)
    await sync.sync()
    expect(pending).toHaveLength(1)
  })

  it('a write made during a flush waits for the next flush, which all later callers share', async () => {
    const { flush, pending } = manualFlushes()
    const sync = new GroupSync('/nowhere/db', flush)
    sync.markWritten()
    let firstDone = false
    const first = sync.sync().then(() => (firstDone = true))
    await settle()
    sync.markWritten()
    let secondDone = false
    const second = Promise.all([sync.sync(), sync.sync()]).then(() => (secondDone = true))
    await settle()
    expect(pending).toHaveLength(1)
    pending[0]?.resolve()
    await first
    await settle()
    expect([firstDone, secondDone]).toEqual([true, false])
    expect(pending).toHaveLength(2)
    pending[1]?.resolve()
    await second
    expect(secondDone).toBe(true)
  })

  it('a failed flush rejects its callers and every later sync (fsync errors are sticky)', async () => {
    const { flush, pending } = manualFlushes()
    const sync = new GroupSync('/nowhere/db', flush)
    sync.markWritten()
    const failing = sync.sync()
    await settle()
    pending[0]?.reject(new Error('EIO'))
    await expect(failing).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' })
    await expect(sync.sync()).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' })
  })

  it('the real flush fdatasyncs an existing -wal file and tolerates a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-group-sync-'))
    try {
      const missing = new GroupSync(join(dir, 'none.db'))
      missing.markWritten()
      await missing.sync()
      writeFileSync(join(dir, 'db-wal'), 'frames')
      const present = new GroupSync(join(dir, 'db'))
      present.markWritten()
      await present.sync()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
