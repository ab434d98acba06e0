import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { LocalBroker } from '@tributary/core'
import { makeBatch } from '@tributary/core/testing'
import { FileStorage } from './file-storage'
import { PLAIN_DIR_MAX_BYTES } from './partition-dirs'
import { killAndWait, spawnTs, waitForLine } from './testing/child-process'
import { makeTempDir, removeTempDir, SILENT_LOGGER } from './testing/temp-dir'

/** A topic name of Kafka's maximum length: `<topic>-<partition>` alone would be 251 bytes, its old deletion name 275. */
const LONG_TOPIC = `t${'x'.repeat(248)}`

/** runChild runs one deletion that SIGKILLs itself before its `crashAt`-th disk change; resolves with the changes made when it finished instead. */
async function runChild(dir: string, topic: string, crashAt: number): Promise<number | 'killed'> {
  const child = spawnTs(join(__dirname, 'testing', 'delete-child.ts'), [dir, topic, String(crashAt)])
  try {
    await waitForLine(child, 'ready', 60_000)
    let out = ''
    child.stdout.on('data', (c: string) => (out += c))
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )
    if (signal === 'SIGKILL') return 'killed'
    const done = /deleted (\d+)/.exec(out)
    if (code !== 0 || done === null) throw new Error(`delete child exited with ${code}: ${out}`)
    return Number(done[1])
  } finally {
    await killAndWait(child)
  }
}

/** checkReopened opens the directory after a crash: it must open, and the topic be wholly there or wholly gone. */
async function checkReopened(dir: string, topic: string, crashAt: number): Promise<'present' | 'gone'> {
  const broker = await LocalBroker.open({ storage: new FileStorage({ dir, logger: SILENT_LOGGER }) })
  try {
    const listed = (await broker.metadata()).topics.map((t) => t.name)
    expect(listed).toContain('kept')
    const kept = await broker.fetch({ maxWaitMs: 0, partitions: [{ topic: 'kept', partition: 0, offset: 0, maxBytes: 1 << 20 }] })
    expect(kept[0]?.batches.length).toBe(1)
    const offsets = await broker.fetchOffsets('g')
    expect(offsets.find((o) => o.topic === 'kept')?.offset).toBe(1)
    const entries = readdirSync(dir)
    // Nothing of an interrupted deletion is left after open, and no entry is longer than a file system allows.
    expect(entries.filter((e) => e.endsWith('.delete') || e.endsWith('-delete'))).toEqual([])
    for (const e of entries) expect(Buffer.byteLength(e)).toBeLessThanOrEqual(255)
    if (listed.includes(topic)) {
      const data = await broker.fetch({
        maxWaitMs: 0,
        partitions: [0, 1].map((partition) => ({ topic, partition, offset: 0, maxBytes: 1 << 20 })),
      })
      expect(data.map((d) => d.batches.length)).toEqual([1, 1])
      return 'present'
    }
    // Gone: no partition directory, no committed offset, and the name can be used again from scratch.
    expect(entries.filter((e) => e.startsWith(topic.slice(0, 50)))).toEqual([])
    expect(offsets.filter((o) => o.topic === topic)).toEqual([])
    await broker.createTopics([{ topic, numPartitions: 2 }])
    const fresh = await broker.fetch({ maxWaitMs: 0, partitions: [{ topic, partition: 0, offset: 0, maxBytes: 1 << 20 }] })
    expect(fresh[0]?.batches).toEqual([])
    expect((await broker.fetchOffsets('g', [{ topic, partition: 0 }]))[0]?.offset).toBe(-1)
    await broker.produce({ acks: -1, timeoutMs: 5000, partitions: [{ topic, partition: 1, batch: makeBatch([{ value: 'again' }]) }] })
    return 'gone'
  } catch (err) {
    throw new Error(`after a crash before disk change ${crashAt}: ${(err as Error).message}`, { cause: err })
  } finally {
    await broker.close()
  }
}

describe('topic deletion under SIGKILL', () => {
  // The short name runs with CRASH_KILLS (the long runs): the long one takes every code path of the short one and more.
  it.each(
    process.env.CRASH_KILLS
      ? [
          ['a topic name of 249 characters', LONG_TOPIC],
          ['a short topic name', 'orders'],
        ]
      : [['a topic name of 249 characters', LONG_TOPIC]],
  )(
    'with %s, a crash before each disk change of a delete leaves a directory that opens, with the topic wholly there or wholly gone',
    async (_label, topic) => {
      const outcomes: string[] = []
      for (let crashAt = 1; crashAt < 100; crashAt++) {
        const dir = makeTempDir('delete-crash')
        try {
          const result = await runChild(dir, topic, crashAt)
          outcomes.push(`${crashAt}:${await checkReopened(dir, topic, crashAt)}`)
          if (result !== 'killed') {
            // The deletion made `result` changes; every crash point before them was tried.
            expect(result).toBe(crashAt - 1)
            expect(outcomes.at(-1)).toBe(`${crashAt}:gone`)
            return
          }
        } finally {
          removeTempDir(dir)
        }
      }
      throw new Error(`the deletion never completed: ${outcomes.join(' ')}`)
    },
    600_000,
  )

  it('partition directory names stay within 255 bytes for the longest topic names, and are read back on open', async () => {
    const dir = makeTempDir('long-names')
    try {
      const broker = await LocalBroker.open({ storage: new FileStorage({ dir, logger: SILENT_LOGGER }) })
      await broker.createTopics([{ topic: LONG_TOPIC, numPartitions: 3 }])
      for (const partition of [0, 1, 2])
        await broker.produce({
          acks: -1,
          timeoutMs: 5000,
          partitions: [{ topic: LONG_TOPIC, partition, batch: makeBatch([{ value: 'x' }]) }],
        })
      await broker.close()
      const names = readdirSync(dir).filter((e) => e.startsWith('t'))
      expect(names).toHaveLength(3)
      for (const n of names) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(PLAIN_DIR_MAX_BYTES)
      const again = await LocalBroker.open({ storage: new FileStorage({ dir, logger: SILENT_LOGGER }) })
      const data = await again.fetch({ maxWaitMs: 0, partitions: [{ topic: LONG_TOPIC, partition: 2, offset: 0, maxBytes: 1 << 20 }] })
      expect(data[0]?.batches).toHaveLength(1)
      await again.deleteTopics([LONG_TOPIC])
      expect(readdirSync(dir).filter((e) => e.startsWith('t'))).toEqual([])
      await again.close()
    } finally {
      removeTempDir(dir)
    }
  })
})
