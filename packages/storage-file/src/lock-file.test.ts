import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isTributaryError, type TributaryError } from '@tributary/core'
import { FileStorage } from './file-storage'
import { LOCK_FILE_NAME } from './lock-file'
import { killAndWait, spawnInPidNamespace, spawnTs, waitForLine } from './testing/child-process'
import { makeTempDir, removeTempDir, SILENT_LOGGER } from './testing/temp-dir'

let dir: string
beforeEach(() => {
  dir = makeTempDir('lock')
})
afterEach(() => removeTempDir(dir))

async function openError(storage: FileStorage): Promise<TributaryError | null> {
  try {
    await storage.open()
    return null
  } catch (err) {
    if (!isTributaryError(err)) throw err
    return err
  }
}

describe('directory lock', () => {
  it('a directory held by another live process is STORAGE_LOCKED with its pid; once it dies, the stale lock is taken over', async () => {
    const child = spawnTs(join(__dirname, 'testing', 'lock-holder.ts'), [dir])
    try {
      await waitForLine(child, 'locked')
      const err = await openError(new FileStorage({ dir, logger: SILENT_LOGGER }))
      expect(err?.code).toBe('STORAGE_LOCKED')
      expect(err?.details.pid).toBe(child.pid)
      expect(err?.message).toContain(String(child.pid))
    } finally {
      await killAndWait(child)
    }
    // SIGKILL left the owner file behind naming a dead pid; the kernel dropped the lock itself.
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8').split(' ')[0]).toBe(String(child.pid))
    const storage = new FileStorage({ dir, logger: SILENT_LOGGER })
    await storage.open()
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8').split(' ')[0]).toBe(String(process.pid))
    await storage.close()
  }, 60_000)

  it('a second storage in the same process is refused until the first closes', async () => {
    const first = new FileStorage({ dir, logger: SILENT_LOGGER })
    await first.open()
    expect((await openError(new FileStorage({ dir, logger: SILENT_LOGGER })))?.code).toBe('STORAGE_LOCKED')
    await first.close()
    const second = new FileStorage({ dir, logger: SILENT_LOGGER })
    await second.open()
    await second.close()
  })

  it('an owner file naming a pid that no longer exists does not keep anyone out', async () => {
    writeFileSync(join(dir, LOCK_FILE_NAME), '999999999 elsewhere\n')
    const storage = new FileStorage({ dir, logger: SILENT_LOGGER })
    await storage.open()
    await storage.close()
  })

  it('two processes in separate PID namespaces (both PID 1, as two containers sharing a volume) cannot both open one directory', async () => {
    // Fails, not skips, where unshare is missing: the lock's claim is only proven with it.
    const first = spawnInPidNamespace(join(__dirname, 'testing', 'lock-holder.ts'), [dir])
    try {
      expect(await waitForLine(first, 'locked')).toBe('locked pid=1')
      const second = spawnInPidNamespace(join(__dirname, 'testing', 'lock-holder.ts'), [dir])
      try {
        const line = await waitForLine(second, 'refused')
        expect(line).toMatch(/^refused STORAGE_LOCKED pid=1$/)
      } finally {
        await killAndWait(second)
      }
    } finally {
      await killAndWait(first)
    }
    // The holder's namespace dies with unshare (--kill-child) a moment later: the kernel drops its lock.
    const deadline = Date.now() + 10_000
    for (;;) {
      const storage = new FileStorage({ dir, logger: SILENT_LOGGER })
      const err = await openError(storage)
      if (err === null) {
        await storage.close()
        break
      }
      expect(err.code).toBe('STORAGE_LOCKED')
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 50))
    }
  }, 60_000)

  it('a pre-upgrade lock file of a pid that no longer exists is taken over', async () => {
    writeFileSync(join(dir, LOCK_FILE_NAME), '999999999\n')
    const storage = new FileStorage({ dir, logger: SILENT_LOGGER })
    await storage.open()
    await storage.close()
  })
})
