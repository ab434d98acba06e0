import { EntryType, MessageType, type Message } from '../core/types'
import { waitUntil } from '@tributary/core/testing'
import { TcpTransport } from './tcp'

/** An append carrying one entry of `bytes` bytes, the rest of the fields fixed. */
function append(from: number, to: number, index: number, bytes: number): Message {
  const data = new Uint8Array(bytes).fill(index % 251)
  return {
    type: MessageType.App,
    from,
    to,
    term: 1,
    logTerm: 1,
    index: index - 1,
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: 0,
    entries: [{ index, term: 1, type: EntryType.Normal, data }],
  } as unknown as Message
}

test('TCP transport: large frames split over many socket reads and small ones packed together arrive whole and in order', async () => {
  const a = await TcpTransport.listen({ id: 1 })
  const b = await TcpTransport.listen({ id: 2 })
  a.setPeer(2, { host: '127.0.0.1', port: b.port })
  b.setPeer(1, { host: '127.0.0.1', port: a.port })
  const got: Array<{ group: string; index: number; bytes: number; ok: boolean }> = []
  b.onMessage((group, m) => {
    const e = m.entries?.[0]
    got.push({
      group,
      index: e?.index ?? -1,
      bytes: e?.data.byteLength ?? -1,
      ok: e?.data.every((x) => x === e.index % 251) === true,
    })
  })
  const sizes = [10, 8 * 1024 * 1024, 3, 200_000, 1, 5 * 1024 * 1024, 64]
  try {
    sizes.forEach((bytes, i) => a.send(`g${i % 2}`, append(1, 2, i + 1, bytes)))
    await waitUntil(() => got.length === sizes.length, 15_000)
    expect(got).toEqual(sizes.map((bytes, i) => ({ group: `g${i % 2}`, index: i + 1, bytes, ok: true })))
    // Again, one frame per message: large frames (copied into their buffer as they arrive) end
    // inside socket reads that carry the start of the next frame.
    got.length = 0
    for (const [i, bytes] of sizes.entries()) {
      a.send(`g${i % 2}`, append(1, 2, i + 1, bytes))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitUntil(() => got.length === sizes.length, 15_000)
    expect(got).toEqual(sizes.map((bytes, i) => ({ group: `g${i % 2}`, index: i + 1, bytes, ok: true })))
  } finally {
    await a.close()
    await b.close()
  }
})
