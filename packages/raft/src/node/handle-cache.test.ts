import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HandleCache } from './handle-cache'
import { FileRaftStorage } from './file-storage'
import { EntryType } from '../core/types'

let dir = ''
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-handles-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

test('HandleCache: many files used at once never hold more than maxOpen descriptors, and each keeps its writes', async () => {
  const cache = new HandleCache(4)
  const files = Array.from({ length: 40 }, (_, i) => cache.file(join(dir, `f${i}`), 'a+'))
  let most = 0
  await Promise.all(
    files.flatMap((f, i) =>
      [0, 1, 2].map((n) =>
        f.use(async (fh) => {
          most = Math.max(most, cache.openCount)
          await fh.appendFile(`${i}:${n};`)
        }),
      ),
    ),
  )
  expect(most).toBeLessThanOrEqual(4)
  expect(cache.openCount).toBeLessThanOrEqual(4)
  // Operations of one file may run in any order (a FileRaftStorage runs its own one at a time).
  files.forEach((f, i) => expect(readFileSync(f.path, 'utf8').split(';').sort()).toEqual(['', `${i}:0`, `${i}:1`, `${i}:2`]))
})

test('FileRaftStorage: 200 groups on a cache of 8 descriptors persist and reload their logs', async () => {
  const cache = new HandleCache(8)
  const groups = Array.from({ length: 200 }, (_, i) => new FileRaftStorage(join(dir, `g${i}`), cache))
  for (const g of groups) await g.load([1])
  await Promise.all(
    groups.map((g, i) =>
      g.persist({
        entries: [{ index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array([i % 256]) }],
        hardState: { term: 1, vote: 1, commit: 0 },
      }),
    ),
  )
  expect(cache.openCount).toBeLessThanOrEqual(8)
  for (const g of groups) await g.close()
  const again = await new FileRaftStorage(join(dir, 'g123'), new HandleCache(8)).load([1])
  expect(again.entries.map((e) => [e.index, e.data[0]])).toEqual([[1, 123]])
  // Hundreds of fsyncs through 8 descriptors: seconds on a quiet disk, far more on a loaded machine.
}, 120_000)
