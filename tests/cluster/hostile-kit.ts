import { type Socket, connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { FrameReader, encodeFrame, type WireHeader } from '@tributary/core/internal'
import type { Message } from '@tributary/raft'
import { encodedMessageBytes, writeMessage } from '@tributary/raft/testing'

/*
 * Raw sockets for the hostile-client and hostile-peer tests: a wire-protocol socket that sends any frame and reads the answers, and Raft frames
 * built by hand.
 */

/** RawSocket is one hand-driven connection: its answers by request id, and whether it was closed. */
export interface RawSocket {
  readonly socket: Socket
  /** call sends one request frame and resolves with its answer (`v` or `e`), or rejects when the connection closes first. */
  call(method: string, args?: unknown[]): Promise<WireHeader>
  /** closed resolves when the server (or we) closed the connection. */
  readonly closed: Promise<void>
  isClosed(): boolean
  write(bytes: Buffer): void
  close(): void
}

/** openRaw connects to a wire-protocol port (over TLS trusting `ca` when given). */
export async function openRaw(port: number, ca?: Buffer): Promise<RawSocket> {
  const socket: Socket =
    ca === undefined ? connect({ host: '127.0.0.1', port }) : tlsConnect({ host: '127.0.0.1', port, ca: [ca], servername: 'localhost' })
  await new Promise<void>((resolve, reject) => {
    socket.once(ca === undefined ? 'connect' : 'secureConnect', () => resolve())
    socket.once('error', reject)
  })
  let ended = false
  socket.on('error', () => undefined)
  const closed = new Promise<void>((resolve) => socket.once('close', () => ((ended = true), resolve())))
  const waiting = new Map<number, { resolve: (h: WireHeader) => void; reject: (e: Error) => void }>()
  const reader = new FrameReader(1024 * 1024 * 1024)
  socket.on('data', (chunk: Buffer) =>
    reader.push(chunk, (h) => {
      waiting.get(h.id)?.resolve(h)
      waiting.delete(h.id)
    }),
  )
  void closed.then(() => {
    for (const w of waiting.values()) w.reject(new Error('connection closed'))
    waiting.clear()
  })
  let nextId = 1
  return {
    socket,
    closed,
    isClosed: () => ended,
    call: (method, args = []) =>
      new Promise((resolve, reject) => {
        if (ended) return reject(new Error('connection closed'))
        const id = nextId++
        waiting.set(id, { resolve, reject })
        socket.write(encodeFrame({ id, m: method, a: args }))
      }),
    write: (bytes) => void socket.write(bytes),
    close: () => void socket.destroy(),
  }
}

/** errorCode is the code of an answer's error (undefined for a value). */
export function errorCode(h: WireHeader): string | undefined {
  return (h.e as { code?: string } | undefined)?.code
}

/** raftFrame packs messages of one group as the TCP transport frames them. */
export function raftFrame(groupId: string, messages: Message[]): Buffer {
  const gid = Buffer.from(groupId, 'utf8')
  const records = messages.map((m) => {
    const r = Buffer.alloc(2 + gid.byteLength + encodedMessageBytes(m))
    r.writeUInt16LE(gid.byteLength, 0)
    gid.copy(r, 2)
    writeMessage(m, r, 2 + gid.byteLength)
    return r
  })
  const body = Buffer.concat(records)
  const header = Buffer.alloc(8)
  header.writeUInt32LE(4 + body.byteLength, 0)
  header.writeUInt32LE(messages.length, 4)
  return Buffer.concat([header, body])
}

/** waitClosed resolves true when the socket closes within `ms`, false otherwise. */
export async function waitClosed(s: { closed: Promise<void> }, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const r = await Promise.race([
    s.closed.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ])
  clearTimeout(timer)
  return r
}
