import { type Socket, connect } from 'node:net'
import { FrameDecoder } from '../codec/frame'

/*
 * A raw socket to a KafkaServer that collects response frames, for tests that need to
 * send exactly the bytes they choose (pipelined requests, broken frames).
 */

/** RawClient is one raw connection. */
export interface RawClient {
  readonly socket: Socket
  /** Response frames received so far (without their size prefix). */
  readonly frames: Buffer[]
  /** closed resolves when the server (or we) closed the connection. */
  readonly closed: Promise<void>
  send(bytes: Buffer | Buffer[]): void
  /** waitFrames resolves once `n` frames have arrived (rejects if the connection closes first). */
  waitFrames(n: number, timeoutMs?: number): Promise<Buffer[]>
  end(): void
}

/** rawClient connects to 127.0.0.1:`port`. */
export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const frames: Buffer[] = []
  const decoder = new FrameDecoder({ maxFrameBytes: 1 << 30 })
  let isClosed = false
  const closed = new Promise<void>((resolve) => socket.on('close', () => ((isClosed = true), resolve())))
  socket.on('error', () => undefined)
  socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk).map((f) => Buffer.from(f))))
  return {
    socket,
    frames,
    closed,
    send(bytes) {
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) socket.write(b)
    },
    async waitFrames(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (frames.length < n) {
        if (isClosed) throw new Error(`closed after ${frames.length} of ${n} frames`)
        if (Date.now() > deadline) throw new Error(`timed out after ${frames.length} of ${n} frames`)
        await new Promise((r) => setTimeout(r, 10))
      }
      return frames.slice(0, n)
    },
    end() {
      socket.destroy()
    },
  }
}
