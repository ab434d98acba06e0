/**
 * A child process for the deletion crash test: `delete-child.ts <dir> <topic> <crashAt>` sets up a
 * LocalBroker on a FileStorage in <dir> with <topic> (two partitions, data and a committed offset),
 * prints `ready`, then deletes the topic and SIGKILLs itself just before the <crashAt>-th file
 * system change the deletion makes (1 = before the first). It prints `deleted <n>` (the changes
 * made) when the deletion completed before reaching <crashAt>.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { LocalBroker } from '@tributary/core'
import { makeBatch } from '@tributary/core/testing'
import { FileStorage } from '../file-storage'

/** The fs calls that change the disk: a crash lands just before one of them. */
const SYNC_CALLS = [
  'renameSync',
  'unlinkSync',
  'rmSync',
  'rmdirSync',
  'writeSync',
  'writeFileSync',
  'fsyncSync',
  'fdatasyncSync',
  'ftruncateSync',
  'mkdirSync',
] as const
const CALLBACK_CALLS = ['fsync', 'fdatasync', 'write', 'rename', 'unlink'] as const
const PROMISE_CALLS = ['rm', 'rename', 'unlink', 'writeFile', 'rmdir', 'mkdir'] as const

async function main(): Promise<void> {
  const [dir, topic, crashAtText] = process.argv.slice(2)
  if (dir === undefined || topic === undefined || crashAtText === undefined)
    throw new Error('usage: delete-child.ts <dir> <topic> <crashAt>')
  const crashAt = Number(crashAtText)
  const broker = await LocalBroker.open({ storage: new FileStorage({ dir }) })
  await broker.createTopics([{ topic, numPartitions: 2 }])
  await broker.createTopics([{ topic: 'kept', numPartitions: 1 }])
  for (const t of [topic, 'kept'])
    for (let p = 0; p < (t === topic ? 2 : 1); p++)
      await broker.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic: t, partition: p, batch: makeBatch([{ value: `v${p}` }]) }] })
  await broker.commitOffsets({
    groupId: 'g',
    generationId: -1,
    memberId: '',
    offsets: [
      { topic, partition: 0, offset: 1 },
      { topic: 'kept', partition: 0, offset: 1 },
    ],
  })
  process.stdout.write('ready\n')
  let changes = 0
  let counting = true
  const step = (): void => {
    if (!counting) return
    changes++
    if (changes === crashAt) process.kill(process.pid, 'SIGKILL')
  }
  const fs = createRequire(import.meta.url)('node:fs') as Record<string, unknown> & { promises: Record<string, unknown> }
  for (const name of [...SYNC_CALLS, ...CALLBACK_CALLS]) {
    const original = fs[name] as (...args: unknown[]) => unknown
    fs[name] = (...args: unknown[]) => (step(), original.apply(fs, args))
  }
  for (const name of PROMISE_CALLS) {
    const original = fs.promises[name] as (...args: unknown[]) => unknown
    fs.promises[name] = (...args: unknown[]) => (step(), original.apply(fs.promises, args))
  }
  syncBuiltinESMExports()
  await broker.deleteTopics([topic])
  // Only the deletion's changes are crash points: close's own are not what this explores.
  counting = false
  process.stdout.write(`deleted ${changes}\n`)
  await broker.close()
}

main().catch((err: unknown) => {
  process.stderr.write(`delete-child failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
